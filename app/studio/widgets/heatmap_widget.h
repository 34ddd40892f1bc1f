// HeatmapWidget: paints a core Heatmap (a matrix already downsampled to about the
// widget's size) as an image with a colour scale bar; diverging blue-white-red
// around zero for signed values, a sequential ramp for magnitudes. Hovering shows
// the source rows/columns a cell covers and its value.
// Usage: w->set_heatmap(std::move(h), /*signed_scale=*/true); connect(w, &HeatmapWidget::resized, ...);
#pragma once

#include <QImage>
#include <QWidget>

#include <optional>
#include <utility>

#include "strata/stats/tensor_stats.h"

namespace strata::studio {

class HeatmapWidget : public QWidget {
    Q_OBJECT
public:
    explicit HeatmapWidget(QWidget* parent = nullptr);
    // `range` fixes the colour scale (lo, hi), so heatmaps shown side by side share one.
    void set_heatmap(Heatmap heatmap, bool signed_scale, std::optional<std::pair<double, double>> range = {});
    void set_message(const QString& text);  // shown instead of a heatmap (loading, errors)
    const Heatmap& heatmap() const { return heatmap_; }
    bool has_heatmap() const { return !image_.isNull(); }
    std::pair<double, double> scale() const { return {lo_, hi_}; }
    // Cells that fit the plot area: what to ask the core for.
    QSize plot_cells() const;
    static QRgb colour(double t, bool signed_scale);  // t in [0, 1]

signals:
    void resized();

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    QRect plot_rect() const;
    QRect image_rect() const;
    Heatmap heatmap_;
    QImage image_;
    bool signed_ = true;
    double lo_ = 0, hi_ = 0;
    QString message_;
};

}  // namespace strata::studio
