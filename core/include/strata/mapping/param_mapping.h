// ParamMapping: how one group of canonical tensors becomes stored tensors of a
// layout (Megatron-Bridge param_mapping.py kinds). A registry rule pairs a layout
// name pattern with canonical patterns (by role: "q", "k", "v", "gate", "up", or
// "" for one tensor) and a kind; the kind expands each matched group, for the
// plan in the MappingContext, into LayoutTensors and Pieces (layout.h).
// Usage: rules.push_back({"decoder.layers.*.self_attention.linear_proj.weight",
//                         {{"", "model.layers.*.self_attn.o_proj.weight"}}, row()});
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "strata/mapping/layout.h"
#include "strata/status.h"

namespace strata {

// One canonical tensor of a group: its role in the rule and the wildcard captures
// its name produced (the last capture is the expert id for expert rules).
struct MappingMember {
    std::string role;
    uint32_t canonical = 0;
    std::vector<std::string> captures;
};

// Where a group's tensors live in a pipeline.
enum class Placement { Layer, FirstStage, LastStage };

struct MappingGroup {
    std::string layout_name;  // global name: global layer index, global expert id
    std::vector<MappingMember> members;
    Placement placement = Placement::Layer;

    // Members with this role, ordered by expert id when there are several.
    std::vector<const MappingMember*> role(std::string_view role) const;
    // The single member with this role; Internal error when the rule has none or several.
    Result<const MappingMember*> one(const char* role) const;
};

// One rank's copy of a tensor: the file it goes to and which of `splits` slices it holds.
struct Shard {
    RankCoord rank;
    int split = 0;
    int splits = 1;
};

// What a mapping kind needs while it expands: the model, the plan, and the layout being built.
class MappingContext {
public:
    explicit MappingContext(Layout& layout) : layout_(layout) {}
    const ModelSpec& spec() const { return layout_.spec; }
    const LayoutOptions& options() const { return layout_.options; }
    const TensorEntry& canonical(uint32_t index) const { return layout_.canonical[index]; }
    const Layout& layout() const { return layout_; }

    // Megatron-Bridge is_expert: the name holds `.experts.linear_fc` or `.experts.local_experts.`,
    // or (legacy GroupedMLP) `.experts.weight`.
    static bool is_expert_name(std::string_view name);
    // Every rank that stores a non-expert tensor of the group (split = TP rank), or an
    // expert tensor of EP rank `ep` (split = ETP rank).
    Result<std::vector<Shard>> shards(const MappingGroup& group, bool expert, int ep = 0) const;
    // Global name -> the name on its PP stage (local layer index).
    Result<std::string> local_name(const MappingGroup& group, const std::string& name) const;
    // Experts per EP rank.
    uint64_t local_experts() const;
    // An expert tensor's place: the global expert id (the member's last capture), its
    // EP rank and local index, and `name` renumbered to the local index (TEGroupedMLP
    // `weight<i>` suffix or SequentialMLP `local_experts.<i>.`).
    struct ExpertSlot {
        uint64_t global = 0;
        int ep = 0;
        uint64_t local = 0;
        std::string name;
    };
    Result<ExpertSlot> expert_slot(const MappingMember& member, const std::string& name) const;

    // Adds (or finds) a stored tensor; shapes of repeated adds must agree.
    Result<uint32_t> add_tensor(const std::string& name, const RankCoord& rank, DType dtype, const Shape& shape);
    // Adds a piece whose strides are the row-major strides of `stored_view` (a shape
    // with the stored tensor's element count): the canonical box maps onto the box
    // of the view starting at `view_start`, dimension k of the canonical box going to
    // view dimension `dims[k]` (identity when empty).
    Status add_piece(uint32_t canonical, const Box& box, uint32_t tensor, const Shape& stored_view,
                     const std::vector<uint64_t>& view_start, const std::vector<size_t>& dims = {}, float add = 0.0f);
    // Shorthand: the whole canonical tensor is the whole stored tensor.
    Status add_whole(uint32_t canonical, uint32_t tensor, float add = 0.0f);

private:
    Layout& layout_;
    std::unordered_map<std::string, uint32_t> index_;  // "name@tp.pp.ep" -> tensor
};

class ParamMapping {
public:
    virtual ~ParamMapping() = default;
    virtual const char* kind_name() const = 0;
    // Roles this kind expects in a rule ("" = a single unnamed tensor).
    virtual std::vector<std::string> roles() const { return {""}; }
    virtual Status expand(const MappingGroup& group, MappingContext& ctx) const = 0;
};

using MappingPtr = std::shared_ptr<const ParamMapping>;

// The kinds (param_mapping.py names in brackets). Each is one class in core/src/mapping/.
MappingPtr direct();              // [DirectMapping] copied whole, one owner rank
MappingPtr replicated();          // [ReplicatedMapping] whole on every rank of its stage
MappingPtr column();              // [ColumnParallelMapping] dim 0 split over TP (ETP for experts)
MappingPtr row();                 // [RowParallelMapping] dim 1 split (1-D: replicated)
MappingPtr vocab();               // column + zero rows up to the padded vocab
MappingPtr qkv();                 // [QKVMapping] roles q,k,v: group-major interleave, then column
MappingPtr kv();                  // [KVMapping] roles k,v: [k_g; v_g] per group, then column
MappingPtr gated_mlp();           // [GatedMLPMapping] roles gate,up: each rank [gate_r; up_r]
MappingPtr zero_centered_norm();  // [RMSNorm2ZeroCenteredRMSNormMapping] stored = w - 1, replicated
MappingPtr legacy_grouped_fc1();  // GroupedMLP weight1 [H, E_l*2F/e]: memory = E_l blocks of fc1_i^T
MappingPtr legacy_grouped_fc2();  // GroupedMLP weight2 [E_l*F/e, H]: memory = E_l blocks of fc2_i^T
MappingPtr fused_stack();         // HF fused [E, ...] = stack of per-expert tensors
MappingPtr fused_gate_up();       // transformers v5 gate_up_proj [E, 2I, H] = stack of cat(gate, up)

}  // namespace strata
