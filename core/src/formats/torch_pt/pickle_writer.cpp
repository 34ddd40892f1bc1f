// The protocol-2 pickler for torch.save-compatible data.pkl. It follows CPython's
// Lib/pickle.py `_Pickler` (memoize after each container/string/global, batches of
// 1000 for SETITEMS/APPENDS, TUPLE1-3) and torch's Tensor.__reduce_ex__ /
// serialization.py persistent_id, so its output matches what torch.save writes.
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>

#include "formats/torch_pt/pickle.h"

namespace strata::torch_pt {
namespace {

using K = PickleValue::Kind;
constexpr size_t kBatch = 1000;  // pickle.py _BATCHSIZE

class Pickler {
public:
    explicit Pickler(bool safe) : safe_(safe) {}

    Result<PickleWriteResult> run(const PickleValue& top) {
        out_ += "\x80\x02";
        STRATA_RETURN_IF_ERROR(save(top, 0));
        out_ += '.';
        return PickleWriteResult{std::move(out_), std::move(storage_entries_)};
    }

private:
    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void le(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
    }
    void memoize() {
        const uint64_t i = next_memo_++;
        if (i < 256) {
            u8('q');
            u8(static_cast<uint8_t>(i));
        } else {
            u8('r');
            le(i, 4);
        }
    }
    void get(uint64_t i) {
        if (i < 256) {
            u8('h');
            u8(static_cast<uint8_t>(i));
        } else {
            u8('j');
            le(i, 4);
        }
    }
    // CPython shares one object for 1-character strings and for the constants torch
    // passes ("storage", "cpu"), so those are memo hits; other strings are fresh objects.
    void save_string(const std::string& s) {
        const bool shared = s.size() <= 1 || s == "storage" || s == "cpu";
        if (shared) {
            auto it = string_memo_.find(s);
            if (it != string_memo_.end()) return get(it->second);
            string_memo_[s] = next_memo_;
        }
        u8('X');
        le(s.size(), 4);
        out_ += s;
        memoize();
    }
    void save_global(const std::string& module, const std::string& name) {
        const std::string key = module + "\n" + name + "\n";
        auto it = global_memo_.find(key);
        if (it != global_memo_.end()) return get(it->second);
        u8('c');
        out_ += key;
        global_memo_[key] = next_memo_;
        memoize();
    }
    void save_int(int64_t v) {
        if (v >= 0 && v < 256) {
            u8('K');
            u8(static_cast<uint8_t>(v));
        } else if (v >= 0 && v < 65536) {
            u8('M');
            le(static_cast<uint64_t>(v), 2);
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            u8('J');
            le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
        } else {  // LONG1: shortest little-endian two's complement (pickle.encode_long)
            std::string b;
            for (int i = 0; i < 8; ++i) b.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
            while (b.size() > 1) {
                const auto last = static_cast<uint8_t>(b.back()), prev = static_cast<uint8_t>(b[b.size() - 2]);
                if ((last == 0 && !(prev & 0x80)) || (last == 0xff && (prev & 0x80))) b.pop_back();
                else break;
            }
            u8(0x8a);
            u8(static_cast<uint8_t>(b.size()));
            out_ += b;
        }
    }
    Status save_float(double v) {
        if (safe_) {  // torch < 2.0 weights_only rejects BINFLOAT (pytorch/pytorch#94670)
            if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15) {
                save_int(static_cast<int64_t>(v));
            } else {
                char buf[64];
                auto r = std::to_chars(buf, buf + sizeof buf, v);
                save_string(std::string(buf, r.ptr));
            }
            return Status::ok();
        }
        uint64_t bits;
        std::memcpy(&bits, &v, 8);
        u8('G');
        for (int i = 7; i >= 0; --i) u8(static_cast<uint8_t>(bits >> (8 * i)));
        return Status::ok();
    }
    Status save_tuple(const std::vector<PickleValue>& items, int depth) {
        if (items.empty()) {
            u8(')');
            return Status::ok();
        }
        if (items.size() > 3) u8('(');
        for (const auto& v : items) STRATA_RETURN_IF_ERROR(save(v, depth + 1));
        u8(items.size() > 3 ? 't' : static_cast<uint8_t>(0x84 + items.size()));
        memoize();
        return Status::ok();
    }
    Status save_entries(const std::vector<PickleValue::Item>& entries, int depth) {
        for (size_t i = 0; i < entries.size(); i += kBatch) {
            const size_t n = std::min(kBatch, entries.size() - i);
            if (n > 1) u8('(');
            for (size_t j = i; j < i + n; ++j) {
                STRATA_RETURN_IF_ERROR(save(entries[j].first, depth + 1));
                STRATA_RETURN_IF_ERROR(save(entries[j].second, depth + 1));
            }
            u8(n > 1 ? 'u' : 's');
        }
        return Status::ok();
    }
    Status save_tensor(const PickleTensorRef& t, int depth) {
        if (t.entry == SIZE_MAX) return Status::invalid_argument("tensor value is not bound to a writer entry");
        const uint32_t elem = dtype_size(t.dtype);
        if (elem == 0) return Status::unsupported("sub-byte dtype " + std::string(dtype_name(t.dtype)) + " cannot be stored in a .pt file");
        auto [it, fresh] = keys_.emplace(t.entry, storage_entries_.size());
        if (fresh) storage_entries_.push_back(t.entry);
        const std::string storage_class(torch_storage_class(t.dtype));
        const bool untyped = storage_class.empty();
        STRATA_TRY(uint64_t count, numel(t.shape));
        // Legacy typed storages go through _rebuild_tensor_v2; dtypes without one
        // (fp8, uint16...) through UntypedStorage + _rebuild_tensor_v3 (torch >= 2.1).
        save_global("torch._utils", untyped ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2");
        u8('(');
        u8('(');  // persistent id
        save_string("storage");
        save_global("torch", untyped ? "UntypedStorage" : storage_class);
        save_string(std::to_string(it->second));
        save_string(t.storage.location.empty() ? "cpu" : t.storage.location);
        save_int(static_cast<int64_t>(untyped ? count * elem : count));
        u8('t');
        memoize();
        u8('Q');
        save_int(0);
        std::vector<PickleValue> size, stride;
        int64_t step = 1;
        for (size_t d = t.shape.size(); d-- > 0;) {
            size.insert(size.begin(), PickleValue::integer(static_cast<int64_t>(t.shape[d])));
            stride.insert(stride.begin(), PickleValue::integer(step));
            step *= static_cast<int64_t>(std::max<uint64_t>(t.shape[d], 1));
        }
        STRATA_RETURN_IF_ERROR(save_tuple(size, depth));
        STRATA_RETURN_IF_ERROR(save_tuple(stride, depth));
        u8(t.requires_grad ? 0x88 : 0x89);
        save_global("collections", "OrderedDict");  // backward_hooks
        u8(')');
        u8('R');
        memoize();
        if (untyped) save_global("torch", std::string(torch_dtype_name(t.dtype)));
        u8('t');
        memoize();
        u8('R');
        memoize();
        return Status::ok();
    }

    Status save(const PickleValue& v, int depth) {
        if (depth > kPickleMaxDepth) return Status::invalid_argument("value nested deeper than " + std::to_string(kPickleMaxDepth));
        switch (v.kind()) {
            case K::None: u8('N'); return Status::ok();
            case K::Bool: u8(v.as_bool() ? 0x88 : 0x89); return Status::ok();
            case K::Int: save_int(v.as_int()); return Status::ok();
            case K::Float: return save_float(v.as_float());
            case K::String: save_string(v.as_string()); return Status::ok();
            case K::Bytes: {
                if (safe_) return Status::invalid_argument("bytes values need _codecs.encode, which torch 1.13's weights_only rejects");
                // Protocol 2 has no bytes opcode: pickle.py writes _codecs.encode(text, 'latin1').
                save_global("_codecs", "encode");
                std::string text;
                for (unsigned char c : v.as_string()) {
                    if (c < 0x80) text.push_back(static_cast<char>(c));
                    else {
                        text.push_back(static_cast<char>(0xC0 | (c >> 6)));
                        text.push_back(static_cast<char>(0x80 | (c & 0x3F)));
                    }
                }
                save_string(text);
                save_string("latin1");
                u8(0x86);
                memoize();
                u8('R');
                memoize();
                return Status::ok();
            }
            case K::List: {
                u8(']');
                memoize();
                const auto& items = v.items();
                for (size_t i = 0; i < items.size(); i += kBatch) {
                    const size_t n = std::min(kBatch, items.size() - i);
                    if (n > 1) u8('(');
                    for (size_t j = i; j < i + n; ++j) STRATA_RETURN_IF_ERROR(save(items[j], depth + 1));
                    u8(n > 1 ? 'e' : 'a');
                }
                return Status::ok();
            }
            case K::Tuple: return save_tuple(v.items(), depth);
            case K::Dict:
                if (v.is_ordered_dict()) {
                    save_global("collections", "OrderedDict");
                    u8(')');
                    u8('R');
                } else {
                    u8('}');
                }
                memoize();
                return save_entries(v.entries(), depth);
            case K::Namespace:
                if (safe_) {  // argparse.Namespace is not on weights_only's allow-list
                    u8('}');
                    memoize();
                    return save_entries(v.entries(), depth);
                }
                save_global("argparse", "Namespace");
                u8(')');
                u8(0x81);
                memoize();
                if (v.entries().empty()) return Status::ok();
                u8('}');
                memoize();
                STRATA_RETURN_IF_ERROR(save_entries(v.entries(), depth));
                u8('b');
                return Status::ok();
            case K::Tensor: return save_tensor(v.tensor_ref(), depth);
            case K::Global: {
                const auto& full = v.as_string();
                // torch 1.13's weights_only refuses even torch.bfloat16: write its name.
                if (safe_) {
                    save_string(full);
                    return Status::ok();
                }
                save_global(v.module(), full.substr(v.module().size() + 1));
                return Status::ok();
            }
            case K::Storage:
            case K::Object: break;
        }
        return Status::unsupported("cannot write a pickle value of this kind (" + v.as_string() + ")");
    }

    bool safe_;
    std::string out_;
    uint64_t next_memo_ = 0;
    std::unordered_map<std::string, uint64_t> string_memo_;
    std::unordered_map<std::string, uint64_t> global_memo_;
    std::map<size_t, size_t> keys_;  // entry -> storage key
    std::vector<size_t> storage_entries_;
};

}  // namespace

Result<PickleWriteResult> pickle(const PickleValue& top, bool weights_only_safe) {
    return Pickler(weights_only_safe).run(top);
}

}  // namespace strata::torch_pt
