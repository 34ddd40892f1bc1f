// ShardView: a Megatron plan's shards from core shard_layout(), in two tabs. "Per-rank
// memory": each rank file's parameters, bytes and training memory (weights + fp32 grads +
// Adam, with the distributed optimizer) as bars against the largest rank. "Ranks × layers":
// a grid coloured by the bytes each rank holds of each layer (ShardGridModel); clicking a
// cell lists that rank's tensors for the layer and the canonical slices in them. With a hybrid
// pattern the layout is core pattern_shard_layout(): the model, or the M1 hybrid of it that the
// pattern describes (the title says which), or the reason no checkpoint has the pattern's
// tensors. Computed in a TaskRunner worker; a newer request supersedes an older one.
// Usage: view->request(hf_config, plan, dp, pattern, version); view->select_cell(rank, column);
#pragma once

#include <QWidget>

#include <memory>

#include <nlohmann/json.hpp>

#include <optional>

#include "strata/parallel/parallel_plan.h"
#include "strata/pattern/layer_pattern.h"
#include "task_runner.h"

class QLabel;
class QModelIndex;
class QTableView;
class QTableWidget;
class QTabWidget;
class QTreeWidget;

namespace strata {
struct ShardLayout;
}

namespace strata::studio {

class ShardGridModel;

class ShardView : public QWidget {
    Q_OBJECT
public:
    ShardView(TaskRunner* runner, QWidget* parent = nullptr);
    void request(const nlohmann::json& hf_config, const ParallelPlan& plan, int dp,
                 const std::optional<LayerPattern>& pattern = std::nullopt,
                 MegatronVersion version = kDefaultMegatronVersion);
    void clear(const QString& why);
    QLabel* title() const { return title_; }
    QTableWidget* table() const { return table_; }
    ShardGridModel* grid_model() const { return grid_model_; }
    QTableView* grid_view() const { return grid_view_; }
    QTreeWidget* cell_list() const { return cell_list_; }
    QTabWidget* tabs() const { return tabs_; }
    // Shows the grid tab and selects (rank row, column); false when outside the grid.
    bool select_cell(int row, int column);

signals:
    void layout_ready(bool ok);

private:
    void show_cell(const QModelIndex& index);
    void show_layout(std::shared_ptr<const ShardLayout> layout, const QString& basis);

    TaskRunner* runner_;
    TaskPtr task_;
    int generation_ = 0;
    QLabel* title_;
    QTableWidget* table_;
    QTabWidget* tabs_;
    ShardGridModel* grid_model_;
    QTableView* grid_view_;
    QLabel* cell_title_;
    QTreeWidget* cell_list_;
};

}  // namespace strata::studio
