// The torch_dist layout of a Megatron model under a parallel plan: what each rank writes into
// its `__R_0.distcp` file. torch_dist stores global tensors (facts torch-dist.md §1.5); a rank
// saves the boxes of them it holds, as chunks. So the chunks are found by composing two
// Megatron layouts of the same model: the one at the plan (what each rank holds, in legacy
// names) and the global one at TP = PP = EP = ETP = 1 (the global tensors, in legacy names
// that torch_dist_keys.h turns into DCP keys and leading layer / expert offsets). Each rank
// tensor's pieces map into a global tensor by a translation (one chunk: a whole TP slice)
// or by several (SwiGLU fc1: the gate and up halves, two chunks); a box another rank already
// saves (norms, routers, dense weights under EP, the tied output copy) is written once, by the
// first rank, as Megatron saves only replica 0. The result is a Layout whose stored tensors
// are the chunks, so plan_conversion and the executor write torch_dist like any other layout.
// Usage: STRATA_TRY(auto td, torch_dist_layout(at_plan, global, naming));
//        plan_conversion(view, td.layout); ... td.chunks[i] says where tensor i goes.
#pragma once

#include <string>
#include <vector>

#include "strata/formats/torch_dist_writer.h"  // TorchDistChunk
#include "strata/mapping/layout.h"
#include "strata/mapping/torch_dist_keys.h"
#include "strata/status.h"

namespace strata {

struct TorchDistLayout {
    Layout layout;                                 // tensors = chunks; files = "__R_0.distcp" per rank
    std::vector<TorchDistChunk> chunks;            // one per layout tensor
    std::vector<std::vector<std::string>> extra_states;  // per layout file: the _extra_state objects it holds
};

// The naming of a model's torch_dist keys (stacked or per-layer, the MoE layers, the spec's norm
// names, the Mamba sections). Refused by name: Gated DeltaNet hybrids and MTP layers (their
// torch_dist keys are not written yet) and M1's own Mamba rows (`options.mamba`).
Result<TorchDistNaming> torch_dist_naming(const ModelSpec& spec, const LayoutOptions& options, NormLayout spec_norms);

// `at_plan`: the Megatron layout at the target plan; `global`: the same model at TP = PP = EP =
// ETP = 1 with at_plan's padded vocab, grouped experts and TE norm names.
Result<TorchDistLayout> torch_dist_layout(const Layout& at_plan, const Layout& global, const TorchDistNaming& naming);

}  // namespace strata
