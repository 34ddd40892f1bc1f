// CanonicalView: any opened checkpoint seen as its canonical model (HF per-expert
// tensor names). The layout is detected from tensor names (HF per-expert, HF fused,
// HF fused-v5, Megatron any TP/PP/EP/ETP, TE or local norms, grouped / legacy /
// sequential experts), rebuilt from the config, and bound to the stored tensors:
// every stored tensor must be covered by a rule (else an error naming it, unless
// allow_unmapped) and every canonical tensor must be tiled. diff, convert and the
// forward pass all read through this.
// Usage: STRATA_TRY(auto view, CanonicalView::open(ckpt)); STRATA_TRY(auto bytes, view.read_canonical(name));
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint.h"
#include "strata/mapping/layout.h"
#include "strata/status.h"

namespace strata {

struct DetectedLayout {
    LayoutOptions options;
    nlohmann::json hf_config;  // config.json, or rebuilt from Megatron args
};

// Layout kind, plan and module choices of a checkpoint, from its names and config.
Result<DetectedLayout> detect_layout(const Checkpoint& ckpt);

struct CanonicalViewOptions {
    bool allow_unmapped = false;  // stored tensors no rule maps are listed, not fatal
};

class CanonicalView {
public:
    // `ckpt` must outlive the view.
    static Result<CanonicalView> open(const Checkpoint& ckpt, const CanonicalViewOptions& options = {});

    const Checkpoint& checkpoint() const { return *ckpt_; }
    const Layout& layout() const { return layout_; }
    const nlohmann::json& hf_config() const { return hf_config_; }
    // Canonical tensors (dtype = the stored dtype), in HF state-dict order.
    const std::vector<TensorEntry>& tensors() const { return layout_.canonical; }
    const TensorEntry* find(std::string_view name) const { return layout_.find_canonical(name); }
    // Checkpoint tensor index of each layout tensor.
    const std::vector<uint32_t>& binding() const { return binding_; }
    // Pieces that tile each canonical tensor once (one replica of each box).
    const std::vector<std::vector<uint32_t>>& primary_pieces() const { return primary_; }
    // Stored tensors no rule maps (only with allow_unmapped), and TE `_extra_state` entries skipped.
    const std::vector<std::string>& unmapped() const { return unmapped_; }

    Status read_canonical(std::string_view name, std::span<std::byte> out) const;
    Result<std::vector<std::byte>> read_canonical(std::string_view name) const;

private:
    std::shared_ptr<const Checkpoint> owned_;  // the legacy view of a torch_dist checkpoint
    const Checkpoint* ckpt_ = nullptr;
    Layout layout_;
    nlohmann::json hf_config_;
    std::vector<uint32_t> binding_;
    std::vector<std::vector<uint32_t>> primary_;
    std::vector<std::string> unmapped_;
};

}  // namespace strata
