// HistogramChart: a Qt Charts view of a core TensorStats histogram, drawn as a
// filled step outline over [hist_lo, hist_hi]; a log-count option makes the
// tails of weight distributions visible. Animations stay off (screenshots). The count
// axis gets only as many ticks as its labels have room for: Qt Charts elides a label to
// "..." once the axis height per label is below the font height.
// Usage: chart->set_stats(stats); chart->set_log_scale(true);
#pragma once

#include <QWidget>

#include "strata/stats/tensor_stats.h"

class QChart;
class QChartView;

namespace strata::studio {

class HistogramChart : public QWidget {
    Q_OBJECT
public:
    explicit HistogramChart(QWidget* parent = nullptr);
    void set_stats(const TensorStats& stats);
    void set_log_scale(bool on);
    void clear(const QString& title = {});
    int bar_count() const { return int(stats_.histogram.size()); }
    // Ticks on the count axis, and the pixels of axis height each tick's label gets.
    int y_tick_count() const;
    double y_label_room() const;

private:
    void rebuild();
    void fit_y_ticks();
    TensorStats stats_;
    bool log_ = false;
    QChart* chart_;
    QChartView* view_;
};

}  // namespace strata::studio
