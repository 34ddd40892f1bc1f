// DCP `.metadata` written as Python's protocol-2 pickler writes these records, opcode by
// opcode (facts torch-dist.md §1.3, §1.6): NEWOBJ(cls, ()) + BUILD(dict) for the dataclasses,
// REDUCE for torch.Size, the layout and the memory-format enum, the 5-tuple TensorProperties
// state older torch can read. No memo: every global is named where it is used.
#include <cstdint>

#include "formats/dcp/dcp_metadata.h"
#include "strata/dtype.h"

namespace strata::dcp {
namespace {

constexpr const char* kMetadataModule = "torch.distributed.checkpoint.metadata";
// TensorProperties and its enum from the module every torch since 1.13 has (2.x re-exports it).
constexpr const char* kPropertiesModule = "torch.distributed._shard.sharded_tensor.metadata";
constexpr const char* kFilesystemModule = "torch.distributed.checkpoint.filesystem";

class Pickler {
public:
    Pickler() { b_ += "\x80\x02"; }
    std::string finish() && {
        b_ += '.';
        return std::move(b_);
    }

    void op(const char* ops) { b_ += ops; }
    void op(char c) { b_ += c; }
    void none() { b_ += 'N'; }
    void boolean(bool v) { b_ += v ? '\x88' : '\x89'; }
    void str(std::string_view s) {
        b_ += 'X';
        le(s.size(), 4);
        b_ += s;
    }
    void integer(uint64_t v) {
        if (v < 0x100) {
            b_ += 'K';
            le(v, 1);
        } else if (v < 0x10000) {
            b_ += 'M';
            le(v, 2);
        } else if (v < 0x80000000ULL) {
            b_ += 'J';
            le(v, 4);
        } else {  // LONG1: little-endian two's complement in the fewest bytes, as Python writes it
            int n = 0;
            for (uint64_t rest = v; rest != 0; rest >>= 8) ++n;
            const bool sign_byte = ((v >> (8 * (n - 1))) & 0x80) != 0;  // keep the number positive
            b_ += '\x8a';
            b_ += static_cast<char>(n + (sign_byte ? 1 : 0));
            le(v, n);
            if (sign_byte) b_ += '\0';
        }
    }
    void global(std::string_view module, std::string_view name) {
        b_ += 'c';
        b_ += module;
        b_ += '\n';
        b_ += name;
        b_ += '\n';
    }
    // torch.Size((d0, d1, ...))
    void size(const Shape& s) {
        global("torch", "Size");
        b_ += '(';
        for (uint64_t d : s) integer(d);
        b_ += "t\x85R";
    }
    // cls.__new__(cls) then BUILD with the dict written between record_begin and record_end.
    void record_begin(std::string_view module, std::string_view name) {
        global(module, name);
        b_ += ")\x81}(";
    }
    void record_end() { b_ += "ub"; }

private:
    void le(uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) b_ += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    std::string b_;
};

void tensor_properties(Pickler& p, DType dtype) {
    p.global(kPropertiesModule, "TensorProperties");
    p.op(")\x81(");  // state: (dtype, layout, requires_grad, memory_format, pin_memory)
    p.global("torch", torch_dtype_name(dtype));
    p.global("torch.serialization", "_get_layout");
    p.str("torch.strided");
    p.op("\x85R");
    p.boolean(false);
    p.global(kPropertiesModule, "MEM_FORMAT_ENCODING");
    p.integer(0);  // TORCH_CONTIGUOUS_FORMAT
    p.op("\x85R");
    p.boolean(false);
    p.op("tb");
}

void tensor_storage_metadata(Pickler& p, const TensorMeta& t) {
    p.record_begin(kMetadataModule, "TensorStorageMetadata");
    p.str("properties");
    tensor_properties(p, t.dtype);
    p.str("size");
    p.size(t.size);
    p.str("chunks");
    p.op("](");
    for (const ChunkMeta& c : t.chunks) {
        p.record_begin(kMetadataModule, "ChunkStorageMetadata");
        p.str("offsets");
        p.size(c.offsets);
        p.str("sizes");
        p.size(c.sizes);
        p.record_end();
    }
    p.op('e');
    p.record_end();
}

// MetadataIndex(fqn, offset, index): offset is the chunk's box start for tensors and is left
// out for objects (its __getstate__ drops None fields); Megatron writes index None.
void metadata_index(Pickler& p, const std::string& fqn, const Shape* offsets) {
    p.record_begin(kMetadataModule, "MetadataIndex");
    p.str("fqn");
    p.str(fqn);
    if (offsets) {
        p.str("offset");
        p.size(*offsets);
    }
    p.str("index");
    p.none();
    p.record_end();
}

void storage_info(Pickler& p, const StorageRef& s) {
    p.record_begin(kFilesystemModule, "_StorageInfo");
    p.str("relative_path");
    p.str(s.relative_path);
    p.str("offset");
    p.integer(s.offset);
    p.str("length");
    p.integer(s.length);
    p.record_end();
}

}  // namespace

std::string write_metadata(const Metadata& md) {
    Pickler p;
    p.record_begin(kMetadataModule, "Metadata");
    p.str("state_dict_metadata");
    p.op("}(");
    for (const TensorMeta& t : md.tensors) {
        p.str(t.key);
        tensor_storage_metadata(p, t);
    }
    for (const ObjectMeta& o : md.objects) {
        p.str(o.key);
        p.global(kMetadataModule, "BytesStorageMetadata");
        p.op(")\x81");
    }
    p.op('u');
    p.str("planner_data");
    p.none();
    p.str("storage_data");
    p.op("}(");
    for (const ObjectMeta& o : md.objects) {
        metadata_index(p, o.key, nullptr);
        storage_info(p, o.storage);
    }
    for (const TensorMeta& t : md.tensors)
        for (const ChunkMeta& c : t.chunks) {
            metadata_index(p, t.key, &c.offsets);
            storage_info(p, c.storage);
        }
    p.op('u');
    p.record_end();
    return std::move(p).finish();
}

}  // namespace strata::dcp
