#include "views/diff_heatmap_view.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

#include "widgets/heatmap_widget.h"

namespace strata::studio {

DiffHeatmapView::DiffHeatmapView(TaskRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    title_ = new QLabel(this);
    title_->setTextFormat(Qt::RichText);
    slice_ = new QSpinBox(this);
    slice_->setToolTip(tr("slice of a 3-D or larger tensor"));
    a_ = new HeatmapWidget(this);
    b_ = new HeatmapWidget(this);
    diff_ = new HeatmapWidget(this);
    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(250);
    auto* head = new QHBoxLayout;
    head->addWidget(title_, 1);
    head->addWidget(new QLabel(tr("Slice"), this));
    head->addWidget(slice_);
    auto* grid = new QGridLayout;
    const QString captions[] = {tr("A (block mean)"), tr("B (block mean, same scale)"), tr("|A − B| (block max)")};
    HeatmapWidget* maps[] = {a_, b_, diff_};
    for (int i = 0; i < 3; ++i) {
        grid->addWidget(new QLabel(captions[i], this), 0, i, Qt::AlignHCenter);
        grid->addWidget(maps[i], 1, i);
        grid->setColumnStretch(i, 1);
    }
    grid->setRowStretch(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(head);
    layout->addLayout(grid, 1);
    // A resize asks the core for a heatmap of the new size, once the resizing stops.
    for (HeatmapWidget* m : maps) connect(m, &HeatmapWidget::resized, debounce_, qOverload<>(&QTimer::start));
    connect(debounce_, &QTimer::timeout, this, &DiffHeatmapView::request);
    connect(slice_, &QSpinBox::valueChanged, this, &DiffHeatmapView::request);
    set_sources(nullptr);
}

void DiffHeatmapView::set_sources(std::shared_ptr<const DiffSources> sources) {
    sources_ = std::move(sources);
    name_.clear();
    ++generation_;
    if (task_) task_->cancel.cancel();
    task_.reset();
    title_->setText(tr("<b>Heatmaps</b> — click a row of the table"));
    show_message(sources_ ? tr("Click a difference above") : tr("Run a comparison first"));
}

void DiffHeatmapView::show_message(const QString& text) {
    for (HeatmapWidget* m : {a_, b_, diff_}) m->set_message(text);
}

void DiffHeatmapView::show_tensor(const QString& name) {
    if (!sources_ || name.isEmpty() || name == name_) return;
    name_ = name;
    const std::string n = name.toStdString();
    const TensorEntry* e = sources_->view_a->find(n);
    if (!e) e = sources_->view_b->find(n);
    const uint64_t slices = e ? matrix_view(e->shape).slices : 1;
    {
        QSignalBlocker block(slice_);
        slice_->setRange(0, int(std::min<uint64_t>(slices - 1, uint64_t(std::numeric_limits<int>::max()))));
        slice_->setValue(0);
        slice_->setEnabled(slices > 1);
    }
    title_->setText(tr("<b>%1</b>").arg(name.toHtmlEscaped()));
    request();
}

void DiffHeatmapView::request() {
    if (!sources_ || name_.isEmpty()) return;
    if (task_) task_->cancel.cancel();
    const int gen = ++generation_;
    QSize cells = a_->plot_cells().boundedTo(b_->plot_cells()).boundedTo(diff_->plot_cells());
    auto sources = sources_;
    const std::string name = name_.toStdString();
    const uint64_t slice = uint64_t(slice_->value());
    if (!a_->has_heatmap()) show_message(tr("Computing heatmaps…"));
    task_ = runner_->run<Result<DiffHeatmaps>>(
        tr("Diff heatmaps"),
        [sources, name, slice, cells](ProgressSink& p, const CancelToken& c) {
            return diff_heatmaps(*sources->view_a, *sources->view_b, name, slice, uint32_t(cells.height()),
                                 uint32_t(cells.width()), p, c);
        },
        this,
        [this, gen](Result<DiffHeatmaps> r) {
            if (gen != generation_) return;  // a newer tensor, slice or size was asked for
            task_.reset();
            if (!r) {
                show_message(QString::fromStdString(r.status().to_string()));
                emit heatmaps_finished(false);
                return;
            }
            show_result(std::move(r).value());
            emit heatmaps_finished(true);
        });
}

void DiffHeatmapView::show_result(DiffHeatmaps h) {
    // One symmetric scale for A and B, so equal colours mean equal values across the two.
    double m = 0;
    for (const auto* x : {&h.a, &h.b})
        if (*x) m = std::max({m, std::fabs((*x)->lo), std::fabs((*x)->hi)});
    const std::pair<double, double> shared{-m, m};
    if (h.a)
        a_->set_heatmap(std::move(*h.a), true, shared);
    else
        a_->set_message(tr("not in A"));
    if (h.b)
        b_->set_heatmap(std::move(*h.b), true, shared);
    else
        b_->set_message(tr("not in B"));
    if (h.diff)
        diff_->set_heatmap(std::move(*h.diff), false);
    else
        diff_->set_message(h.a && h.b ? tr("shapes differ") : tr("only on one side"));
}

}  // namespace strata::studio
