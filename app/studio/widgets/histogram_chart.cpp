#include "widgets/histogram_chart.h"

#include <QVBoxLayout>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>

#include <algorithm>

namespace strata::studio {

HistogramChart::HistogramChart(QWidget* parent) : QWidget(parent) {
    chart_ = new QChart();
    chart_->setAnimationOptions(QChart::NoAnimation);
    chart_->legend()->hide();
    chart_->setMargins(QMargins(4, 4, 4, 4));
    view_ = new QChartView(chart_, this);
    view_->setRenderHint(QPainter::Antialiasing);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(view_);
    clear();
}

void HistogramChart::clear(const QString& title) {
    stats_ = {};
    chart_->removeAllSeries();
    for (auto* axis : chart_->axes()) {
        chart_->removeAxis(axis);
        delete axis;
    }
    chart_->setTitle(title.isEmpty() ? tr("Histogram") : title);
}

void HistogramChart::set_log_scale(bool on) {
    log_ = on;
    if (!stats_.histogram.empty()) rebuild();
}

void HistogramChart::set_stats(const TensorStats& stats) {
    stats_ = stats;
    rebuild();
}

void HistogramChart::rebuild() {
    const TensorStats s = stats_;
    clear();
    stats_ = s;
    if (s.histogram.empty()) return;
    const double floor_y = log_ ? 0.5 : 0.0;  // log axes cannot show 0
    auto* upper = new QLineSeries();
    auto* lower = new QLineSeries();
    const double width = (s.hist_hi - s.hist_lo) / double(s.histogram.size());
    uint64_t peak = 1;
    for (size_t i = 0; i < s.histogram.size(); ++i) {
        const double x0 = s.hist_lo + width * double(i), x1 = x0 + width;
        const double y = s.histogram[i] ? double(s.histogram[i]) : floor_y;
        upper->append(x0, y);
        upper->append(x1, y);
        peak = std::max(peak, s.histogram[i]);
    }
    lower->append(s.hist_lo, floor_y);
    lower->append(s.hist_hi, floor_y);
    auto* area = new QAreaSeries(upper, lower);
    area->setColor(QColor(70, 130, 180, 200));
    area->setBorderColor(QColor(30, 70, 120));
    chart_->addSeries(area);
    auto* x = new QValueAxis();
    x->setRange(s.hist_lo, s.hist_hi);
    x->setLabelFormat("%.3g");
    x->setTickCount(5);
    x->setTitleText(tr("value"));
    chart_->addAxis(x, Qt::AlignBottom);
    area->attachAxis(x);
    if (log_) {
        auto* y = new QLogValueAxis();
        y->setRange(floor_y, double(peak) * 2);
        y->setLabelFormat("%g");
        y->setTitleText(tr("count (log)"));
        chart_->addAxis(y, Qt::AlignLeft);
        area->attachAxis(y);
    } else {
        auto* y = new QValueAxis();
        y->setRange(0, double(peak) * 1.05);
        y->applyNiceNumbers();
        y->setLabelFormat("%.0f");
        y->setTitleText(tr("count"));
        chart_->addAxis(y, Qt::AlignLeft);
        area->attachAxis(y);
    }
    chart_->setTitle(tr("Histogram (%1 bins)").arg(s.histogram.size()));
}

}  // namespace strata::studio
