#include "widgets/histogram_chart.h"

#include <QVBoxLayout>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>

#include <QFontMetrics>

#include <algorithm>
#include <cmath>

namespace strata::studio {

namespace {
// The smallest 1, 2 or 5 × 10^n that is at least x.
double nice_step(double x) {
    const double p = std::pow(10.0, std::floor(std::log10(std::max(x, 1.0))));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= x) return m * p;
    return 10 * p;
}
constexpr double kLabelPadding = 2.0;  // Qt Charts' label padding above and below a y label
}  // namespace

HistogramChart::HistogramChart(QWidget* parent) : QWidget(parent) {
    chart_ = new QChart();
    chart_->setAnimationOptions(QChart::NoAnimation);
    chart_->legend()->hide();
    chart_->setMargins(QMargins(4, 4, 4, 4));
    view_ = new QChartView(chart_, this);
    view_->setRenderHint(QPainter::Antialiasing);
    view_->setMinimumHeight(150);
    connect(chart_, &QChart::plotAreaChanged, this, [this] { fit_y_ticks(); });
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
        y->setTickType(QValueAxis::TicksDynamic);
        y->setTickAnchor(0);
        y->setLabelFormat("%.0f");
        y->setTitleText(tr("count"));
        chart_->addAxis(y, Qt::AlignLeft);
        area->attachAxis(y);
    }
    chart_->setTitle(tr("Histogram (%1 bins)").arg(s.histogram.size()));
    fit_y_ticks();
}

// Picks a 1-2-5 tick interval on the linear count axis so each label gets at least its
// font height of axis (Qt's verticalaxis.cpp: height / ticks - 2 * padding).
void HistogramChart::fit_y_ticks() {
    auto axes = chart_->axes(Qt::Vertical);
    auto* y = axes.isEmpty() ? nullptr : qobject_cast<QValueAxis*>(axes.first());
    if (!y || stats_.histogram.empty()) return;
    const double h = chart_->plotArea().height();
    const double per_label = QFontMetrics(y->labelsFont()).height() + 2 * kLabelPadding + 4;
    const int max_ticks = std::max(2, int(h / per_label));
    const double peak = double(*std::max_element(stats_.histogram.begin(), stats_.histogram.end()));
    const double step = nice_step(std::max(1.0, peak / double(max_ticks - 1)));
    if (y->tickInterval() == step && y->max() == std::ceil(peak / step) * step) return;  // no relayout loop
    y->setTickInterval(step);
    y->setRange(0, std::max(step, std::ceil(peak / step) * step));
}

int HistogramChart::y_tick_count() const {
    auto axes = chart_->axes(Qt::Vertical);
    if (axes.isEmpty()) return 0;
    if (auto* y = qobject_cast<QValueAxis*>(axes.first())) return int(std::floor(y->max() / y->tickInterval() + 1e-9)) + 1;
    return 0;
}

double HistogramChart::y_label_room() const {
    const int n = y_tick_count();
    return n > 0 ? chart_->plotArea().height() / n - 2 * kLabelPadding : 0.0;
}

}  // namespace strata::studio
