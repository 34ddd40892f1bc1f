// DiffHeatmapView: the Diff tab's lower pane. For the tensor picked in the differences table
// it shows A's and B's heatmaps on one shared colour scale and the heatmap of |A-B|, side by
// side, from core diff_heatmaps() run in a TaskRunner worker on the canonical views the diff
// opened (so a Megatron TP2 checkpoint is drawn in its canonical HF shape).
// Usage: view->set_sources(sources); view->show_tensor("model.layers.0.mlp.gate.weight");
#pragma once

#include <QWidget>

#include <memory>
#include <optional>

#include "strata/diff/diff_heatmap.h"
#include "task_runner.h"

class QLabel;
class QSpinBox;
class QTimer;

namespace strata::studio {

class HeatmapWidget;

// Both checkpoints and their canonical views, opened once by the diff worker and shared
// read-only with the heatmap workers (a view points into its checkpoint, hence the pointers).
struct DiffSources {
    std::unique_ptr<Checkpoint> a, b;
    std::optional<CanonicalView> view_a, view_b;
};

class DiffHeatmapView : public QWidget {
    Q_OBJECT
public:
    DiffHeatmapView(TaskRunner* runner, QWidget* parent = nullptr);
    void set_sources(std::shared_ptr<const DiffSources> sources);  // clears the shown tensor
    void show_tensor(const QString& name);
    QString tensor() const { return name_; }
    bool busy() const { return task_ != nullptr; }
    HeatmapWidget* heatmap_a() const { return a_; }
    HeatmapWidget* heatmap_b() const { return b_; }
    HeatmapWidget* heatmap_diff() const { return diff_; }

signals:
    void heatmaps_finished(bool ok);

private:
    void request();
    void show_result(DiffHeatmaps h);
    void show_message(const QString& text);

    TaskRunner* runner_;
    std::shared_ptr<const DiffSources> sources_;
    QString name_;
    TaskPtr task_;
    int generation_ = 0;
    QLabel* title_;
    QSpinBox* slice_;
    HeatmapWidget* a_;
    HeatmapWidget* b_;
    HeatmapWidget* diff_;
    QTimer* debounce_;
};

}  // namespace strata::studio
