// PickleValue: constructors, accessors, JSON view, and an iterative destructor so
// a hostile, deeply nested pickle cannot overflow the stack when it is freed.
#include "strata/formats/pickle_value.h"

#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

namespace strata {

struct PickleValue::Node {
    std::vector<PickleValue> items;
    std::vector<Item> entries;
    PickleTensorRef tensor;
    PickleStorageRef storage;

    Node() = default;
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;
    ~Node() {
        // Move children whose last owner is this node onto a local worklist, so
        // freeing a chain a million levels deep loops instead of recursing.
        std::vector<std::shared_ptr<Node>> work;
        auto take = [&](PickleValue& v) {
            if (v.node_ && v.node_.use_count() == 1) work.push_back(std::move(v.node_));
        };
        for (auto& v : items) take(v);
        for (auto& [k, v] : entries) {
            take(k);
            take(v);
        }
        while (!work.empty()) {
            std::shared_ptr<Node> n = std::move(work.back());
            work.pop_back();
            for (auto& v : n->items) take(v);
            for (auto& [k, v] : n->entries) {
                take(k);
                take(v);
            }
            n->items.clear();
            n->entries.clear();
        }
    }
};

namespace {
const std::vector<PickleValue> kNoItems;
const std::vector<PickleValue::Item> kNoEntries;
const PickleTensorRef kNoTensor;
const PickleStorageRef kNoStorage;
}  // namespace

PickleValue PickleValue::boolean(bool v) {
    PickleValue p;
    p.kind_ = Kind::Bool;
    p.int_ = v ? 1 : 0;
    return p;
}

PickleValue PickleValue::integer(int64_t v) {
    PickleValue p;
    p.kind_ = Kind::Int;
    p.int_ = v;
    return p;
}

PickleValue PickleValue::real(double v) {
    PickleValue p;
    p.kind_ = Kind::Float;
    p.float_ = v;
    return p;
}

PickleValue PickleValue::string(std::string v) {
    PickleValue p;
    p.kind_ = Kind::String;
    p.text_ = std::move(v);
    return p;
}

PickleValue PickleValue::bytes(std::string v) {
    PickleValue p;
    p.kind_ = Kind::Bytes;
    p.text_ = std::move(v);
    return p;
}

PickleValue PickleValue::list(std::vector<PickleValue> items) {
    PickleValue p;
    p.kind_ = Kind::List;
    p.node_ = std::make_shared<Node>();
    p.node_->items = std::move(items);
    return p;
}

PickleValue PickleValue::tuple(std::vector<PickleValue> items) {
    PickleValue p = list(std::move(items));
    p.kind_ = Kind::Tuple;
    return p;
}

PickleValue PickleValue::dict(std::vector<Item> items, bool ordered_dict) {
    PickleValue p;
    p.kind_ = Kind::Dict;
    p.int_ = ordered_dict ? 1 : 0;
    p.node_ = std::make_shared<Node>();
    p.node_->entries = std::move(items);
    return p;
}

PickleValue PickleValue::namespace_(std::vector<std::pair<std::string, PickleValue>> attrs) {
    PickleValue p;
    p.kind_ = Kind::Namespace;
    p.node_ = std::make_shared<Node>();
    for (auto& [k, v] : attrs) p.node_->entries.emplace_back(string(k), std::move(v));
    return p;
}

PickleValue PickleValue::tensor(PickleTensorRef ref) {
    PickleValue p;
    p.kind_ = Kind::Tensor;
    p.node_ = std::make_shared<Node>();
    p.node_->tensor = std::move(ref);
    return p;
}

PickleValue PickleValue::storage(PickleStorageRef ref) {
    PickleValue p;
    p.kind_ = Kind::Storage;
    p.node_ = std::make_shared<Node>();
    p.node_->storage = std::move(ref);
    return p;
}

PickleValue PickleValue::global(std::string module, std::string name) {
    PickleValue p;
    p.kind_ = Kind::Global;
    p.text_ = module + "." + name;
    p.module_ = std::move(module);
    return p;
}

PickleValue PickleValue::object(std::string module, std::string name, std::vector<PickleValue> args) {
    PickleValue p = global(std::move(module), std::move(name));
    p.kind_ = Kind::Object;
    p.node_ = std::make_shared<Node>();
    p.node_->items = std::move(args);
    return p;
}

PickleValue PickleValue::from_json(const nlohmann::json& j, bool as_namespace) {
    switch (j.type()) {
        case nlohmann::json::value_t::null: return none();
        case nlohmann::json::value_t::boolean: return boolean(j.get<bool>());
        case nlohmann::json::value_t::number_integer: return integer(j.get<int64_t>());
        case nlohmann::json::value_t::number_unsigned: {
            const auto u = j.get<uint64_t>();
            return u > static_cast<uint64_t>(INT64_MAX) ? real(static_cast<double>(u)) : integer(static_cast<int64_t>(u));
        }
        case nlohmann::json::value_t::number_float: return real(j.get<double>());
        case nlohmann::json::value_t::string: {
            // "torch.bfloat16" in a config stands for the dtype global, as Megatron's args hold it.
            const auto s = j.get<std::string>();
            if (s.rfind("torch.", 0) == 0 && dtype_from_torch_name(s.substr(6))) return global("torch", s.substr(6));
            return string(s);
        }
        case nlohmann::json::value_t::array: {
            std::vector<PickleValue> items;
            for (const auto& e : j) items.push_back(from_json(e));
            return list(std::move(items));
        }
        case nlohmann::json::value_t::object: {
            std::vector<Item> entries;
            for (auto it = j.begin(); it != j.end(); ++it) entries.emplace_back(string(it.key()), from_json(it.value()));
            PickleValue p = dict(std::move(entries));
            if (as_namespace) p.kind_ = Kind::Namespace;
            return p;
        }
        default: return none();
    }
}

const std::vector<PickleValue>& PickleValue::items() const {
    return node_ && (kind_ == Kind::List || kind_ == Kind::Tuple || kind_ == Kind::Object) ? node_->items : kNoItems;
}

std::vector<PickleValue>& PickleValue::mutable_items() {
    if (!node_) node_ = std::make_shared<Node>();
    return node_->items;
}

const std::vector<PickleValue::Item>& PickleValue::entries() const {
    return node_ && (kind_ == Kind::Dict || kind_ == Kind::Namespace || kind_ == Kind::Object) ? node_->entries
                                                                                                 : kNoEntries;
}

std::vector<PickleValue::Item>& PickleValue::mutable_entries() {
    if (!node_) node_ = std::make_shared<Node>();
    return node_->entries;
}

const PickleValue* PickleValue::get(std::string_view key) const {
    for (const auto& [k, v] : entries())
        if (k.is(Kind::String) && k.as_string() == key) return &v;
    return nullptr;
}

const PickleTensorRef& PickleValue::tensor_ref() const { return node_ && kind_ == Kind::Tensor ? node_->tensor : kNoTensor; }
PickleTensorRef& PickleValue::mutable_tensor_ref() {
    if (!node_) node_ = std::make_shared<Node>();
    return node_->tensor;
}
const PickleStorageRef& PickleValue::storage_ref() const {
    return node_ && kind_ == Kind::Storage ? node_->storage : kNoStorage;
}

namespace {

std::string key_string(const PickleValue& k) {
    switch (k.kind()) {
        case PickleValue::Kind::String: return k.as_string();
        case PickleValue::Kind::Int: return std::to_string(k.as_int());
        case PickleValue::Kind::Bool: return k.as_bool() ? "True" : "False";
        case PickleValue::Kind::None: return "None";
        case PickleValue::Kind::Global: return k.as_string();
        default: return "<key>";
    }
}

nlohmann::json to_json_at(const PickleValue& v, int depth) {
    using K = PickleValue::Kind;
    if (depth > kPickleMaxDepth) return "<nested too deep>";
    switch (v.kind()) {
        case K::None: return nullptr;
        case K::Bool: return v.as_bool();
        case K::Int: return v.as_int();
        case K::Float: return std::isfinite(v.as_float()) ? nlohmann::json(v.as_float()) : nlohmann::json(std::to_string(v.as_float()));
        case K::String: return v.as_string();
        case K::Bytes: return "<" + std::to_string(v.as_string().size()) + " bytes>";
        case K::Global: return v.as_string();
        case K::List:
        case K::Tuple: {
            auto a = nlohmann::json::array();
            for (const auto& e : v.items()) a.push_back(to_json_at(e, depth + 1));
            return a;
        }
        case K::Dict:
        case K::Namespace: {
            auto o = nlohmann::json::object();
            for (const auto& [k, e] : v.entries()) o[key_string(k)] = to_json_at(e, depth + 1);
            return o;
        }
        case K::Tensor: {
            const auto& t = v.tensor_ref();
            return {{"tensor", std::string(dtype_name(t.dtype))}, {"shape", t.shape}};
        }
        case K::Storage: return "<storage " + v.storage_ref().key + ">";
        case K::Object: {
            // Enums and similar: "AttnBackend(5)" reads better than a nested structure.
            const auto dot = v.as_string().rfind('.');
            std::string s = v.as_string().substr(dot == std::string::npos ? 0 : dot + 1) + "(";
            bool first = true;
            for (const auto& a : v.items()) {
                if (!first) s += ", ";
                first = false;
                const auto j = to_json_at(a, depth + 1);
                s += j.is_string() ? j.get<std::string>() : j.dump();
            }
            return s + ")";
        }
    }
    return nullptr;
}

}  // namespace

nlohmann::json PickleValue::to_json() const { return to_json_at(*this, 0); }

PickleValue::GraphStats PickleValue::graph_stats(uint64_t limit) const {
    GraphStats stats;
    if (!node_) {
        stats.expanded = 1;
        return stats;
    }
    // Iterative post-order DFS: done[n] = values a tree walk of n visits (saturating).
    std::unordered_map<const Node*, uint64_t> done;
    std::unordered_set<const Node*> open;
    struct Frame {
        const Node* node;
        size_t next;  // next child: items first, then entries' keys and values
        uint64_t sum;
    };
    auto child_count = [](const Node* n) { return n->items.size() + 2 * n->entries.size(); };
    auto child = [](const Node* n, size_t i) -> const PickleValue& {
        if (i < n->items.size()) return n->items[i];
        const auto& e = n->entries[(i - n->items.size()) / 2];
        return (i - n->items.size()) % 2 == 0 ? e.first : e.second;
    };
    const uint64_t cap = limit + 1;
    auto add = [cap](uint64_t a, uint64_t b) { return a + b >= cap || a + b < a ? cap : a + b; };
    std::vector<Frame> stack{{node_.get(), 0, 1}};
    open.insert(node_.get());
    while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.next == child_count(f.node)) {
            done[f.node] = f.sum;
            open.erase(f.node);
            const uint64_t sum = f.sum;
            stack.pop_back();
            if (!stack.empty()) stack.back().sum = add(stack.back().sum, sum);
            else stats.expanded = sum;
            continue;
        }
        const PickleValue& c = child(f.node, f.next++);
        const Node* cn = c.node_.get();
        if (!cn) {
            f.sum = add(f.sum, 1);
            continue;
        }
        if (open.count(cn)) {
            stats.cyclic = true;
            stats.containers = done.size() + open.size();
            stats.expanded = cap;
            return stats;
        }
        if (auto it = done.find(cn); it != done.end()) {
            f.sum = add(f.sum, it->second);
            continue;
        }
        open.insert(cn);
        stack.push_back({cn, 0, 1});
    }
    stats.containers = done.size();
    return stats;
}

void PickleValue::release_graph() {
    if (!node_) return;
    // Hold every reachable container first, then empty them: nothing is freed while walking.
    std::vector<std::shared_ptr<Node>> all{node_};
    std::unordered_set<const Node*> seen{node_.get()};
    for (size_t i = 0; i < all.size(); ++i) {
        auto visit = [&](const PickleValue& v) {
            if (v.node_ && seen.insert(v.node_.get()).second) all.push_back(v.node_);
        };
        for (const auto& v : all[i]->items) visit(v);
        for (const auto& [k, v] : all[i]->entries) {
            visit(k);
            visit(v);
        }
    }
    for (auto& n : all) {
        n->items.clear();
        n->entries.clear();
    }
}

}  // namespace strata
