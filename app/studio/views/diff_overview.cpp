#include "views/diff_overview.h"

#include <QFontMetrics>
#include <QPainter>

#include <algorithm>

#include "strata/parallel/shard_grid.h"
#include "widgets/heatmap_widget.h"
#include "widgets/layer_labels.h"

namespace strata::studio {

namespace {
constexpr int kTitleWidth = 80;  // the "layers" caption left of the cells
constexpr int kCellTop = 2;
constexpr int kCellHeight = 26;
constexpr int kLabelGap = 6;  // between one number and the next
}  // namespace

DiffOverview::DiffOverview(QWidget* parent) : QWidget(parent) {
    setMinimumHeight(kCellTop + kCellHeight + 2 + fontMetrics().height());
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

QSize DiffOverview::sizeHint() const { return {600, minimumHeight()}; }

void DiffOverview::set_report(const DiffReport* r) {
    worst_.clear();
    structural_.clear();
    if (r)
        for (const TensorDiff& t : r->tensors) {
            const int l = canonical_layer(t.name);
            if (l < 0) continue;  // embeddings, final norm, lm_head, MTP
            worst_[l] = std::max(worst_[l], t.kind == DiffKind::Value ? t.max_rel : 0.0);
            if (t.kind != DiffKind::Equal && t.kind != DiffKind::Value) structural_[l] = true;
        }
    update();
}

double DiffOverview::cell_width() const { return double(width() - kTitleWidth) / std::max(1, layer_count()); }

int DiffOverview::label_width() const {
    return fontMetrics().horizontalAdvance(QString::number(std::max(0, layer_count() - 1))) + kLabelGap;
}

std::vector<int> DiffOverview::labelled() const { return labelled_layers(layer_count(), cell_width(), label_width()); }

QRect DiffOverview::cell_rect(int layer) const {
    const double w = cell_width();
    const int x0 = kTitleWidth + int(layer * w), x1 = kTitleWidth + int((layer + 1) * w);
    return QRect(x0, kCellTop, std::max(1, x1 - x0 - (w > 4 ? 1 : 0)), kCellHeight);
}

QRect DiffOverview::label_rect(int layer) const {
    return QRect(cell_rect(layer).left(), kCellTop + kCellHeight + 1, label_width() - kLabelGap,
                 fontMetrics().height());
}

void DiffOverview::paintEvent(QPaintEvent*) {
    QPainter p(this);
    if (worst_.empty()) {
        p.drawText(rect(), Qt::AlignCenter, tr("Per-layer overview appears after a diff"));
        return;
    }
    p.drawText(QRect(0, kCellTop, kTitleWidth - 4, kCellHeight), Qt::AlignVCenter, tr("layers"));
    for (const auto& [l, rel] : worst_) {
        const QColor c = structural_.count(l) ? QColor(200, 30, 30)
                         : rel == 0           ? QColor(90, 180, 100)
                                              : QColor(HeatmapWidget::colour(std::min(1.0, rel), false));
        p.fillRect(cell_rect(l), c);
    }
    for (int l : labelled()) p.drawText(label_rect(l), Qt::AlignLeft | Qt::AlignTop, QString::number(l));
}

}  // namespace strata::studio
