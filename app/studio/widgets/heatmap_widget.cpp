#include "widgets/heatmap_widget.h"

#include <QLinearGradient>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace strata::studio {

namespace {
constexpr int kBarWidth = 18;
constexpr int kLabelWidth = 70;
constexpr int kMargin = 6;

QRgb lerp(QRgb a, QRgb b, double t) {
    auto mix = [t](int x, int y) { return int(std::lround(x + (y - x) * t)); };
    return qRgb(mix(qRed(a), qRed(b)), mix(qGreen(a), qGreen(b)), mix(qBlue(a), qBlue(b)));
}
}  // namespace

HeatmapWidget::HeatmapWidget(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setMinimumSize(160, 120);
}

QRgb HeatmapWidget::colour(double t, bool signed_scale) {
    t = std::clamp(t, 0.0, 1.0);
    if (signed_scale) {  // blue (negative) - white (0) - red (positive)
        const QRgb blue = qRgb(33, 102, 172), white = qRgb(247, 247, 247), red = qRgb(178, 24, 43);
        return t < 0.5 ? lerp(blue, white, t * 2) : lerp(white, red, (t - 0.5) * 2);
    }
    static const QRgb kStops[] = {qRgb(68, 1, 84), qRgb(59, 82, 139), qRgb(33, 145, 140), qRgb(94, 201, 98),
                                  qRgb(253, 231, 37)};  // viridis, 5 stops
    const double x = t * 4;
    const int i = std::min(3, int(x));
    return lerp(kStops[i], kStops[i + 1], x - i);
}

QRect HeatmapWidget::plot_rect() const {
    return rect().adjusted(kMargin, kMargin, -(kMargin * 2 + kBarWidth + kLabelWidth), -kMargin);
}

QRect HeatmapWidget::image_rect() const {
    // Keep cells square only when the source is small; large matrices fill the area.
    QRect target = plot_rect();
    if (!image_.isNull() && heatmap_.source.rows < uint64_t(target.height()) &&
        heatmap_.source.cols < uint64_t(target.width())) {
        const double s = std::min(target.width() / double(image_.width()), target.height() / double(image_.height()));
        target.setSize(QSize(int(image_.width() * s), int(image_.height() * s)));
    }
    return target;
}

QSize HeatmapWidget::plot_cells() const {
    const QRect r = plot_rect();
    return {std::max(1, r.width()), std::max(1, r.height())};
}

void HeatmapWidget::set_message(const QString& text) {
    message_ = text;
    image_ = QImage();
    update();
}

void HeatmapWidget::set_heatmap(Heatmap heatmap, bool signed_scale, std::optional<std::pair<double, double>> range) {
    heatmap_ = std::move(heatmap);
    signed_ = signed_scale;
    message_.clear();
    lo_ = range ? range->first : heatmap_.lo;
    hi_ = range ? range->second : heatmap_.hi;
    if (signed_) {  // symmetric around zero so white means 0
        const double m = std::max(std::fabs(lo_), std::fabs(hi_));
        lo_ = -m;
        hi_ = m;
    }
    const double span = hi_ > lo_ ? hi_ - lo_ : 1.0;
    image_ = QImage(int(heatmap_.cols), int(heatmap_.rows), QImage::Format_RGB32);
    for (uint32_t r = 0; r < heatmap_.rows; ++r) {
        auto* line = reinterpret_cast<QRgb*>(image_.scanLine(int(r)));
        for (uint32_t c = 0; c < heatmap_.cols; ++c) {
            const float v = heatmap_.cells[size_t(r) * heatmap_.cols + c];
            line[c] = std::isnan(v) ? qRgb(128, 128, 128) : colour((v - lo_) / span, signed_);
        }
    }
    update();
}

void HeatmapWidget::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const QRect plot = plot_rect();
    if (image_.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(plot, Qt::AlignCenter | Qt::TextWordWrap, message_.isEmpty() ? tr("No matrix") : message_);
        return;
    }
    const QRect target = image_rect();
    p.drawImage(target, image_);
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(target.adjusted(0, 0, -1, -1));
    // Colour scale, beside the image (not the plot area) so small square matrices keep it close.
    const QRect bar(target.right() + kMargin * 2, plot.top(), kBarWidth, plot.height());
    QImage ramp(1, 256, QImage::Format_RGB32);
    for (int i = 0; i < 256; ++i) ramp.setPixel(0, 255 - i, colour(i / 255.0, signed_));
    p.drawImage(bar, ramp);
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    p.setPen(palette().color(QPalette::WindowText));
    const int tx = bar.right() + 4;
    auto label = [&](double v, int y, Qt::Alignment a) {
        p.drawText(QRect(tx, y - 10, kLabelWidth, 20), a | Qt::AlignLeft, QString::number(v, 'g', 3));
    };
    label(hi_, bar.top() + 8, Qt::AlignVCenter);
    label((lo_ + hi_) / 2, bar.center().y(), Qt::AlignVCenter);
    label(lo_, bar.bottom() - 8, Qt::AlignVCenter);
}

void HeatmapWidget::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    emit resized();
}

void HeatmapWidget::mouseMoveEvent(QMouseEvent* event) {
    if (image_.isNull()) return;
    const QRect plot = image_rect();
    if (!plot.contains(event->position().toPoint())) return;
    const int c = int((event->position().x() - plot.left()) * heatmap_.cols / std::max(1, plot.width()));
    const int r = int((event->position().y() - plot.top()) * heatmap_.rows / std::max(1, plot.height()));
    if (r < 0 || c < 0 || uint32_t(r) >= heatmap_.rows || uint32_t(c) >= heatmap_.cols) return;
    const auto& s = heatmap_.source;
    const uint64_t r0 = uint64_t(r) * s.rows / heatmap_.rows, r1 = uint64_t(r + 1) * s.rows / heatmap_.rows;
    const uint64_t c0 = uint64_t(c) * s.cols / heatmap_.cols, c1 = uint64_t(c + 1) * s.cols / heatmap_.cols;
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("rows %1–%2, cols %3–%4\nvalue %5")
                           .arg(r0).arg(r1 - 1).arg(c0).arg(c1 - 1)
                           .arg(double(heatmap_.cells[size_t(r) * heatmap_.cols + size_t(c)]), 0, 'g', 5),
                       this);
}

}  // namespace strata::studio
