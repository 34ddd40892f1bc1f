// ShardView: per-rank bars for a Megatron plan from core shard_layout(): each rank
// file's parameters, bytes and training memory (weights + fp32 grads + Adam, with
// the distributed optimizer), drawn as bars against the largest rank. Computed in
// a TaskRunner worker; a newer request supersedes an older one.
// Usage: view->request(hf_config, plan, dp);
#pragma once

#include <QWidget>

#include <nlohmann/json.hpp>

#include "strata/parallel/parallel_plan.h"
#include "task_runner.h"

class QLabel;
class QTableWidget;

namespace strata::studio {

class ShardView : public QWidget {
    Q_OBJECT
public:
    ShardView(TaskRunner* runner, QWidget* parent = nullptr);
    void request(const nlohmann::json& hf_config, const ParallelPlan& plan, int dp);
    void clear(const QString& why);
    QTableWidget* table() const { return table_; }

signals:
    void layout_ready(bool ok);

private:
    TaskRunner* runner_;
    TaskPtr task_;
    int generation_ = 0;
    QLabel* title_;
    QTableWidget* table_;
};

}  // namespace strata::studio
