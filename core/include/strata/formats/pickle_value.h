// PickleValue: the Python values a torch.save pickle may hold, as plain data.
// The .pt reader produces them (it never executes anything: allow-listed globals
// become tensors, dicts, namespaces or opaque records) and the .pt writer consumes
// them for the non-tensor entries (Megatron's args, iteration...). Containers are
// shared on copy, like Python objects, so the unpickler's memo keeps identity.
// Usage: auto args = PickleValue::namespace_({{"num_layers", PickleValue::integer(2)}});
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/tensor_info.h"

namespace strata {

// A storage named by a torch.save persistent id: ("storage", torch.XStorage, key, location, numel).
struct PickleStorageRef {
    std::string key;           // record name under <root>/data/
    DType dtype = DType::U8;   // element type of a typed storage; U8 for torch.UntypedStorage
    bool untyped = false;      // torch.UntypedStorage: numel counts bytes
    uint64_t numel = 0;        // elements of the whole storage (not of the tensor)
    std::string location = "cpu";
};

// A tensor: a view (offset, shape, strides in elements) into a storage.
struct PickleTensorRef {
    PickleStorageRef storage;
    DType dtype = DType::U8;  // the tensor's dtype (differs from storage.dtype only for untyped storages)
    uint64_t storage_offset = 0;
    Shape shape;
    std::vector<int64_t> strides;  // one per dim, as torch writes them
    bool requires_grad = false;
    bool parameter = false;        // rebuilt through torch._utils._rebuild_parameter
    size_t entry = SIZE_MAX;       // writer only: index of the TensorEntry this value stands for
};

class PickleValue {
public:
    enum class Kind {
        None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Namespace,
        Tensor,   // PickleTensorRef
        Storage,  // a bare storage (only seen as an argument of a rebuild function)
        Global,   // a module-level name: torch.bfloat16, a storage class, an allow-listed callable
        Object,   // an allow-listed opaque object (numpy array, Megatron enum...): class + args
    };
    using Item = std::pair<PickleValue, PickleValue>;

    PickleValue() = default;  // None
    static PickleValue none() { return {}; }
    static PickleValue boolean(bool v);
    static PickleValue integer(int64_t v);
    static PickleValue real(double v);
    static PickleValue string(std::string v);
    static PickleValue bytes(std::string v);
    static PickleValue list(std::vector<PickleValue> items = {});
    static PickleValue tuple(std::vector<PickleValue> items = {});
    // Insertion-ordered; written as a plain dict (an OrderedDict when ordered_dict is set).
    static PickleValue dict(std::vector<Item> items = {}, bool ordered_dict = false);
    // argparse.Namespace: attribute name -> value.
    static PickleValue namespace_(std::vector<std::pair<std::string, PickleValue>> attrs = {});
    static PickleValue tensor(PickleTensorRef ref);
    static PickleValue storage(PickleStorageRef ref);
    static PickleValue global(std::string module, std::string name);
    static PickleValue object(std::string module, std::string name, std::vector<PickleValue> args);
    // A JSON value as a pickle value; objects become dicts, or Namespaces when as_namespace.
    static PickleValue from_json(const nlohmann::json& j, bool as_namespace = false);

    Kind kind() const { return kind_; }
    bool is(Kind k) const { return kind_ == k; }
    bool as_bool() const { return int_ != 0; }
    int64_t as_int() const { return int_; }
    double as_float() const { return float_; }
    // String, Bytes; for Global/Object the "module.name".
    const std::string& as_string() const { return text_; }
    const std::string& module() const { return module_; }  // Global/Object
    bool is_ordered_dict() const { return kind_ == Kind::Dict && int_ != 0; }

    // List, Tuple, Object (its args); empty for other kinds.
    const std::vector<PickleValue>& items() const;
    std::vector<PickleValue>& mutable_items();
    // Dict, Namespace (keys are Strings), Object (the attributes a BUILD opcode set on a
    // DCP metadata record; other objects keep none); empty for other kinds.
    const std::vector<Item>& entries() const;
    std::vector<Item>& mutable_entries();
    // Dict/Namespace lookup by string key; null if absent or not a mapping.
    const PickleValue* get(std::string_view key) const;

    const PickleTensorRef& tensor_ref() const;  // Tensor
    PickleTensorRef& mutable_tensor_ref();
    const PickleStorageRef& storage_ref() const;  // Storage

    // JSON view for configs and metadata: Namespace/Dict -> object (keys stringified),
    // List/Tuple -> array, Global -> "torch.bfloat16", Bytes -> "<N bytes>",
    // Tensor -> {"tensor": dtype, "shape": [...]}, Object -> "Class(args)". Depth-limited.
    nlohmann::json to_json() const;

    // Shared structure: `expanded` counts the values a tree walk from here would visit
    // (a list holding the previous list twice, 60 levels deep, is 900 bytes that expand to
    // 2^60), saturating at limit + 1; `cyclic` is set when a container contains itself.
    // Linear in the distinct containers, iterative (no recursion on deep chains).
    struct GraphStats {
        bool cyclic = false;
        uint64_t expanded = 0;
        uint64_t containers = 0;
    };
    GraphStats graph_stats(uint64_t limit) const;
    // Empties every container reachable from here, so a self-containing structure (a
    // reference cycle the shared pointers cannot free) is released when dropped.
    void release_graph();

    // True when both are the same container (shared identity), for memo bookkeeping.
    bool same_node(const PickleValue& other) const { return node_ && node_ == other.node_; }

    struct Node;

private:
    Kind kind_ = Kind::None;
    int64_t int_ = 0;  // Bool, Int; Dict: 1 when OrderedDict
    double float_ = 0;
    std::string text_;
    std::string module_;
    std::shared_ptr<Node> node_;  // containers, tensors, storages
};

// Deepest nesting any traversal of a pickle value follows before giving up.
constexpr int kPickleMaxDepth = 200;
// Most values a walk of a pickle may visit once shared containers are expanded; a real
// Megatron rank file holds a few thousand. Bounds the walk's time against hostile sharing.
constexpr uint64_t kPickleMaxExpanded = uint64_t{1} << 22;

}  // namespace strata
