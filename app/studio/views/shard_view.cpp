#include "views/shard_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "models/shard_grid_model.h"
#include "models/tensor_tree_model.h"
#include "strata/parallel/pattern_shards.h"
#include "strata/parallel/shard_layout.h"

namespace strata::studio {

namespace {

// Worker side: the model's shard layout, or the one its hybrid pattern implies (no basis
// without a pattern: the model is what the title already names). Each edit of the plan or the
// pattern supersedes the last request, so one still queued when superseded does no work.
Result<PatternShardLayout> compute_shards(const nlohmann::json& hf_config, const ShardLayoutOptions& options,
                                          const std::optional<LayerPattern>& pattern, MegatronVersion version,
                                          const CancelToken& cancel) {
    STRATA_RETURN_IF_ERROR(cancel.check());
    if (pattern) return pattern_shard_layout(hf_config, *pattern, options, version);
    STRATA_TRY(ShardLayout layout, shard_layout(hf_config, options));
    return PatternShardLayout{std::move(layout), {}};
}

}  // namespace

ShardView::ShardView(TaskRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    title_ = new QLabel(this);
    title_->setTextFormat(Qt::RichText);
    title_->setWordWrap(true);  // a long "why not" must not widen the window past the screen
    table_ = new QTableWidget(0, 5, this);
    table_->setObjectName("shardTable");
    table_->setHorizontalHeaderLabels(
        {tr("Rank (TP, PP, EP)"), tr("File"), tr("Parameters"), tr("Bytes"), tr("Training memory (dist. optimizer)")});
    for (int c = 0; c < 4; ++c) table_->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setSectionResizeMode(4, QHeaderView::Stretch);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(22);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);

    grid_model_ = new ShardGridModel(this);
    grid_view_ = new QTableView(this);
    grid_view_->setObjectName("shardGrid");
    grid_view_->setModel(grid_model_);
    grid_view_->setSelectionMode(QAbstractItemView::SingleSelection);
    grid_view_->horizontalHeader()->setDefaultSectionSize(26);
    grid_view_->horizontalHeader()->setMinimumSectionSize(18);
    grid_view_->verticalHeader()->setDefaultSectionSize(20);
    grid_view_->setStyleSheet("QTableView#shardGrid::item:selected { border: 2px solid #d01c8b; }");
    connect(grid_view_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) { show_cell(current); });
    cell_title_ = new QLabel(tr("Click a cell to list the tensors that rank holds for that layer."), this);
    cell_title_->setTextFormat(Qt::RichText);
    cell_list_ = new QTreeWidget(this);
    cell_list_->setObjectName("shardCellTensors");
    cell_list_->setHeaderLabels({tr("Stored tensor / canonical slice"), tr("Shape"), tr("DType"), tr("Bytes")});
    cell_list_->setUniformRowHeights(true);
    auto* cell_box = new QWidget(this);
    auto* cell_layout = new QVBoxLayout(cell_box);
    cell_layout->setContentsMargins(0, 0, 0, 0);
    cell_layout->addWidget(cell_title_);
    cell_layout->addWidget(cell_list_, 1);
    auto* grid_split = new QSplitter(Qt::Horizontal, this);
    grid_split->addWidget(grid_view_);
    grid_split->addWidget(cell_box);
    grid_split->setStretchFactor(0, 3);
    grid_split->setStretchFactor(1, 2);

    tabs_ = new QTabWidget(this);
    tabs_->addTab(table_, tr("Per-rank memory"));
    tabs_->addTab(grid_split, tr("Ranks × layers"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(title_);
    layout->addWidget(tabs_, 1);
    clear(tr("No plan"));
}

bool ShardView::select_cell(int row, int column) {
    const QModelIndex index = grid_model_->index(row, column);
    if (!index.isValid()) return false;
    tabs_->setCurrentIndex(1);
    grid_view_->setCurrentIndex(index);
    grid_view_->scrollTo(index);
    return true;
}

void ShardView::show_cell(const QModelIndex& index) {
    cell_list_->clear();
    if (!index.isValid()) return;
    const auto tensors = grid_model_->cell_tensors(index);
    cell_title_->setText(tr("<b>%1</b>, %2: %3 tensor(s), %4")
                             .arg(grid_model_->headerData(index.row(), Qt::Vertical).toString(),
                                  grid_model_->grid().column_layer[size_t(index.column())] >= 0
                                      ? tr("layer %1").arg(grid_model_->headerData(index.column(), Qt::Horizontal).toString())
                                      : grid_model_->headerData(index.column(), Qt::Horizontal).toString())
                             .arg(tensors.size())
                             .arg(human_bytes(index.data(Qt::UserRole).toULongLong())));
    for (const CellTensor& t : tensors) {
        auto* item = new QTreeWidgetItem(cell_list_, {t.name, t.shape, t.dtype, t.bytes});
        for (const QString& s : t.slices) new QTreeWidgetItem(item, {s});
    }
    cell_list_->expandAll();
    cell_list_->resizeColumnToContents(0);
}

void ShardView::clear(const QString& why) {
    ++generation_;
    if (task_) task_->cancel.cancel();
    task_.reset();
    table_->setRowCount(0);
    grid_model_->clear();
    cell_list_->clear();
    // Without a layout only the title line stays, so the checks above get the room.
    tabs_->hide();
    setMaximumHeight(title_->sizeHint().height());
    title_->setText(tr("<b>Per-rank shards</b> — %1").arg(why.toHtmlEscaped()));
}

void ShardView::request(const nlohmann::json& hf_config, const ParallelPlan& plan, int dp,
                        const std::optional<LayerPattern>& pattern, MegatronVersion version) {
    clear(tr("computing…"));
    tabs_->show();
    setMaximumHeight(QWIDGETSIZE_MAX);
    const int gen = generation_;
    ShardLayoutOptions o;
    o.layout.kind = LayoutKind::Megatron;
    o.layout.plan = plan;
    o.dp = std::max(1, dp);
    task_ = runner_->run<Result<PatternShardLayout>>(
        tr("Shard layout"),
        [hf_config, o, pattern, version](ProgressSink&, const CancelToken& cancel) {
            return compute_shards(hf_config, o, pattern, version, cancel);
        },
        this,
        [this, gen](Result<PatternShardLayout> r) {
            if (gen != generation_) return;
            task_.reset();
            if (!r) {
                title_->setText(tr("<b>Per-rank shards</b> — <font color=#b00000>%1</font>")
                                    .arg(QString::fromStdString(r.status().to_string()).toHtmlEscaped()));
                Q_EMIT layout_ready(false);
                return;
            }
            show_layout(std::make_shared<const ShardLayout>(std::move(r->layout)), QString::fromStdString(r->basis));
            Q_EMIT layout_ready(true);
        });
}

void ShardView::show_layout(std::shared_ptr<const ShardLayout> layout, const QString& basis) {
    const ShardLayout& sl = *layout;
    grid_model_->set_layout(layout);
    // Layer columns stay narrow; "embed" and "head" need their names.
    grid_view_->resizeColumnToContents(0);
    grid_view_->resizeColumnToContents(grid_model_->columnCount() - 1);
    const QLocale loc;
    uint64_t max_mem = 1;
    for (const auto& rk : sl.ranks) max_mem = std::max(max_mem, rk.memory_distributed.total());
    title_->setText(tr("<b>Per-rank shards</b> — %1 rank files, largest %2 (shard_layout%3)")
                        .arg(sl.ranks.size())
                        .arg(human_bytes(sl.max_rank_bytes()))
                        .arg(basis.isEmpty() ? QString() : tr(" of %1").arg(basis.toHtmlEscaped())));
    table_->setRowCount(int(sl.ranks.size()));
    for (int i = 0; i < int(sl.ranks.size()); ++i) {
        const RankShard& rk = sl.ranks[size_t(i)];
        table_->setItem(
            i, 0, new QTableWidgetItem(QStringLiteral("%1, %2, %3").arg(rk.rank.tp).arg(rk.rank.pp).arg(rk.rank.ep)));
        table_->setItem(i, 1, new QTableWidgetItem(QString::fromStdString(rk.file)));
        table_->setItem(i, 2, new QTableWidgetItem(loc.toString(qulonglong(rk.parameters))));
        table_->setItem(i, 3, new QTableWidgetItem(human_bytes(rk.bytes)));
        auto* bar = new QProgressBar(table_);
        bar->setRange(0, 1000);
        bar->setValue(int(1000.0 * double(rk.memory_distributed.total()) / double(max_mem)));
        bar->setFormat(tr("%1 (weights %2, grads %3, Adam %4)")
                           .arg(human_bytes(rk.memory_distributed.total()), human_bytes(rk.memory_distributed.weights),
                                human_bytes(rk.memory_distributed.grads),
                                human_bytes(rk.memory_distributed.optimizer)));
        table_->setCellWidget(i, 4, bar);
    }
}

}  // namespace strata::studio
