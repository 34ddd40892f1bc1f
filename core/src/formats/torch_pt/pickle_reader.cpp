// The restricted, non-executing unpickler for torch.save's data.pkl.
// Opcodes: Python Lib/pickletools.py (protocols 0-5); those torch.save emits are
// listed in facts formats-gui.md §2.3; protocol-4 framing/memo opcodes are cheap
// extras. Globals: torch/_weights_only_unpickler.py's defaults plus what Megatron's
// args and rng_state need (megatron/core/safe_globals.py), all read symbolically.
#include <algorithm>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "formats/torch_pt/pickle.h"

namespace strata::torch_pt {
namespace {

using K = PickleValue::Kind;

enum class Role {
    OrderedDict, RebuildV1, RebuildV2, RebuildV3, RebuildParameter, RebuildFromType,
    TypedStorage, UntypedStorage, Size, Dtype, Device, Namespace, CodecsEncode, BytesIO,
    Path, Set, TensorType, Opaque,
    DcpRecord,  // a DCP metadata class: an Object whose BUILD state becomes its attributes
    DcpLayout,  // torch.serialization._get_layout("torch.strided") -> the layout's name
};

struct AllowRow {
    std::string_view module, name;
    Role role;
};

// The allow-list. torch rows: torch/_weights_only_unpickler.py `_get_allowed_globals`.
// Megatron rows: megatron/core/safe_globals.py (args enums, rng_state's numpy pieces).
constexpr AllowRow kAllow[] = {
    {"collections", "OrderedDict", Role::OrderedDict},
    {"torch._utils", "_rebuild_tensor", Role::RebuildV1},
    {"torch._utils", "_rebuild_tensor_v2", Role::RebuildV2},
    {"torch._utils", "_rebuild_tensor_v3", Role::RebuildV3},
    {"torch._utils", "_rebuild_parameter", Role::RebuildParameter},
    {"torch._utils", "_rebuild_parameter_with_state", Role::RebuildParameter},
    {"torch._tensor", "_rebuild_from_type_v2", Role::RebuildFromType},
    {"torch", "UntypedStorage", Role::UntypedStorage},
    {"torch.storage", "UntypedStorage", Role::UntypedStorage},
    {"torch", "Size", Role::Size},
    {"torch", "device", Role::Device},
    {"torch", "Tensor", Role::TensorType},
    {"torch.nn.parameter", "Parameter", Role::TensorType},
    {"argparse", "Namespace", Role::Namespace},
    {"types", "SimpleNamespace", Role::Namespace},
    {"_codecs", "encode", Role::CodecsEncode},
    {"_io", "BytesIO", Role::BytesIO},
    {"io", "BytesIO", Role::BytesIO},
    {"pathlib", "PosixPath", Role::Path},
    {"pathlib", "Path", Role::Path},
    {"builtins", "set", Role::Set},
    {"builtins", "frozenset", Role::Set},
    {"numpy.core.multiarray", "_reconstruct", Role::Opaque},
    {"numpy._core.multiarray", "_reconstruct", Role::Opaque},
    {"numpy.core.multiarray", "scalar", Role::Opaque},
    {"numpy._core.multiarray", "scalar", Role::Opaque},
    {"numpy", "ndarray", Role::Opaque},
    {"numpy", "dtype", Role::Opaque},
    {"megatron.core.enums", "ModelType", Role::Opaque},
    {"megatron.core.transformer.enums", "ModelType", Role::Opaque},
    {"megatron.core.transformer.enums", "AttnBackend", Role::Opaque},
    {"megatron.core.transformer.enums", "AttnMaskType", Role::Opaque},
    {"megatron.core.transformer.enums", "AttnType", Role::Opaque},
    {"megatron.core.transformer.enums", "CudaGraphScope", Role::Opaque},
    {"megatron.core.transformer.enums", "LayerType", Role::Opaque},
    {"megatron.core.transformer.cuda_graphs", "CudaGraphModule", Role::Opaque},
    {"megatron.core.rerun_state_machine", "RerunMode", Role::Opaque},
    {"megatron.core.rerun_state_machine", "RerunState", Role::Opaque},
    {"megatron.core.rerun_state_machine", "RerunDiagnostic", Role::Opaque},
};

// Only in a DCP .metadata file (torch/distributed/checkpoint/metadata.py, planner.py,
// filesystem.py; torch/distributed/_shard/sharded_tensor/metadata.py for the TensorProperties
// older torch pickles; torch/serialization.py _get_layout). Nothing here is ever called:
// each becomes a record of its constructor arguments and BUILD state.
constexpr AllowRow kAllowDcp[] = {
    {"torch.distributed.checkpoint.metadata", "Metadata", Role::DcpRecord},
    {"torch.distributed.checkpoint.metadata", "TensorStorageMetadata", Role::DcpRecord},
    {"torch.distributed.checkpoint.metadata", "BytesStorageMetadata", Role::DcpRecord},
    {"torch.distributed.checkpoint.metadata", "ChunkStorageMetadata", Role::DcpRecord},
    {"torch.distributed.checkpoint.metadata", "TensorProperties", Role::DcpRecord},
    {"torch.distributed.checkpoint.metadata", "MetadataIndex", Role::DcpRecord},
    {"torch.distributed.checkpoint.metadata", "StorageMeta", Role::DcpRecord},
    {"torch.distributed.checkpoint.metadata", "_MEM_FORMAT_ENCODING", Role::DcpRecord},
    {"torch.distributed._shard.sharded_tensor.metadata", "TensorProperties", Role::DcpRecord},
    {"torch.distributed._shard.sharded_tensor.metadata", "MEM_FORMAT_ENCODING", Role::DcpRecord},
    {"torch.distributed.checkpoint.filesystem", "_StorageInfo", Role::DcpRecord},
    {"torch.distributed.checkpoint.filesystem", "_StoragePrefix", Role::DcpRecord},
    {"torch.distributed.checkpoint.planner", "SavePlan", Role::DcpRecord},
    {"torch.distributed.checkpoint.planner", "WriteItem", Role::DcpRecord},
    {"torch.distributed.checkpoint.planner", "WriteItemType", Role::DcpRecord},
    {"torch.distributed.checkpoint.planner", "TensorWriteData", Role::DcpRecord},
    {"torch.serialization", "_get_layout", Role::DcpLayout},
};
// Megatron's planner classes (MCoreSavePlan, MCoreMetadata, ...) change between releases:
// any class of this package is kept as an opaque record (facts torch-dist.md §0.6).
constexpr std::string_view kMegatronDcpModule = "megatron.core.dist_checkpointing.";

std::optional<Role> dcp_role_of(std::string_view module, std::string_view name) {
    for (const auto& r : kAllowDcp)
        if (r.module == module && r.name == name) return r.role;
    if (module.substr(0, kMegatronDcpModule.size()) == kMegatronDcpModule) return Role::DcpRecord;
    return std::nullopt;
}

std::optional<Role> role_of(std::string_view module, std::string_view name, PickleGlobals globals) {
    if (globals == PickleGlobals::DcpMetadata)
        if (auto role = dcp_role_of(module, name)) return role;
    for (const auto& r : kAllow)
        if (r.module == module && r.name == name) return r.role;
    if (module == "torch") {
        if (dtype_from_torch_storage(name)) return Role::TypedStorage;
        if (dtype_from_torch_name(name)) return Role::Dtype;
    }
    // numpy.dtypes.Float64DType and friends (numpy >= 1.25 pickles dtypes through them).
    if (module == "numpy.dtypes" && name.size() > 5 && name.substr(name.size() - 5) == "DType") return Role::Opaque;
    return std::nullopt;
}

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        const size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 99;
        if (n == 99 || (n > 0 && i + n >= s.size())) return false;
        for (size_t k = 1; k <= n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
        i += n + 1;
    }
    return true;
}

std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x80) out.push_back(static_cast<char>(c));
        else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

// UTF-8 text whose code points are all < 256 -> those bytes (Python's str.encode('latin1')).
std::optional<std::string> utf8_to_latin1(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) out.push_back(static_cast<char>(c));
        else if ((c >> 5) == 0x6 && i + 1 < s.size() && c <= 0xC3) {
            out.push_back(static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F)));
            ++i;
        } else return std::nullopt;
    }
    return out;
}

const char* kind_name(K k) {
    switch (k) {
        case K::None: return "None";
        case K::Bool: return "bool";
        case K::Int: return "int";
        case K::Float: return "float";
        case K::String: return "str";
        case K::Bytes: return "bytes";
        case K::List: return "list";
        case K::Tuple: return "tuple";
        case K::Dict: return "dict";
        case K::Namespace: return "Namespace";
        case K::Tensor: return "tensor";
        case K::Storage: return "storage";
        case K::Global: return "global";
        case K::Object: return "object";
    }
    return "?";
}

class Unpickler {
public:
    Unpickler(std::span<const std::byte> data, const std::string& display, uint64_t base, PickleGlobals globals)
        : d_(data), display_(display), base_(base), globals_(globals) {}

    // Frees what the run built even when it holds a reference cycle (a list that contains
    // itself), which shared pointers alone would leak; true when there was one.
    bool release_cycles() {
        std::vector<PickleValue> roots(stack_.begin(), stack_.end());
        for (const auto& [k, v] : memo_) roots.push_back(v);
        roots.insert(roots.end(), discarded_.begin(), discarded_.end());
        PickleValue all = PickleValue::list(std::move(roots));
        if (!all.graph_stats(UINT64_MAX - 1).cyclic) return false;
        all.release_graph();
        return true;
    }

    Result<PickleValue> run() {
        for (;;) {
            if (pos_ >= d_.size()) return fail(StatusCode::Truncated, "pickle ends without a STOP opcode");
            op_pos_ = pos_;
            const auto op = static_cast<uint8_t>(d_[pos_++]);
            STRATA_RETURN_IF_ERROR(step(op));
            if (done_) {
                if (stack_.empty()) return fail(StatusCode::Corrupt, "STOP with an empty stack");
                return stack_.back();
            }
        }
    }

private:
    Status fail(StatusCode code, const std::string& m) const {
        const char* what = globals_ == PickleGlobals::TorchSave ? "data.pkl: " : "pickle: ";
        return Status(code, what + m).in_file(display_).at_offset(base_ + op_pos_);
    }
    Status corrupt(const std::string& m) const { return fail(StatusCode::Corrupt, m); }

    Result<uint64_t> read_uint(size_t n) {
        if (d_.size() - pos_ < n) return fail(StatusCode::Truncated, "pickle ends inside an opcode argument");
        uint64_t v = 0;
        for (size_t i = n; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(d_[pos_ + i]);
        pos_ += n;
        return v;
    }
    Result<std::string_view> read_bytes(uint64_t n) {
        if (d_.size() - pos_ < n)
            return fail(StatusCode::Truncated, "a " + std::to_string(n) + "-byte argument runs past the end of the pickle");
        std::string_view s(reinterpret_cast<const char*>(d_.data() + pos_), static_cast<size_t>(n));
        pos_ += static_cast<size_t>(n);
        return s;
    }
    Result<std::string> read_line() {
        for (size_t i = pos_; i < d_.size() && i - pos_ < 256; ++i)
            if (static_cast<char>(d_[i]) == '\n') {
                std::string s(reinterpret_cast<const char*>(d_.data() + pos_), i - pos_);
                pos_ = i + 1;
                return s;
            }
        return corrupt("GLOBAL name is not a newline-terminated line of at most 256 bytes");
    }

    size_t frame_base() const { return marks_.empty() ? 0 : marks_.back(); }
    Result<PickleValue> pop() {
        if (stack_.size() <= frame_base()) return corrupt("stack underflow");
        PickleValue v = std::move(stack_.back());
        stack_.pop_back();
        discarded_.push_back(v);  // an opcode may fail after the pop: the value must stay checked
        return v;
    }
    Result<PickleValue*> top() {
        if (stack_.size() <= frame_base()) return corrupt("stack underflow");
        return &stack_.back();
    }
    Result<std::vector<PickleValue>> pop_mark() {
        if (marks_.empty()) return corrupt("no MARK on the stack");
        std::vector<PickleValue> items(std::make_move_iterator(stack_.begin() + static_cast<ptrdiff_t>(marks_.back())),
                                       std::make_move_iterator(stack_.end()));
        stack_.resize(marks_.back());
        marks_.pop_back();
        discarded_.insert(discarded_.end(), items.begin(), items.end());
        return items;
    }
    void push(PickleValue v) { stack_.push_back(std::move(v)); }

    Status push_global(const std::string& module, const std::string& name) {
        if (!role_of(module, name, globals_))
            return fail(StatusCode::Unsupported,
                        "global '" + module + "." + name + "' is not allowed (not on Strata's allow-list for " +
                            (globals_ == PickleGlobals::TorchSave ? "torch.save files)" : "DCP .metadata files)"));
        push(PickleValue::global(module, name));
        return Status::ok();
    }

    Status set_items(std::vector<PickleValue> kv) {
        if (kv.size() % 2) return corrupt("SETITEMS with an odd number of stack items");
        STRATA_TRY(PickleValue * target, top());
        if (!target->is(K::Dict)) return corrupt(std::string("SETITEM on a ") + kind_name(target->kind()) + ", not a dict");
        auto& entries = target->mutable_entries();
        for (size_t i = 0; i < kv.size(); i += 2) entries.emplace_back(std::move(kv[i]), std::move(kv[i + 1]));
        return Status::ok();
    }
    Status append_items(std::vector<PickleValue> items) {
        STRATA_TRY(PickleValue * target, top());
        if (!target->is(K::List)) return corrupt(std::string("APPEND on a ") + kind_name(target->kind()) + ", not a list");
        auto& list = target->mutable_items();
        for (auto& v : items) list.push_back(std::move(v));
        return Status::ok();
    }

    Status step(uint8_t op);
    Result<PickleValue> call(const PickleValue& callable, const PickleValue& args, bool newobj);
    Result<PickleValue> rebuild_tensor(Role role, const std::vector<PickleValue>& a);
    Result<PickleValue> persistent_load(const PickleValue& pid);
    Status build(PickleValue state);

    std::span<const std::byte> d_;
    std::string display_;
    uint64_t base_;
    PickleGlobals globals_;
    size_t pos_ = 0;
    size_t op_pos_ = 0;
    bool done_ = false;
    std::vector<PickleValue> stack_;
    std::vector<size_t> marks_;
    // Every value taken off the stack and every memo slot written again: a reference cycle
    // among them would outlive the run (the pickle dropped it, or an opcode failed after
    // popping it: found by fuzz_torch_dist twice), so release_cycles() walks them too.
    std::vector<PickleValue> discarded_;
    std::unordered_map<uint64_t, PickleValue> memo_;
    std::unordered_map<std::string, PickleStorageRef> storages_;
};

Status Unpickler::step(uint8_t op) {
    switch (op) {
        case 0x80: {  // PROTO
            STRATA_TRY(uint64_t v, read_uint(1));
            if (v > 5) return fail(StatusCode::Unsupported, "pickle protocol " + std::to_string(v) + " is newer than 5");
            return Status::ok();
        }
        case 0x95: return read_uint(8).status();  // FRAME: a length hint only
        case '.': done_ = true; return Status::ok();
        case '(': marks_.push_back(stack_.size()); return Status::ok();
        case '}': push(PickleValue::dict()); return Status::ok();
        case ']': push(PickleValue::list()); return Status::ok();
        case ')': push(PickleValue::tuple()); return Status::ok();
        case 0x8f: push(PickleValue::list()); return Status::ok();  // EMPTY_SET, read as a list
        case 'd': {
            STRATA_TRY(auto items, pop_mark());
            push(PickleValue::dict());
            return set_items(std::move(items));
        }
        case 'l': {
            STRATA_TRY(auto items, pop_mark());
            push(PickleValue::list(std::move(items)));
            return Status::ok();
        }
        case 't':
        case 0x91: {  // TUPLE, FROZENSET
            STRATA_TRY(auto items, pop_mark());
            push(PickleValue::tuple(std::move(items)));
            return Status::ok();
        }
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1/2/3
            const size_t n = op - 0x84u;
            if (stack_.size() < frame_base() + n) return corrupt("stack underflow");
            std::vector<PickleValue> items(std::make_move_iterator(stack_.end() - static_cast<ptrdiff_t>(n)),
                                           std::make_move_iterator(stack_.end()));
            stack_.resize(stack_.size() - n);
            push(PickleValue::tuple(std::move(items)));
            return Status::ok();
        }
        case 's': {
            STRATA_TRY(PickleValue v, pop());
            STRATA_TRY(PickleValue k, pop());
            std::vector<PickleValue> kv;
            kv.push_back(std::move(k));
            kv.push_back(std::move(v));
            return set_items(std::move(kv));
        }
        case 'u': {
            STRATA_TRY(auto items, pop_mark());
            return set_items(std::move(items));
        }
        case 'a': {
            STRATA_TRY(PickleValue v, pop());
            std::vector<PickleValue> one;
            one.push_back(std::move(v));
            return append_items(std::move(one));
        }
        case 'e':
        case 0x90: {  // APPENDS, ADDITEMS
            STRATA_TRY(auto items, pop_mark());
            return append_items(std::move(items));
        }
        case 'X':
        case 0x8c:
        case 0x8d: {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
            STRATA_TRY(uint64_t n, read_uint(op == 'X' ? 4 : op == 0x8c ? 1 : 8));
            STRATA_TRY(auto s, read_bytes(n));
            if (!valid_utf8(s)) return corrupt("string is not valid UTF-8");
            push(PickleValue::string(std::string(s)));
            return Status::ok();
        }
        case 'U':
        case 'T': {  // SHORT_BINSTRING, BINSTRING: Python 2 str, decoded like Python 3 does (as text)
            STRATA_TRY(uint64_t n, read_uint(op == 'U' ? 1 : 4));
            if (op == 'T' && n > INT32_MAX) return corrupt("negative BINSTRING length");
            STRATA_TRY(auto s, read_bytes(n));
            push(PickleValue::string(latin1_to_utf8(s)));
            return Status::ok();
        }
        case 'B':
        case 'C':
        case 0x8e:
        case 0x96: {  // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
            STRATA_TRY(uint64_t n, read_uint(op == 'B' ? 4 : op == 'C' ? 1 : 8));
            STRATA_TRY(auto s, read_bytes(n));
            push(PickleValue::bytes(std::string(s)));
            return Status::ok();
        }
        case 'J': {
            STRATA_TRY(uint64_t v, read_uint(4));
            push(PickleValue::integer(static_cast<int32_t>(static_cast<uint32_t>(v))));
            return Status::ok();
        }
        case 'K':
        case 'M': {
            STRATA_TRY(uint64_t v, read_uint(op == 'K' ? 1 : 2));
            push(PickleValue::integer(static_cast<int64_t>(v)));
            return Status::ok();
        }
        case 0x8a:
        case 0x8b: {  // LONG1, LONG4: little-endian two's complement
            STRATA_TRY(uint64_t n, read_uint(op == 0x8a ? 1 : 4));
            STRATA_TRY(auto s, read_bytes(n));
            if (n > 8) {  // wider than int64: kept as an opaque int (only seen in RNG states)
                push(PickleValue::object("builtins", "int", {PickleValue::string("<" + std::to_string(n) + "-byte int>")}));
                return Status::ok();
            }
            uint64_t v = 0;
            for (size_t i = n; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(s[i]);
            if (n > 0 && n < 8 && (static_cast<uint8_t>(s[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);
            push(PickleValue::integer(static_cast<int64_t>(v)));
            return Status::ok();
        }
        case 'G': {  // BINFLOAT: big-endian IEEE double
            STRATA_TRY(auto s, read_bytes(8));
            uint64_t bits = 0;
            for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(s[i]);
            double v;
            std::memcpy(&v, &bits, 8);
            push(PickleValue::real(v));
            return Status::ok();
        }
        case 'N': push(PickleValue::none()); return Status::ok();
        case 0x88: push(PickleValue::boolean(true)); return Status::ok();
        case 0x89: push(PickleValue::boolean(false)); return Status::ok();
        case 'c': {
            STRATA_TRY(std::string module, read_line());
            STRATA_TRY(std::string name, read_line());
            return push_global(module, name);
        }
        case 0x93: {  // STACK_GLOBAL
            STRATA_TRY(PickleValue name, pop());
            STRATA_TRY(PickleValue module, pop());
            if (!name.is(K::String) || !module.is(K::String)) return corrupt("STACK_GLOBAL needs two strings");
            return push_global(module.as_string(), name.as_string());
        }
        case 'R':
        case 0x81: {  // REDUCE, NEWOBJ
            STRATA_TRY(PickleValue args, pop());
            STRATA_TRY(PickleValue callable, pop());
            STRATA_TRY(PickleValue v, call(callable, args, op == 0x81));
            push(std::move(v));
            return Status::ok();
        }
        case 0x92: {  // NEWOBJ_EX
            STRATA_TRY(PickleValue kwargs, pop());
            STRATA_TRY(PickleValue args, pop());
            STRATA_TRY(PickleValue cls, pop());
            if (!kwargs.entries().empty()) return fail(StatusCode::Unsupported, "NEWOBJ_EX with keyword arguments");
            STRATA_TRY(PickleValue v, call(cls, args, true));
            push(std::move(v));
            return Status::ok();
        }
        case 'b': {
            STRATA_TRY(PickleValue state, pop());
            return build(std::move(state));
        }
        case 'Q': {
            STRATA_TRY(PickleValue pid, pop());
            STRATA_TRY(PickleValue v, persistent_load(pid));
            push(std::move(v));
            return Status::ok();
        }
        case 'q':
        case 'r':
        case 0x94: {  // BINPUT, LONG_BINPUT, MEMOIZE
            uint64_t key = memo_.size();
            if (op != 0x94) {
                STRATA_TRY(key, read_uint(op == 'q' ? 1 : 4));
            }
            STRATA_TRY(PickleValue * t, top());
            if (auto it = memo_.find(key); it != memo_.end()) discarded_.push_back(std::move(it->second));
            memo_[key] = *t;
            return Status::ok();
        }
        case 'h':
        case 'j': {  // BINGET, LONG_BINGET
            STRATA_TRY(uint64_t key, read_uint(op == 'h' ? 1 : 4));
            auto it = memo_.find(key);
            if (it == memo_.end()) return corrupt("memo key " + std::to_string(key) + " was never stored");
            push(it->second);
            return Status::ok();
        }
        case '0': {  // POP: an item, or the topmost mark when its frame is empty
            if (stack_.size() > frame_base()) {
                STRATA_TRY(PickleValue v, pop());  // pop() keeps it checked for cycles at the end
                (void)v;
                return Status::ok();
            }
            if (marks_.empty()) return corrupt("stack underflow");
            marks_.pop_back();
            return Status::ok();
        }
        case '1': {  // POP_MARK
            STRATA_TRY(auto items, pop_mark());  // pop_mark() keeps them checked
            (void)items;
            return Status::ok();
        }
        case '2': {
            STRATA_TRY(PickleValue * t, top());
            PickleValue copy = *t;
            push(std::move(copy));
            return Status::ok();
        }
        default: {
            char buf[96];
            std::snprintf(buf, sizeof buf, "unsupported pickle opcode 0x%02x%s%c%s", op, op >= 0x20 && op < 0x7f ? " ('" : "",
                          op >= 0x20 && op < 0x7f ? static_cast<char>(op) : ' ', op >= 0x20 && op < 0x7f ? "')" : "");
            return fail(StatusCode::Unsupported, buf);
        }
    }
}

Result<PickleValue> Unpickler::call(const PickleValue& callable, const PickleValue& args, bool newobj) {
    if (!callable.is(K::Global))
        return corrupt(std::string(newobj ? "NEWOBJ" : "REDUCE") + " on a " + kind_name(callable.kind()) + ", not a global");
    if (!args.is(K::Tuple)) return corrupt(std::string(newobj ? "NEWOBJ" : "REDUCE") + " arguments are not a tuple");
    const std::string& fn = callable.as_string();
    const auto& a = args.items();
    const auto dot = fn.rfind('.');
    const Role role = *role_of(callable.module(), std::string_view(fn).substr(dot + 1), globals_);
    auto bad_args = [&](const std::string& what) { return corrupt("bad arguments to " + fn + ": " + what); };
    switch (role) {
        case Role::OrderedDict: {
            PickleValue d = PickleValue::dict({}, true);
            if (!a.empty()) {
                if (!a[0].is(K::List) && !a[0].is(K::Tuple)) return bad_args("expected a list of pairs");
                for (const auto& kv : a[0].items()) {
                    if (!kv.is(K::Tuple) && !kv.is(K::List)) return bad_args("expected a list of pairs");
                    if (kv.items().size() != 2) return bad_args("expected pairs");
                    d.mutable_entries().emplace_back(kv.items()[0], kv.items()[1]);
                }
            }
            return d;
        }
        case Role::RebuildV1:
        case Role::RebuildV2:
        case Role::RebuildV3: return rebuild_tensor(role, a);
        case Role::RebuildParameter: {
            if (a.size() < 2 || !a[0].is(K::Tensor)) return bad_args("expected (tensor, requires_grad, hooks)");
            PickleTensorRef ref = a[0].tensor_ref();
            ref.parameter = true;
            ref.requires_grad = a[1].is(K::Bool) && a[1].as_bool();
            return PickleValue::tensor(std::move(ref));
        }
        case Role::RebuildFromType: {
            if (a.size() != 4 || !a[0].is(K::Global) || !a[1].is(K::Global) || !a[2].is(K::Tuple))
                return bad_args("expected (func, type, args, state)");
            const auto type_role = role_of(a[1].module(), a[1].as_string().substr(a[1].module().size() + 1), globals_);
            if (type_role != Role::TensorType)
                return fail(StatusCode::Unsupported, "tensor subclass '" + a[1].as_string() + "' is not supported");
            STRATA_TRY(PickleValue t, call(a[0], a[2], false));
            if (!t.is(K::Tensor)) return bad_args("the rebuild function did not produce a tensor");
            return t;
        }
        case Role::Size: {
            if (a.size() != 1 || (!a[0].is(K::Tuple) && !a[0].is(K::List))) return bad_args("expected a tuple of ints");
            return PickleValue::tuple(a[0].items());
        }
        case Role::Device: {
            if (a.empty() || !a[0].is(K::String)) return bad_args("expected a device string");
            std::string s = a[0].as_string();
            if (a.size() > 1 && a[1].is(K::Int)) s += ":" + std::to_string(a[1].as_int());
            return PickleValue::string(s);
        }
        case Role::CodecsEncode: {
            if (a.size() != 2 || !a[0].is(K::String) || !a[1].is(K::String)) return bad_args("expected (str, encoding)");
            const auto& enc = a[1].as_string();
            if (enc == "utf-8" || enc == "utf8") return PickleValue::bytes(a[0].as_string());
            if (enc != "latin1" && enc != "latin-1") return fail(StatusCode::Unsupported, "_codecs.encode with encoding '" + enc + "'");
            auto bytes = utf8_to_latin1(a[0].as_string());
            if (!bytes) return bad_args("text has characters outside latin-1");
            return PickleValue::bytes(std::move(*bytes));
        }
        case Role::Namespace: return PickleValue::namespace_();
        case Role::BytesIO: return a.empty() || !a[0].is(K::Bytes) ? PickleValue::bytes("") : a[0];
        case Role::Path: {
            std::string s;
            for (const auto& p : a) {
                if (!p.is(K::String)) return bad_args("expected path parts");
                s += (s.empty() || s.back() == '/' ? "" : "/") + p.as_string();
            }
            return PickleValue::string(s);
        }
        case Role::Set: return PickleValue::list(a.empty() ? std::vector<PickleValue>{} : a[0].items());
        case Role::Opaque:
        case Role::DcpRecord: return PickleValue::object(callable.module(), fn.substr(dot + 1), a);
        case Role::DcpLayout: {
            if (a.size() != 1 || !a[0].is(K::String)) return bad_args("expected a layout name");
            return a[0];
        }
        case Role::TypedStorage:
        case Role::UntypedStorage:
        case Role::Dtype:
        case Role::TensorType: break;
    }
    return fail(StatusCode::Unsupported, "global '" + fn + "' cannot be called");
}

Result<PickleValue> Unpickler::rebuild_tensor(Role role, const std::vector<PickleValue>& a) {
    const size_t min_args = role == Role::RebuildV1 ? 4 : role == Role::RebuildV2 ? 6 : 7;
    if (a.size() < min_args || a.size() > min_args + 1)
        return corrupt("tensor rebuild call has " + std::to_string(a.size()) + " arguments, expected " + std::to_string(min_args));
    if (!a[0].is(K::Storage)) return corrupt("tensor rebuild: first argument is not a storage");
    if (!a[1].is(K::Int) || a[1].as_int() < 0) return corrupt("tensor rebuild: storage_offset is not a non-negative int");
    if (!a[2].is(K::Tuple) || !a[3].is(K::Tuple)) return corrupt("tensor rebuild: size and stride must be tuples");
    if (a[2].items().size() != a[3].items().size())
        return corrupt("tensor rebuild: size has " + std::to_string(a[2].items().size()) + " dims but stride has " +
                       std::to_string(a[3].items().size()));
    PickleTensorRef t;
    t.storage = a[0].storage_ref();
    t.dtype = t.storage.dtype;
    t.storage_offset = static_cast<uint64_t>(a[1].as_int());
    for (size_t i = 0; i < a[2].items().size(); ++i) {
        const auto& s = a[2].items()[i];
        const auto& st = a[3].items()[i];
        if (!s.is(K::Int) || s.as_int() < 0) return corrupt("tensor rebuild: size has a negative or non-integer dim");
        if (!st.is(K::Int) || st.as_int() < 0) return corrupt("tensor rebuild: stride has a negative or non-integer entry");
        t.shape.push_back(static_cast<uint64_t>(s.as_int()));
        t.strides.push_back(st.as_int());
    }
    if (role != Role::RebuildV1) t.requires_grad = a[4].is(K::Bool) && a[4].as_bool();
    if (role == Role::RebuildV3) {
        const auto& g = a[6];
        const auto dt = g.is(K::Global) && g.module() == "torch" ? dtype_from_torch_name(g.as_string().substr(6)) : std::nullopt;
        if (!dt) return corrupt("tensor rebuild: dtype argument is not a torch dtype");
        t.dtype = *dt;
    }
    if (dtype_size(t.dtype) == 0) return fail(StatusCode::Unsupported, "sub-byte tensor dtypes are not supported in .pt files");
    return PickleValue::tensor(std::move(t));
}

Result<PickleValue> Unpickler::persistent_load(const PickleValue& pid) {
    const auto& p = pid.items();
    if (!pid.is(K::Tuple) || p.empty() || !p[0].is(K::String) || p[0].as_string() != "storage")
        return fail(StatusCode::Unsupported, "persistent id is not a ('storage', ...) tuple");
    if (p.size() != 5 || !p[1].is(K::Global) || !p[2].is(K::String) || !p[3].is(K::String) || !p[4].is(K::Int) ||
        p[4].as_int() < 0)
        return corrupt("persistent id must be ('storage', storage class, key, location, numel)");
    PickleStorageRef s;
    const std::string cls = p[1].as_string().substr(p[1].module().size() + 1);
    const auto role = role_of(p[1].module(), cls, globals_);
    if (role == Role::UntypedStorage) {
        s.untyped = true;
        s.dtype = DType::U8;
    } else if (role == Role::TypedStorage) {
        s.dtype = *dtype_from_torch_storage(cls);
    } else {
        return corrupt("persistent id names '" + p[1].as_string() + "', which is not a storage class");
    }
    s.key = p[2].as_string();
    s.location = p[3].as_string();
    s.numel = static_cast<uint64_t>(p[4].as_int());
    if (s.key.empty()) return corrupt("persistent id has an empty storage key");
    auto [it, inserted] = storages_.emplace(s.key, s);
    if (!inserted && (it->second.dtype != s.dtype || it->second.untyped != s.untyped || it->second.numel != s.numel))
        return corrupt("storage '" + s.key + "' is declared twice with different types or sizes");
    return PickleValue::storage(std::move(s));
}

Status Unpickler::build(PickleValue state) {
    STRATA_TRY(PickleValue * obj, top());
    switch (obj->kind()) {
        case K::Namespace: {
            const PickleValue* attrs = &state;
            if (state.is(K::Tuple) && !state.items().empty()) attrs = &state.items()[0];  // (dict, slots)
            if (attrs->is(K::None)) return Status::ok();
            if (!attrs->is(K::Dict)) return corrupt("BUILD state of a Namespace is not a dict");
            for (const auto& [k, v] : attrs->entries()) {
                if (!k.is(K::String)) return corrupt("Namespace attribute name is not a string");
                obj->mutable_entries().emplace_back(k, v);
            }
            return Status::ok();
        }
        case K::Bytes:  // io.BytesIO: state = (bytes, position, dict)
            if (state.is(K::Tuple) && !state.items().empty() && state.items()[0].is(K::Bytes)) *obj = state.items()[0];
            return Status::ok();
        case K::Object: {
            // DCP records keep their state (a dataclass's __dict__, or TensorProperties'
            // __getstate__ tuple under "__state__"); other opaque objects their arguments only.
            const auto role = role_of(obj->module(), obj->as_string().substr(obj->module().size() + 1), globals_);
            if (role != Role::DcpRecord) return Status::ok();
            if (state.is(K::Tuple) && state.items().size() == 2 && state.items()[1].is(K::Dict) &&
                state.items()[0].is(K::None))
                state = state.items()[1];  // (None, slots): a dataclass with __slots__
            if (state.is(K::Dict)) {
                for (const auto& [k, v] : state.entries()) {
                    if (!k.is(K::String)) return corrupt("BUILD state of " + obj->as_string() + " has a non-string key");
                    obj->mutable_entries().emplace_back(k, v);
                }
            } else {
                obj->mutable_entries().emplace_back(PickleValue::string("__state__"), std::move(state));
            }
            return Status::ok();
        }
        case K::Dict:     // OrderedDict attributes (a state dict's _metadata): not tensors, dropped
        case K::Tensor:   // Python attributes on a tensor
            return Status::ok();
        default: return corrupt(std::string("BUILD on a ") + kind_name(obj->kind()));
    }
}

}  // namespace

Result<PickleValue> unpickle(std::span<const std::byte> data, const std::string& display, uint64_t base_offset,
                             PickleGlobals globals) {
    Unpickler vm(data, display, base_offset, globals);
    auto result = vm.run();
    const bool cyclic = vm.release_cycles();
    if (!result) return result.status();
    const std::string what = globals == PickleGlobals::TorchSave ? "data.pkl: " : "pickle: ";
    if (cyclic)
        return Status::corrupt(what + "a container contains itself (a reference cycle); torch.save model files have none")
            .in_file(display);
    // torch rebuilds shared containers once; Strata's walks visit every path, so bound the expansion.
    // A DCP .metadata lists every chunk of every tensor (and Megatron repeats them in its plans):
    // its bound grows with its size, which still stops exponential sharing.
    const uint64_t limit = globals == PickleGlobals::DcpMetadata ? std::max<uint64_t>(kPickleMaxExpanded, 8 * data.size())
                                                                 : kPickleMaxExpanded;
    const auto stats = result->graph_stats(limit);
    if (stats.expanded > limit)
        return Status::corrupt(what + "shared containers expand to more than " + std::to_string(limit) +
                               " values (" + std::to_string(stats.containers) + " containers nested by reference)")
            .in_file(display);
    return result;
}

}  // namespace strata::torch_pt
