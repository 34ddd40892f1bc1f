// PyTorch DCP / Megatron torch_dist reader: the fixtures written by real torch 2.15 and
// megatron-core 0.16.1 (tests/reference/make_torch_dist_fixtures.py) open with the DCP keys,
// dtypes and global shapes, and every tensor, assembled from its chunks, equals bit for bit
// the one the script wrote to <name>.expected.safetensors. Corrupt inputs are built in code: files
// truncated or patched, and .metadata pickles written here opcode by opcode (protocol 2, the
// 5-tuple TensorProperties older torch writes) around the real .distcp items.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "formats/dcp/dcp_metadata.h"
#include "strata/diff/diff.h"
#include "strata/formats/format_registry.h"
#include "strata/formats/megatron.h"
#include "strata/formats/torch_dist.h"
#include "strata/formats/torch_pt.h"
#include "strata/io/mapped_file.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;
using test::TempDir;

namespace {

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/reference/fixtures/torch_dist";

// Every tensor of the expected .safetensors is in the checkpoint with the same dtype, shape and
// bytes, and the checkpoint lists nothing else.
void check_against_expected(const Checkpoint& ckpt, const fs::path& expected_file) {
    auto expected = open_checkpoint(expected_file);
    REQUIRE(expected.is_ok());
    CHECK(ckpt.tensors.size() == expected->tensors.size());
    for (const auto& e : expected->tensors) {
        INFO(e.name);
        const TensorInfo* t = ckpt.find(e.name);
        REQUIRE(t != nullptr);
        CHECK(t->dtype == e.dtype);
        CHECK(t->shape == e.shape);
        auto got = ckpt.read(*t);
        REQUIRE(got.is_ok());
        auto want = expected->read(e);
        REQUIRE(want.is_ok());
        CHECK(*got == *want);
    }
    NullProgress progress;
    CancelToken cancel;
    auto report = diff_checkpoints(ckpt, *expected, {}, progress, cancel);
    REQUIRE(report.is_ok());
    CHECK(report->equal());
    CHECK(report->compared == expected->tensors.size());
}

}  // namespace

TEST_CASE("a single-process DCP save opens with keys, dtypes and values", "[torch_dist][reference]") {
    const fs::path dir = kFixtures / "dcp_single";
    auto ckpt = open_checkpoint(dir);
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->format == "torch_dist");
    check_against_expected(*ckpt, kFixtures / "dcp_single.expected.safetensors");
    const TensorInfo* qkv = ckpt->find("layers.0.attn.qkv.weight");
    REQUIRE(qkv);
    CHECK(qkv->shape == Shape{2, 3, 4});
    CHECK(qkv->location.is_contiguous());  // one chunk: read in place from the mapping
    CHECK(ckpt->contiguous_bytes(*qkv).is_ok());
    CHECK(ckpt->find("layers.0.mlp._extra_state") == nullptr);
    CHECK(ckpt->metadata["skipped_objects"]["_extra_state"] == 1);
    CHECK(ckpt->metadata["objects_not_read"] == nlohmann::json::array({"tokenizer_name"}));
    CHECK(ckpt->metadata["dcp_version"] == "1.0.0");
    CHECK(ckpt->config.is_null());
}

TEST_CASE("DTensor shards from two ranks are assembled into the global tensors", "[torch_dist][reference]") {
    const fs::path dir = kFixtures / "dcp_two_ranks";
    auto ckpt = open_checkpoint(dir);
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->files.size() == 2);
    check_against_expected(*ckpt, kFixtures / "dcp_two_ranks.expected.safetensors");
    for (const char* name : {"rows.weight", "cols.weight", "stack.weight"}) {
        INFO(name);
        const TensorInfo* t = ckpt->find(name);
        REQUIRE(t);
        REQUIRE(t->location.is_chunked());
        CHECK(t->location.chunks.size() == 2);
        CHECK(t->location.chunks[0].file != t->location.chunks[1].file);
        CHECK(ckpt->contiguous_bytes(*t).status().code() == StatusCode::Unsupported);
    }
    CHECK(ckpt->find("cols.weight")->location.chunks[1].offsets == Shape{0, 4});
    CHECK_FALSE(ckpt->find("bias")->location.is_chunked());
}

TEST_CASE("a megatron-core torch_dist checkpoint opens from its root and its iteration folder",
          "[torch_dist][megatron][reference]") {
    const fs::path root = kFixtures / "megatron";
    for (const fs::path& p : {root, root / "iter_0000010", root / "iter_0000010/"}) {
        INFO(p.string());
        auto ckpt = open_checkpoint(p);
        REQUIRE(ckpt.is_ok());
        CHECK(ckpt->format == "torch_dist");
        check_against_expected(*ckpt, kFixtures / "megatron.expected.safetensors");
        const TensorInfo* qkv = ckpt->find("decoder.layers.self_attention.linear_qkv.weight");
        REQUIRE(qkv);
        CHECK(qkv->shape == Shape{2, 4, 3});
        CHECK(qkv->dtype == DType::BF16);
        CHECK(qkv->location.chunks.size() == 2);
        CHECK(ckpt->file_of(*qkv).display_name == "iter_0000010/__0_0.distcp");
        CHECK(ckpt->config["num_layers"] == 2);
        CHECK(ckpt->config["tensor_model_parallel_size"] == 2);
        CHECK(ckpt->metadata["iteration"] == 10);
        CHECK(ckpt->metadata["iteration_folder"] == "iter_0000010");
        CHECK(ckpt->metadata["common_state"] == "common.pt");
        CHECK(ckpt->metadata["megatron"]["sharded_backend"] == "torch_dist");
        CHECK(ckpt->metadata["skipped_objects"]["_extra_state"] == 2);
        CHECK(ckpt->metadata["optimizer_state"]["items"] == 0);
    }
}

// ---- corrupt inputs ----

namespace {

// A protocol-2 pickle written opcode by opcode, as Python's pickler would for DCP records.
struct PickleText {
    std::string b = "\x80\x02";
    void str(const std::string& s) {
        b += 'X';
        for (int i = 0; i < 4; ++i) b += static_cast<char>((s.size() >> (8 * i)) & 0xff);
        b += s;
    }
    void integer(uint64_t v) {
        b += 'J';
        for (int i = 0; i < 4; ++i) b += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    void global(const std::string& module, const std::string& name) { b += "c" + module + "\n" + name + "\n"; }
    void size(const Shape& s) {  // torch.Size((...))
        global("torch", "Size");
        b += '(';
        for (auto d : s) integer(d);
        b += "t\x85R";
    }
    // NEWOBJ(cls, ()) then BUILD with the dict the caller writes between begin and end.
    void record_begin(const std::string& module, const std::string& name) {
        global(module, name);
        b += ")\x81}(";
    }
    void record_end() { b += "ub"; }
};

constexpr const char* kMd = "torch.distributed.checkpoint.metadata";

struct ChunkSpec {
    Shape offsets, sizes;
    std::string file;
    uint64_t offset = 0, length = 0;
};

struct TensorSpec {
    std::string key;
    std::string dtype = "bfloat16";
    Shape size;
    std::vector<ChunkSpec> chunks;
};

// A BytesStorageMetadata item (a pickled object) at [offset, offset + length) of `file`.
struct ObjectSpec {
    std::string key, file;
    uint64_t offset = 0, length = 0;
};

std::string metadata_pickle(const std::vector<TensorSpec>& tensors, const std::string& top_module = kMd,
                            const std::string& top_name = "Metadata", const std::vector<ObjectSpec>& objects = {}) {
    PickleText p;
    p.record_begin(top_module, top_name);
    p.str("state_dict_metadata");
    p.b += "}(";
    for (const auto& t : tensors) {
        p.str(t.key);
        p.record_begin(kMd, "TensorStorageMetadata");
        p.str("properties");
        p.global(kMd, "TensorProperties");
        p.b += ")\x81(";  // 5-tuple state: dtype, layout, requires_grad, memory_format, pin_memory
        p.global("torch", t.dtype);
        p.global("torch.serialization", "_get_layout");
        p.str("torch.strided");
        p.b += "\x85R\x89";
        p.global(kMd, "_MEM_FORMAT_ENCODING");
        p.integer(0);
        p.b += "\x85R\x89tb";
        p.str("size");
        p.size(t.size);
        p.str("chunks");
        p.b += "](";
        for (const auto& c : t.chunks) {
            p.record_begin(kMd, "ChunkStorageMetadata");
            p.str("offsets");
            p.size(c.offsets);
            p.str("sizes");
            p.size(c.sizes);
            p.record_end();
        }
        p.b += "e";
        p.record_end();
    }
    for (const auto& o : objects) {
        p.str(o.key);
        p.global(kMd, "BytesStorageMetadata");
        p.b += ")\x81";
    }
    p.b += "u";
    p.str("storage_data");
    p.b += "}(";
    auto storage_info = [&](const std::string& file, uint64_t offset, uint64_t length) {
        p.record_begin("torch.distributed.checkpoint.filesystem", "_StorageInfo");
        p.str("relative_path");
        p.str(file);
        p.str("offset");
        p.integer(offset);
        p.str("length");
        p.integer(length);
        p.record_end();
    };
    for (const auto& o : objects) {
        p.record_begin(kMd, "MetadataIndex");
        p.str("fqn");
        p.str(o.key);
        p.str("offset");
        p.b += "N";
        p.str("index");
        p.b += "N";
        p.record_end();
        storage_info(o.file, o.offset, o.length);
    }
    for (const auto& t : tensors)
        for (const auto& c : t.chunks) {
            p.record_begin(kMd, "MetadataIndex");
            p.str("fqn");
            p.str(t.key);
            p.str("offset");
            p.size(c.offsets);
            p.str("index");
            p.b += "N";
            p.record_end();
            storage_info(c.file, c.offset, c.length);
        }
    p.b += "u";
    p.str("planner_data");
    p.b += "N";
    p.record_end();
    p.b += ".";
    return p.b;
}

// Where dcp_two_ranks keeps the two bf16 [3, 4] halves of rows.weight.
std::vector<ChunkSpec> rows_chunks() {
    auto map = MappedFile::open(kFixtures / "dcp_two_ranks/.metadata");
    REQUIRE(map.is_ok());
    auto md = dcp::parse_metadata((*map)->all(), ".metadata");
    REQUIRE(md.is_ok());
    for (const auto& t : md->tensors)
        if (t.key == "rows.weight") {
            std::vector<ChunkSpec> out;
            for (const auto& c : t.chunks)
                out.push_back({c.offsets, c.sizes, c.storage.relative_path, c.storage.offset, c.storage.length});
            REQUIRE(out.size() == 2);
            return out;
        }
    FAIL("rows.weight not in the fixture");
    return {};
}

// A folder with the two .distcp files of dcp_two_ranks and a .metadata written here.
fs::path folder_with(const TempDir& dir, const std::string& metadata) {
    const fs::path out = dir / "ckpt";
    fs::create_directories(out);
    for (const char* f : {"__0_0.distcp", "__1_0.distcp"}) fs::copy_file(kFixtures / "dcp_two_ranks" / f, out / f);
    test::write_file(out / ".metadata", metadata);
    return out;
}

enum class Case {
    ChunkOutside,
    ChunksOverlap,
    ChunkMissing,
    ItemPastEnd,
    ItemShape,
    ItemDtype,
    PathEscape,
    FileMissing,
    TruncatedDistcp,
    CorruptItemZip,
    BadGlobal,
    TruncatedMetadata,
    NotMetadata,
    BadTracker,
    MegatronZarr,
};
constexpr int kLastCase = static_cast<int>(Case::MegatronZarr);

struct Expect {
    StatusCode code;
    std::string fragment;
    std::string file;
    std::string tensor;
    bool has_offset;
};

// Builds the broken checkpoint for one case under `dir`; returns what to open and what to expect.
std::pair<fs::path, Expect> make_case(Case c, const TempDir& dir) {
    using S = StatusCode;
    auto rows = rows_chunks();
    auto tensor = [&](Shape size, std::vector<ChunkSpec> chunks) {
        return std::vector<TensorSpec>{{"rows.weight", "bfloat16", std::move(size), std::move(chunks)}};
    };
    switch (c) {
        case Case::ChunkOutside:
            rows[1].offsets = {4, 0};
            return {folder_with(dir, metadata_pickle(tensor({6, 4}, rows))),
                    {S::Corrupt, "chunk at [4, 0] of size [3, 4] does not fit the global shape [6, 4]", ".metadata",
                     "rows.weight", false}};
        case Case::ChunksOverlap:
            rows[1].offsets = {2, 0};
            return {folder_with(dir, metadata_pickle(tensor({5, 4}, rows))),
                    {S::Corrupt, "chunks at [0, 0] and [2, 0] overlap", ".metadata", "rows.weight", false}};
        case Case::ChunkMissing:
            return {folder_with(dir, metadata_pickle(tensor({9, 4}, rows))),
                    {S::Corrupt, "chunks cover 24 of the 36 elements", ".metadata", "rows.weight", false}};
        case Case::ItemPastEnd:
            rows[1].offset = fs::file_size(kFixtures / "dcp_two_ranks" / rows[1].file) - 10;
            return {folder_with(dir, metadata_pickle(tensor({6, 4}, rows))),
                    {S::Truncated, "runs past the end of the file", rows[1].file, "rows.weight", true}};
        case Case::ItemShape:
            rows.resize(1);
            rows[0].sizes = {3, 2};
            return {folder_with(dir, metadata_pickle(tensor({3, 2}, rows))),
                    {S::Corrupt, "holds a tensor of shape [3, 4] but .metadata says [3, 2]", rows[0].file,
                     "rows.weight", true}};
        case Case::ItemDtype: {
            auto specs = tensor({6, 4}, rows);
            specs[0].dtype = "float32";
            return {folder_with(dir, metadata_pickle(specs)),
                    {S::Corrupt, "holds BF16 but .metadata says F32", rows[0].file, "rows.weight", true}};
        }
        case Case::PathEscape:
            rows[0].file = "../" + rows[0].file;
            return {folder_with(dir, metadata_pickle(tensor({6, 4}, rows))),
                    {S::Corrupt, "is outside the checkpoint folder", ".metadata", "rows.weight", false}};
        case Case::FileMissing:
            rows[1].file = "__7_0.distcp";
            return {folder_with(dir, metadata_pickle(tensor({6, 4}, rows))),
                    {S::NotFound, "'__7_0.distcp', which does not exist", "__7_0.distcp", "rows.weight", false}};
        case Case::TruncatedDistcp: {
            const fs::path p = folder_with(dir, metadata_pickle(tensor({6, 4}, rows)));
            fs::resize_file(p / rows[1].file, rows[1].offset + rows[1].length / 2);
            return {p, {S::Truncated, "runs past the end of the file", rows[1].file, "rows.weight", true}};
        }
        case Case::CorruptItemZip: {
            const fs::path p = folder_with(dir, metadata_pickle(tensor({6, 4}, rows)));
            auto bytes = test::read_file(p / rows[1].file);
            // The item's end-of-central-directory signature: the zip can no longer be found.
            for (uint64_t i = rows[1].offset; i + 4 <= rows[1].offset + rows[1].length; ++i)
                if (bytes[i] == 'P' && bytes[i + 1] == 'K' && bytes[i + 2] == 5 && bytes[i + 3] == 6) bytes[i] = 'X';
            test::write_file(p / rows[1].file, bytes);
            return {p, {S::Corrupt, "no end-of-central-directory record", rows[1].file, "rows.weight", true}};
        }
        case Case::BadGlobal: {
            std::string md = metadata_pickle(tensor({6, 4}, rows));
            const std::string from = "\nChunkStorageMetadata\n", to = "\nChunkStorageMetadatX\n";
            md.replace(md.find(from), from.size(), to);
            return {
                folder_with(dir, md),
                {S::Unsupported, "global 'torch.distributed.checkpoint.metadata.ChunkStorageMetadatX' is not allowed",
                 ".metadata", "", true}};
        }
        case Case::TruncatedMetadata: {
            // Cut inside the key string of the first chunk's MetadataIndex.
            const std::string md = metadata_pickle(tensor({6, 4}, rows));
            const size_t cut = md.find("rows.weight", md.find("MetadataIndex")) + 4;
            return {folder_with(dir, md.substr(0, cut)),
                    {S::Truncated, "runs past the end of the pickle", ".metadata", "", true}};
        }
        case Case::NotMetadata:
            return {folder_with(dir, std::string("\x80\x02}.", 4)),
                    {S::Corrupt, "not a DCP Metadata pickle", ".metadata", "", false}};
        case Case::BadTracker: {
            const fs::path root = dir / "ckpt";
            fs::create_directories(root / "iter_0000010");
            test::write_file(root / "iter_0000010" / ".metadata", metadata_pickle({}));
            test::write_file(root / "latest_checkpointed_iteration.txt", std::string("20"));
            // Not a torch_dist checkpoint any more: the Megatron reader reports the tracker.
            return {root,
                    {S::NotFound, "names '20' but folder 'iter_0000020' does not exist", root.string(), "", false}};
        }
        case Case::MegatronZarr: {
            const fs::path p = folder_with(dir, metadata_pickle(tensor({6, 4}, rows)));
            test::write_file(p / "metadata.json", std::string("{\"sharded_backend\": \"zarr\"}"));
            return {p, {S::Unsupported, "sharded_backend is 'zarr'", "ckpt/metadata.json", "", false}};
        }
    }
    return {};
}

}  // namespace

TEST_CASE("a .metadata written as older torch does (5-tuple TensorProperties, protocol 2) opens", "[torch_dist]") {
    TempDir dir;
    const auto rows = rows_chunks();
    const fs::path p = folder_with(dir, metadata_pickle({{"rows.weight", "bfloat16", {6, 4}, rows}}));
    auto ckpt = open_torch_dist(p);
    REQUIRE(ckpt.is_ok());
    auto expected = open_checkpoint(kFixtures / "dcp_two_ranks.expected.safetensors");
    REQUIRE(expected.is_ok());
    CHECK(*ckpt->read(*ckpt->find("rows.weight")) == *expected->read(*expected->find("rows.weight")));
}

TEST_CASE("Megatron's own Metadata subclass is read as opaque data, never executed", "[torch_dist]") {
    TempDir dir;
    const auto rows = rows_chunks();
    const fs::path p =
        folder_with(dir, metadata_pickle({{"rows.weight", "bfloat16", {6, 4}, rows}},
                                         "megatron.core.dist_checkpointing.strategies.torch", "MCoreMetadata"));
    auto ckpt = open_torch_dist(p);
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->metadata["metadata_class"] == "megatron.core.dist_checkpointing.strategies.torch.MCoreMetadata");
    // Elsewhere in the pickle only the allow-list holds: os.system is refused by name.
    std::string md = metadata_pickle({{"rows.weight", "bfloat16", {6, 4}, rows}}, "os", "system");
    TempDir dir2;
    auto bad = open_torch_dist(folder_with(dir2, md));
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().code() == StatusCode::Unsupported);
    CHECK_THAT(bad.status().message(), Catch::Contains("global 'os.system' is not allowed"));
}

TEST_CASE("broken DCP checkpoints are refused with the file, key and offset", "[torch_dist][corrupt]") {
    for (int i = 0; i <= kLastCase; ++i) {
        TempDir dir;
        auto [path, e] = make_case(static_cast<Case>(i), dir);
        auto r = open_checkpoint(path);
        INFO("case " << i << ": " << r.status().to_string());
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().code() == e.code);
        CHECK_THAT(r.status().message(), Catch::Contains(e.fragment));
        CHECK(r.status().file() == e.file);
        CHECK(r.status().tensor() == e.tensor);
        CHECK(r.status().offset().has_value() == e.has_offset);
    }
}

TEST_CASE("without common.pt (megatron-core >= 0.19) the args come from the common_state object", "[torch_dist]") {
    TempDir dir;
    // The common state as a torch.save archive, appended to a copy of __0_0.distcp.
    const fs::path common = dir / "common.pt";
    TorchPtWriterOptions opts;
    opts.extra = megatron_extra_entries({{"num_layers", 4}, {"hidden_size", 16}}, 7);
    TorchPtWriter w(common, opts);
    REQUIRE(w.begin({}).is_ok());
    REQUIRE(w.finish().is_ok());
    const auto rows = rows_chunks();
    const fs::path p = folder_with(dir, "");
    auto distcp = test::read_file(p / "__0_0.distcp");
    const auto archive = test::read_file(common);
    const ObjectSpec state{"common_state/shard_0_1", "__0_0.distcp", distcp.size(), archive.size()};
    distcp.insert(distcp.end(), archive.begin(), archive.end());
    test::write_file(p / "__0_0.distcp", distcp);
    test::write_file(p / ".metadata", metadata_pickle({{"rows.weight", "bfloat16", {6, 4}, rows}}, kMd, "Metadata",
                                                      {state, {"rng_state/shard_0.0_1.1", "__0_0.distcp", 0, 10},
                                                       {"optimizer.state.exp_avg.rows.weight", "__0_0.distcp", 0, 10}}));
    auto ckpt = open_torch_dist(p);
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->config["num_layers"] == 4);
    CHECK(ckpt->config["hidden_size"] == 16);
    CHECK(ckpt->metadata["iteration"] == 7);
    CHECK(ckpt->metadata["common_state"] == "common_state/shard_0_1");
    CHECK(ckpt->metadata["skipped_objects"]["rng_state"] == 1);
    CHECK(ckpt->metadata["optimizer_state"]["items"] == 1);
    CHECK(ckpt->tensors.size() == 1);
}

namespace {

dcp::Metadata parsed_metadata(const fs::path& file) {
    auto map = MappedFile::open(file);
    REQUIRE(map.is_ok());
    auto md = dcp::parse_metadata((*map)->all(), file.filename().string());
    REQUIRE(md.is_ok());
    return std::move(*md);
}

void require_same_metadata(const dcp::Metadata& a, const dcp::Metadata& b) {
    REQUIRE(a.tensors.size() == b.tensors.size());
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        const auto &x = a.tensors[i], &y = b.tensors[i];
        INFO(x.key);
        CHECK(x.key == y.key);
        CHECK(x.dtype == y.dtype);
        CHECK(x.size == y.size);
        REQUIRE(x.chunks.size() == y.chunks.size());
        for (size_t c = 0; c < x.chunks.size(); ++c) {
            CHECK(x.chunks[c].offsets == y.chunks[c].offsets);
            CHECK(x.chunks[c].sizes == y.chunks[c].sizes);
            CHECK(x.chunks[c].storage.relative_path == y.chunks[c].storage.relative_path);
            CHECK(x.chunks[c].storage.offset == y.chunks[c].storage.offset);
            CHECK(x.chunks[c].storage.length == y.chunks[c].storage.length);
        }
    }
    REQUIRE(a.objects.size() == b.objects.size());
    for (size_t i = 0; i < a.objects.size(); ++i) {
        CHECK(a.objects[i].key == b.objects[i].key);
        CHECK(a.objects[i].storage.offset == b.objects[i].storage.offset);
        CHECK(a.objects[i].storage.length == b.objects[i].storage.length);
    }
}

}  // namespace

TEST_CASE("a .metadata Strata writes reads back as the one megatron-core wrote", "[torch_dist][writer]") {
    const fs::path file = kFixtures / "gpt_moe_ep2/iter_0000010/.metadata";
    const dcp::Metadata original = parsed_metadata(file);
    REQUIRE(original.tensors.size() > 5);
    REQUIRE(original.objects.size() > 5);
    const std::string bytes = dcp::write_metadata(original);
    auto again = dcp::parse_metadata(std::as_bytes(std::span(bytes.data(), bytes.size())), "written");
    REQUIRE(again.is_ok());
    require_same_metadata(original, *again);
    CHECK(again->class_name == "torch.distributed.checkpoint.metadata.Metadata");
    CHECK_FALSE(again->has_local_plans);
    // Where STRATA_WRITE_METADATA names a file, keep the bytes for a check in real torch:
    //   python -c "import pickle; m = pickle.load(open(F, 'rb')); print(len(m.state_dict_metadata))"
    if (const char* keep = std::getenv("STRATA_WRITE_METADATA")) {
        std::ofstream(keep, std::ios::binary) << bytes;
    }
}

TEST_CASE("a .metadata item beyond 2 GiB and a 5 GiB tensor keep their offsets", "[torch_dist][writer]") {
    dcp::Metadata md;
    dcp::TensorMeta t;
    t.key = "decoder.layers.mlp.experts.experts.linear_fc1.weight";
    t.dtype = DType::BF16;
    t.size = {48, 128, 1536, 2048};
    dcp::ChunkMeta c;
    c.offsets = {47, 127, 0, 0};
    c.sizes = {1, 1, 1536, 2048};
    c.storage = {"__3_0.distcp", 5'000'000'000ULL, 6'292'480ULL};
    t.chunks.push_back(c);
    md.tensors.push_back(t);
    md.objects.push_back({"decoder.layers.mlp.linear_fc1._extra_state/shard_0_48", {"__0_0.distcp", 70'000, 1'261}});
    const std::string bytes = dcp::write_metadata(md);
    auto again = dcp::parse_metadata(std::as_bytes(std::span(bytes.data(), bytes.size())), "written");
    if (!again) FAIL(again.status().to_string());
    require_same_metadata(md, *again);
}
