#include "studio_context.h"

#include <chrono>

#include "strata/formats/format_registry.h"
#include "strata/mapping/canonical_view.h"

namespace strata::studio {

Result<std::shared_ptr<LoadedCheckpoint>> load_checkpoint(const QString& path, ProgressSink& progress,
                                                          const CancelToken& cancel) {
    const auto t0 = std::chrono::steady_clock::now();
    progress.begin("opening", 3);
    auto out = std::make_shared<LoadedCheckpoint>();
    out->path = path;
    STRATA_TRY(auto ckpt, open_checkpoint(std::filesystem::path(path.toStdString())));
    progress.advance(1);
    STRATA_RETURN_IF_ERROR(cancel.check());
    auto shared = std::make_shared<const Checkpoint>(std::move(ckpt));
    out->summary = summarize(*shared);
    auto detected = detect_layout(*shared);
    out->hf_config = detected ? std::move(detected->hf_config) : shared->config;
    progress.advance(1);
    STRATA_TRY(out->tree, build_tensor_tree(*shared, "", cancel));
    progress.advance(1);
    out->ckpt = std::move(shared);
    out->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

StudioContext::StudioContext(QObject* parent) : QObject(parent), runner_(new TaskRunner(this)) {}

void StudioContext::set_current(std::shared_ptr<const LoadedCheckpoint> loaded) {
    current_ = std::move(loaded);
    emit current_changed();
}

void StudioContext::set_plan(const ParallelPlan& plan) {
    plan_ = plan;
    emit design_changed();
}

void StudioContext::set_attn_layers(const QString& attn_layers) {
    attn_layers_ = attn_layers;
    emit design_changed();
}

}  // namespace strata::studio
