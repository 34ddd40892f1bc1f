// StudioContext: what every panel shares (RenderDoc's "shared context"): the
// TaskRunner and the checkpoint currently open, as an immutable LoadedCheckpoint
// built in a worker by load_checkpoint(), and the design the Pattern and Parallel tabs
// are working on (the plan's axes, the hybrid attn_layers), which the convert dialog
// starts from. Panels read it and listen to its signals; they never talk to each other.
// Usage: connect(ctx, &StudioContext::current_changed, this, [=] { show(ctx->current()); });
#pragma once

#include <QObject>
#include <QString>

#include <memory>

#include "models/tensor_tree.h"
#include "strata/formats/checkpoint_summary.h"
#include "strata/parallel/parallel_plan.h"
#include "task_runner.h"

namespace strata::studio {

struct LoadedCheckpoint {
    QString path;
    std::shared_ptr<const Checkpoint> ckpt;
    CheckpointSummary summary;
    std::shared_ptr<TensorTree> tree;  // unfiltered; the inspector owns it once shown
    // The model's HF config: core detect_layout's (config.json, or rebuilt from Megatron args),
    // else the stored config as it is (the panels then say why it has no ModelSpec).
    nlohmann::json hf_config;
    double seconds = 0;                // open + summarize + tree build
};

// Worker side of File > Open: open_checkpoint, summarize, build the tree.
Result<std::shared_ptr<LoadedCheckpoint>> load_checkpoint(const QString& path, ProgressSink& progress,
                                                          const CancelToken& cancel);

class StudioContext : public QObject {
    Q_OBJECT
public:
    explicit StudioContext(QObject* parent = nullptr);
    TaskRunner* runner() const { return runner_; }
    const std::shared_ptr<const LoadedCheckpoint>& current() const { return current_; }
    void set_current(std::shared_ptr<const LoadedCheckpoint> loaded);

    // The Parallel tab's axes (set on every change there).
    const ParallelPlan& plan() const { return plan_; }
    void set_plan(const ParallelPlan& plan);
    // The Pattern tab's M1 attn_layers list ("0,2,4,...,47"); empty when the design has no Mamba layer.
    const QString& attn_layers() const { return attn_layers_; }
    void set_attn_layers(const QString& attn_layers);

signals:
    void current_changed();
    void design_changed();

private:
    TaskRunner* runner_;
    std::shared_ptr<const LoadedCheckpoint> current_;
    ParallelPlan plan_;
    QString attn_layers_;
};

}  // namespace strata::studio
