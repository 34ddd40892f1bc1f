#include "widgets/layer_strip.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>

#include "widgets/layer_labels.h"

namespace strata::studio {

namespace {
constexpr int kLabelWidth = 90;
constexpr int kRowHeight = 30;
constexpr int kGap = 10;
constexpr int kNumberGap = 4;  // between one layer number and the next

// The symbol an HF layer shows: its mixer's, or for an MLP-only layer (Nemotron-H '-' / 'E') its MLP's.
QChar layer_char(const LayerKind& k) {
    switch (k.mixer) {
        case MixerKind::Attention: return '*';
        case MixerKind::Mamba2: return 'M';
        case MixerKind::GatedDeltaNet: return 'G';
        case MixerKind::None:
            return k.mlp == MlpKind::MoE ? 'E' : '-';
    }
    return '?';
}

// Light cells ('-' MLP grey) need dark text.
QColor text_colour(QChar c) { return c == '-' ? Qt::black : Qt::white; }
}  // namespace

LayerStrip::LayerStrip(QWidget* parent) : QWidget(parent) {
    setMinimumHeight(2 * kRowHeight + 3 * kGap + 16);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

QSize LayerStrip::sizeHint() const { return {900, 2 * kRowHeight + 3 * kGap + 16}; }

QColor LayerStrip::symbol_colour(QChar s) {
    switch (s.toLatin1()) {
        case '*': return QColor(231, 111, 81);   // attention
        case 'M': return QColor(42, 157, 143);   // Mamba2
        case 'G': return QColor(123, 104, 238);  // GDN
        case 'D': case '+': return QColor(244, 162, 97);
        case '-': return QColor(200, 200, 200);  // MLP
        case 'E': return QColor(233, 196, 106);  // MoE
        default: return QColor(150, 150, 150);
    }
}

int LayerStrip::cells_per_row() const { return std::max<int>(1, int(symbols_.size())); }

QRect LayerStrip::megatron_cell_rect(int slot) const {
    const double w = double(width() - kLabelWidth - kGap) / cells_per_row();
    const int x0 = kLabelWidth + int(slot * w), x1 = kLabelWidth + int((slot + 1) * w);
    return QRect(x0, kGap * 2 + kRowHeight + 8, std::max(1, x1 - x0 - (w > 4 ? 1 : 0)), kRowHeight);
}

double LayerStrip::hf_cell_width() const {
    return double(width() - kLabelWidth - kGap) / std::max<int>(1, int(hf_.size()));
}

QRect LayerStrip::hf_cell_rect(int layer) const {
    // HF layer i sits over Megatron slots 2i and 2i+1 when every layer has an MLP slot;
    // otherwise the HF row is spread evenly.
    const double w = hf_cell_width();
    const int x0 = kLabelWidth + int(layer * w), x1 = kLabelWidth + int((layer + 1) * w);
    return QRect(x0, kGap, std::max(1, x1 - x0 - (w > 4 ? 1 : 0)), kRowHeight);
}

void LayerStrip::set_layers(const std::vector<LayerKind>& hf, const QString& hf_error, const QString& symbols) {
    hf_ = hf;
    hf_error_ = hf_error;
    symbols_ = symbols;
    update();
}

void LayerStrip::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(QRect(4, kGap, kLabelWidth - 8, kRowHeight), Qt::AlignVCenter, tr("HF layers"));
    p.drawText(QRect(4, kGap * 2 + kRowHeight + 8, kLabelWidth - 8, kRowHeight), Qt::AlignVCenter, tr("Megatron"));
    QFont small = font();
    small.setPointSizeF(std::max(6.0, font().pointSizeF() - 2));
    p.setFont(small);
    const int n = int(hf_.size());
    const QFontMetrics fm(small);
    const int number_width = fm.horizontalAdvance(QString::number(std::max(0, n - 1)));
    for (int i : labelled_layers(n, hf_cell_width(), number_width + kNumberGap)) {
        const QRect r = hf_cell_rect(i);
        p.drawText(QRect(r.left(), r.bottom() + 1, number_width, fm.height()), Qt::AlignLeft | Qt::AlignTop,
                   QString::number(i));
    }
    for (int i = 0; i < n; ++i) {
        const QRect r = hf_cell_rect(i);
        const QChar c = layer_char(hf_[size_t(i)]);
        p.fillRect(r, hf_error_.isEmpty() ? symbol_colour(c) : QColor(220, 220, 220));
        if (r.width() >= 8) {
            p.setPen(text_colour(c));
            p.drawText(r, Qt::AlignCenter, QString(c));
        }
    }
    for (int i = 0; i < int(symbols_.size()); ++i) {
        const QRect r = megatron_cell_rect(i);
        p.fillRect(r, symbol_colour(symbols_[i]));
        if (r.width() >= 8) {
            p.setPen(text_colour(symbols_[i]));
            p.drawText(r, Qt::AlignCenter, QString(symbols_[i]));
        }
    }
    if (!hf_error_.isEmpty()) {
        p.setPen(Qt::darkRed);
        p.drawText(QRect(kLabelWidth, kGap, width() - kLabelWidth, kRowHeight), Qt::AlignCenter, hf_error_);
    }
}

void LayerStrip::mousePressEvent(QMouseEvent* event) {
    const QPoint pos = event->position().toPoint();
    if (hf_error_.isEmpty())
        for (int i = 0; i < int(hf_.size()); ++i)
            if (hf_cell_rect(i).adjusted(0, 0, 1, 0).contains(pos)) return emit hf_layer_clicked(i);
    for (int i = 0; i < int(symbols_.size()); ++i)
        if (megatron_cell_rect(i).adjusted(0, 0, 1, 0).contains(pos)) return emit megatron_slot_clicked(i);
}

}  // namespace strata::studio
