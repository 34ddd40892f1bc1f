// Layout: one way of storing a model, as a view of its canonical tensors (HF
// per-expert names). Every stored tensor is tiled by Pieces; a Piece says which
// box of which canonical tensor lands where in which stored tensor, as an element
// offset plus one element stride per canonical dimension, so splits, group-major
// interleaves, stacks and transposed memory layouts are all the same thing.
// Reading a layout inverts its pieces; converting composes two layouts' pieces.
// Usage: STRATA_TRY(auto layout, build_layout(spec, canonical, registry, {.kind = LayoutKind::Megatron}));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/formats/tensor_entry.h"
#include "strata/model/model_spec.h"
#include "strata/megatron/parallel_plan.h"
#include "strata/status.h"
#include "strata/tensor_info.h"

namespace strata {

class MappingRegistry;

enum class LayoutKind { Hf, HfFused, HfFusedV5, Megatron };
// Megatron MoE expert modules: TEGroupedMLP `linear_fc1.weight{i}`, legacy GroupedMLP
// `weight1/weight2` (Megatron-LM#909 memory layout), SequentialMLP `local_experts.{i}`.
enum class ExpertLayout { Grouped, LegacyGrouped, Sequential };
// TE spec fuses the pre-attention norm into linear_qkv (`layer_norm_weight`); the
// local spec keeps `input_layernorm.weight`.
enum class NormLayout { Te, Local };
// Hybrid Mamba2 (M1) in_proj / conv1d rows in Megatron (hybrid/hybrid_layout.h): M1's own
// [z|x|B|C|dt] with KV-sized x/B (9248 rows at 30B-A3B), or stock MambaMixer with ngroups =
// heads and x/B repeated per head (16416 rows, function-preserving).
enum class MambaLayout { M1, Exact };

const char* layout_kind_name(LayoutKind kind);  // "hf", "hf-fused", "hf-fused-v5", "megatron"
std::optional<LayoutKind> parse_layout_kind(std::string_view name);
const char* expert_layout_name(ExpertLayout layout);  // "grouped", "legacy-grouped", "sequential"
std::optional<ExpertLayout> parse_expert_layout(std::string_view name);
const char* norm_layout_name(NormLayout layout);  // "te", "local"
std::optional<NormLayout> parse_norm_layout(std::string_view name);

struct LayoutOptions {
    LayoutKind kind = LayoutKind::Hf;
    ParallelPlan plan;  // Megatron only; HF layouts are unsharded
    ExpertLayout experts = ExpertLayout::Grouped;
    NormLayout norms = NormLayout::Te;
    bool vocab_padding = true;  // Megatron pads the vocab to make_vocab_size_divisible_by * tp
    uint64_t padded_vocab = 0;  // rows as stored (args.padded_vocab_size); 0 = computed from the above
    // Hybrids only (hybrid/hybrid_layout.h): Mamba row layout, Megatron core >= v0.19 conv1d
    // parameter names (mixer.conv1d_weight), and MoE slots written 'E' (v0.16+) rather than '-'.
    MambaLayout mamba = MambaLayout::M1;
    bool conv1d_params = false;
    bool moe_symbol_e = true;
    // GDN hybrids, HF packed experts: MTP experts packed like the decoder's (Qwen3.6) rather
    // than per expert (Qwen3.5) (facts bridge-mappings §3.8, Megatron-Bridge#4329).
    bool mtp_experts_packed = false;
    // The Megatron-Core minor version the output is written for (--megatron-version; 0 = not
    // said, 99 = main): names follow it, and what it cannot load is refused (convert.cpp).
    int megatron_minor = 0;
};

// A box in a tensor: start and extent per dimension.
struct Box {
    std::vector<uint64_t> start;
    std::vector<uint64_t> extent;
    uint64_t numel() const;
    bool operator==(const Box&) const = default;
};
// The common part of two boxes of the same rank; nullopt when they do not overlap.
std::optional<Box> intersect(const Box& a, const Box& b);
// "[0:32, 0:64]"
std::string box_to_string(const Box& box);

// One stored tensor of a layout. `rank` is the Megatron file that holds it.
struct LayoutTensor {
    std::string name;
    RankCoord rank;
    DType dtype = DType::BF16;
    Shape shape;
    uint32_t file = 0;  // index into Layout::files
};

struct Piece {
    uint32_t canonical = 0;        // index into Layout::canonical
    Box box;                       // region of the canonical tensor, in its own coordinates
    uint32_t tensor = 0;           // index into Layout::tensors
    uint64_t offset = 0;           // element offset in the stored tensor of the box's first element
    std::vector<int64_t> strides;  // element step in the stored tensor per canonical dimension
    float add = 0.0f;              // stored = canonical + add (zero-centred norms store w - 1)
};

// One output file of a layout: "" for an HF folder, "iter_0000001/mp_rank_00_000/model_optim_rng.pt".
struct LayoutFile {
    std::string path;
    RankCoord rank;
};

struct Layout {
    LayoutOptions options;
    ModelSpec spec;
    std::vector<TensorEntry> canonical;  // HF per-expert tensors, in state-dict order
    std::vector<LayoutFile> files;
    std::vector<LayoutTensor> tensors;  // in file order, then mapping order
    std::vector<Piece> pieces;          // grouped by tensor, in tensor order
    uint64_t padded_vocab = 0;          // Megatron rows of embedding/output (0 for HF)
    // Megatron: first global layer of each PP stage, plus the end; with VPP > 1, of each virtual
    // chunk c (on stage c % PP, model chunk c / PP).
    std::vector<int> stage_layers;

    const TensorEntry* find_canonical(std::string_view name) const;
    // Pieces of each canonical tensor (indices into pieces).
    std::vector<std::vector<uint32_t>> pieces_by_canonical() const;
};

// Builds `options.kind`'s layout of a model: every canonical tensor is matched to
// the first registry rule that names it (an unmatched tensor is an error naming it).
Result<Layout> build_layout(const ModelSpec& spec, const std::vector<TensorEntry>& canonical,
                            const MappingRegistry& registry, const LayoutOptions& options);

// Megatron helpers shared by the layout, the args writer and the shard layout.
// Vocab rows Megatron allocates: V rounded up to make_vocab_size_divisible_by * tp
// (megatron/training/tokenizer `_vocab_size_with_padding`), or V when padding is off.
Result<uint64_t> megatron_padded_vocab(uint64_t vocab, const ParallelPlan& plan, bool padding);
// First global layer of each PP stage plus the layer count (even split, or the
// first/last stage counts of the plan).
Result<std::vector<int>> megatron_stage_layers(int layers, const ParallelPlan& plan);
// "mp_rank_01_002_003" as Megatron's get_checkpoint_name builds it.
std::string megatron_rank_dir(const RankCoord& rank, const ParallelPlan& plan);

}  // namespace strata
