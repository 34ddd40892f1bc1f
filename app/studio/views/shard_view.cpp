#include "views/shard_view.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QTableWidget>
#include <QVBoxLayout>

#include "models/tensor_tree_model.h"
#include "strata/parallel/shard_layout.h"

namespace strata::studio {

ShardView::ShardView(TaskRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    title_ = new QLabel(this);
    title_->setTextFormat(Qt::RichText);
    table_ = new QTableWidget(0, 5, this);
    table_->setObjectName("shardTable");
    table_->setHorizontalHeaderLabels(
        {tr("Rank (TP, PP, EP)"), tr("File"), tr("Parameters"), tr("Bytes"), tr("Training memory (dist. optimizer)")});
    table_->horizontalHeader()->setSectionResizeMode(4, QHeaderView::Stretch);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(22);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(title_);
    layout->addWidget(table_, 1);
    clear(tr("No plan"));
}

void ShardView::clear(const QString& why) {
    ++generation_;
    if (task_) task_->cancel.cancel();
    task_.reset();
    table_->setRowCount(0);
    title_->setText(tr("<b>Per-rank shards</b> — %1").arg(why.toHtmlEscaped()));
}

void ShardView::request(const nlohmann::json& hf_config, const ParallelPlan& plan, int dp) {
    clear(tr("computing…"));
    const int gen = generation_;
    ShardLayoutOptions o;
    o.layout.kind = LayoutKind::Megatron;
    o.layout.plan = plan;
    o.dp = std::max(1, dp);
    task_ = runner_->run<Result<ShardLayout>>(
        tr("Shard layout"), [hf_config, o](ProgressSink&, const CancelToken&) { return shard_layout(hf_config, o); },
        this, [this, gen](Result<ShardLayout> r) {
            if (gen != generation_) return;
            task_.reset();
            if (!r) {
                title_->setText(tr("<b>Per-rank shards</b> — <font color=#b00000>%1</font>")
                                    .arg(QString::fromStdString(r.status().to_string()).toHtmlEscaped()));
                Q_EMIT layout_ready(false);
                return;
            }
            const QLocale loc;
            uint64_t max_mem = 1;
            for (const auto& rk : r->ranks) max_mem = std::max(max_mem, rk.memory_distributed.total());
            title_->setText(tr("<b>Per-rank shards</b> — %1 rank files, largest %2 (shard_layout)")
                                .arg(r->ranks.size())
                                .arg(human_bytes(r->max_rank_bytes())));
            table_->setRowCount(int(r->ranks.size()));
            for (int i = 0; i < int(r->ranks.size()); ++i) {
                const RankShard& rk = r->ranks[size_t(i)];
                table_->setItem(i, 0, new QTableWidgetItem(QStringLiteral("%1, %2, %3").arg(rk.rank.tp).arg(rk.rank.pp).arg(rk.rank.ep)));
                table_->setItem(i, 1, new QTableWidgetItem(QString::fromStdString(rk.file)));
                table_->setItem(i, 2, new QTableWidgetItem(loc.toString(qulonglong(rk.parameters))));
                table_->setItem(i, 3, new QTableWidgetItem(human_bytes(rk.bytes)));
                auto* bar = new QProgressBar(table_);
                bar->setRange(0, 1000);
                bar->setValue(int(1000.0 * double(rk.memory_distributed.total()) / double(max_mem)));
                bar->setFormat(tr("%1 (weights %2, grads %3, Adam %4)")
                                   .arg(human_bytes(rk.memory_distributed.total()), human_bytes(rk.memory_distributed.weights),
                                        human_bytes(rk.memory_distributed.grads), human_bytes(rk.memory_distributed.optimizer)));
                table_->setCellWidget(i, 4, bar);
            }
            table_->resizeColumnsToContents();
            table_->horizontalHeader()->setSectionResizeMode(4, QHeaderView::Stretch);
            Q_EMIT layout_ready(true);
        });
}

}  // namespace strata::studio
