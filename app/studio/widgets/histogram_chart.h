// HistogramChart: a Qt Charts view of a core TensorStats histogram, drawn as a
// filled step outline over [hist_lo, hist_hi]; a log-count option makes the
// tails of weight distributions visible. Animations stay off (screenshots).
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

private:
    void rebuild();
    TensorStats stats_;
    bool log_ = false;
    QChart* chart_;
    QChartView* view_;
};

}  // namespace strata::studio
