#include "views/tensor_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <limits>

#include "models/tensor_tree_model.h"
#include "models/value_block_model.h"
#include "widgets/heatmap_widget.h"
#include "widgets/histogram_chart.h"

namespace strata::studio {

namespace {
constexpr int kBins = 80;
constexpr uint64_t kPageRows = 100;
constexpr uint64_t kPageCols = 16;

int clamp_int(uint64_t v) { return int(std::min<uint64_t>(v, uint64_t(std::numeric_limits<int>::max()))); }
}  // namespace

TensorView::TensorView(TaskRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    title_ = new QLabel(this);
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    info_ = new QLabel(this);
    info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    stats_label_ = new QLabel(this);
    stats_label_->setObjectName("statsLabel");
    stats_label_->setTextFormat(Qt::RichText);
    stats_label_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    stats_label_->setMinimumWidth(200);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setTextVisible(true);
    progress_->hide();
    histogram_ = new HistogramChart(this);
    auto* log_box = new QCheckBox(tr("Log counts"), this);
    connect(log_box, &QCheckBox::toggled, histogram_, &HistogramChart::set_log_scale);

    auto* stats_col = new QVBoxLayout;
    stats_col->addWidget(stats_label_, 1);
    stats_col->addWidget(log_box);
    stats_col->addWidget(progress_);
    auto* top = new QWidget(this);
    auto* top_layout = new QHBoxLayout(top);
    top_layout->setContentsMargins(0, 0, 0, 0);
    top_layout->addLayout(stats_col);
    top_layout->addWidget(histogram_, 1);

    // Heatmap tab.
    auto* heat_page = new QWidget(this);
    heat_slice_ = new QSpinBox(heat_page);
    heat_reduce_ = new QComboBox(heat_page);
    heat_reduce_->addItems({tr("mean"), tr("mean |x|"), tr("max |x|")});
    heatmap_ = new HeatmapWidget(heat_page);
    heat_debounce_ = new QTimer(this);
    heat_debounce_->setSingleShot(true);
    heat_debounce_->setInterval(250);
    auto* heat_bar = new QHBoxLayout;
    heat_bar->addWidget(new QLabel(tr("Slice"), heat_page));
    heat_bar->addWidget(heat_slice_);
    heat_bar->addWidget(new QLabel(tr("Block reduce"), heat_page));
    heat_bar->addWidget(heat_reduce_);
    heat_bar->addStretch();
    auto* heat_layout = new QVBoxLayout(heat_page);
    heat_layout->addLayout(heat_bar);
    heat_layout->addWidget(heatmap_, 1);
    connect(heat_debounce_, &QTimer::timeout, this, &TensorView::request_heatmap);
    connect(heatmap_, &HeatmapWidget::resized, heat_debounce_, qOverload<>(&QTimer::start));
    connect(heat_slice_, &QSpinBox::valueChanged, heat_debounce_, qOverload<>(&QTimer::start));
    connect(heat_reduce_, &QComboBox::currentIndexChanged, heat_debounce_, qOverload<>(&QTimer::start));

    // Values tab.
    auto* val_page = new QWidget(this);
    val_slice_ = new QSpinBox(val_page);
    val_row_ = new QSpinBox(val_page);
    val_row_->setSingleStep(int(kPageRows));
    val_col_ = new QSpinBox(val_page);
    val_col_->setSingleStep(int(kPageCols));
    values_ = new ValueBlockModel(this);
    values_view_ = new QTableView(val_page);
    values_view_->setModel(values_);
    values_view_->horizontalHeader()->setDefaultSectionSize(84);
    values_view_->verticalHeader()->setDefaultSectionSize(20);
    auto* val_bar = new QHBoxLayout;
    val_bar->addWidget(new QLabel(tr("Slice"), val_page));
    val_bar->addWidget(val_slice_);
    val_bar->addWidget(new QLabel(tr("First row"), val_page));
    val_bar->addWidget(val_row_);
    val_bar->addWidget(new QLabel(tr("First column"), val_page));
    val_bar->addWidget(val_col_);
    val_bar->addStretch();
    auto* val_layout = new QVBoxLayout(val_page);
    val_layout->addLayout(val_bar);
    val_layout->addWidget(values_view_, 1);
    for (QSpinBox* s : {val_slice_, val_row_, val_col_})
        connect(s, &QSpinBox::valueChanged, this, &TensorView::request_values);

    tabs_ = new QTabWidget(this);
    tabs_->addTab(heat_page, tr("Heatmap"));
    tabs_->addTab(val_page, tr("Values"));

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(tabs_);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(title_);
    layout->addWidget(info_);
    layout->addWidget(split, 1);

    connect(runner_, &TaskRunner::task_progress, this, [this](int id, const QString&, double f, const QString& phase) {
        if (stats_task_ && stats_task_->id == id) {
            progress_->setValue(int(f * 1000));
            progress_->setFormat(tr("%1 %p%").arg(phase));
        }
    });
    clear();
}

const TensorInfo* TensorView::tensor() const {
    return ckpt_ && tensor_ < ckpt_->tensors.size() ? &ckpt_->tensors[tensor_] : nullptr;
}

void TensorView::cancel_pending() {
    ++generation_;
    if (stats_task_) stats_task_->cancel.cancel();
    if (heatmap_task_) heatmap_task_->cancel.cancel();
    stats_task_.reset();
    heatmap_task_.reset();
}

void TensorView::clear() {
    cancel_pending();
    ckpt_.reset();
    has_stats_ = false;
    title_->setText(tr("<b>No tensor selected</b>"));
    info_->setText(tr("Select a tensor in the tree."));
    stats_label_->clear();
    progress_->hide();
    histogram_->clear();
    heatmap_->set_message(tr("No tensor"));
    values_->clear();
}

void TensorView::set_tensor(std::shared_ptr<const Checkpoint> ckpt, size_t tensor_index) {
    cancel_pending();
    ckpt_ = std::move(ckpt);
    tensor_ = tensor_index;
    has_stats_ = false;
    const TensorInfo* t = tensor();
    if (!t) return clear();
    const auto& file = ckpt_->file_of(*t);
    title_->setText(QStringLiteral("<b>%1</b>").arg(QString::fromStdString(t->name).toHtmlEscaped()));
    info_->setText(tr("%1  %2  ·  %3 parameters  ·  %4  ·  %5 @ byte %6")
                       .arg(QString::fromUtf8(dtype_name(t->dtype).data()),
                            QString::fromStdString(shape_to_string(t->shape)),
                            QLocale().toString(qulonglong(t->element_count())), human_bytes(t->byte_size()),
                            QString::fromStdString(file.display_name))
                       .arg(t->location.offset));
    const MatrixView m = matrix_view(t->shape);
    for (QSpinBox* s : {heat_slice_, val_slice_}) {
        QSignalBlocker block(s);
        s->setRange(0, clamp_int(m.slices - 1));
        s->setValue(0);
        s->setEnabled(m.slices > 1);
    }
    {
        QSignalBlocker b1(val_row_), b2(val_col_);
        val_row_->setRange(0, clamp_int(m.rows ? m.rows - 1 : 0));
        val_row_->setValue(0);
        val_col_->setRange(0, clamp_int(m.cols ? m.cols - 1 : 0));
        val_col_->setValue(0);
    }
    if (!dtype_is_decodable(t->dtype)) {
        const QString msg = tr("Values of dtype %1 cannot be decoded yet.").arg(QString::fromUtf8(dtype_name(t->dtype).data()));
        stats_label_->setText(msg);
        histogram_->clear();
        heatmap_->set_message(msg);
        values_->clear();
        return;
    }
    request_stats();
    request_heatmap();
    request_values();
}

void TensorView::show_stats(const TensorStats& s) {
    const QLocale loc;
    auto num = [](double v) { return QString::number(v, 'g', 6); };
    stats_label_->setText(tr("<table cellspacing=3>"
                             "<tr><td>min</td><td align=right><b>%1</b></td></tr>"
                             "<tr><td>max</td><td align=right><b>%2</b></td></tr>"
                             "<tr><td>mean</td><td align=right><b>%3</b></td></tr>"
                             "<tr><td>std</td><td align=right><b>%4</b></td></tr>"
                             "<tr><td>zeros</td><td align=right>%5</td></tr>"
                             "<tr><td>NaN</td><td align=right><font color=%8>%6</font></td></tr>"
                             "<tr><td>Inf</td><td align=right><font color=%9>%7</font></td></tr>"
                             "</table>")
                              .arg(num(s.min), num(s.max), num(s.mean), num(s.std),
                                   loc.toString(qulonglong(s.zero_count)), loc.toString(qulonglong(s.nan_count)),
                                   loc.toString(qulonglong(s.inf_count)), s.nan_count ? "red" : "black",
                                   s.inf_count ? "red" : "black"));
    histogram_->set_stats(s);
}

void TensorView::request_stats() {
    const int gen = generation_;
    progress_->setValue(0);
    progress_->show();
    stats_label_->setText(tr("Computing statistics…"));
    histogram_->clear(tr("Histogram (computing…)"));
    auto ckpt = ckpt_;
    const size_t idx = tensor_;
    stats_task_ = runner_->run<Result<TensorStats>>(
        tr("Statistics"),
        [ckpt, idx](ProgressSink& p, const CancelToken& c) { return tensor_stats(*ckpt, ckpt->tensors[idx], kBins, p, c); },
        this, [this, gen](Result<TensorStats> r) {
            if (gen != generation_) return;  // a newer tensor was selected
            stats_task_.reset();
            progress_->hide();
            if (!r) {
                stats_label_->setText(QString::fromStdString(r.status().to_string()).toHtmlEscaped());
                emit stats_finished(false);
                return;
            }
            stats_ = std::move(r).value();
            has_stats_ = true;
            show_stats(stats_);
            emit stats_finished(true);
        });
}

void TensorView::request_heatmap() {
    if (!tensor()) return;
    if (heatmap_task_) heatmap_task_->cancel.cancel();
    const int gen = generation_;
    const QSize cells = heatmap_->plot_cells();
    const auto reduce = HeatmapReduce(heat_reduce_->currentIndex());
    const uint64_t slice = uint64_t(heat_slice_->value());
    auto ckpt = ckpt_;
    const size_t idx = tensor_;
    if (heatmap_->heatmap().cells.empty()) heatmap_->set_message(tr("Computing heatmap…"));
    auto task = runner_->run<Result<Heatmap>>(
        tr("Heatmap"),
        [ckpt, idx, slice, cells, reduce](ProgressSink& p, const CancelToken& c) {
            return tensor_heatmap(*ckpt, ckpt->tensors[idx], slice, uint32_t(cells.height()), uint32_t(cells.width()),
                                  reduce, p, c);
        },
        this, [this, gen, reduce](Result<Heatmap> r) {
            if (gen != generation_) return;
            if (!r) {
                if (r.status().code() != StatusCode::Cancelled) {
                    heatmap_->set_message(QString::fromStdString(r.status().to_string()));
                    emit heatmap_finished(false);
                }
                return;
            }
            heatmap_task_.reset();
            heatmap_->set_heatmap(std::move(r).value(), reduce == HeatmapReduce::Mean);
            emit heatmap_finished(true);
        });
    heatmap_task_ = task;
}

void TensorView::request_values() {
    if (!tensor()) return;
    const int gen = generation_;
    auto ckpt = ckpt_;
    const size_t idx = tensor_;
    const uint64_t slice = uint64_t(val_slice_->value()), row = uint64_t(val_row_->value()),
                   col = uint64_t(val_col_->value());
    runner_->run<Result<ValueBlock>>(
        tr("Values"),
        [ckpt, idx, slice, row, col](ProgressSink&, const CancelToken&) {
            return tensor_block(*ckpt, ckpt->tensors[idx], slice, row, col, kPageRows, kPageCols);
        },
        this, [this, gen](Result<ValueBlock> r) {
            if (gen != generation_) return;
            if (!r) {
                values_->clear();
                emit values_finished(false);
                return;
            }
            values_->set_block(std::move(r).value());
            emit values_finished(true);
        });
}

}  // namespace strata::studio
