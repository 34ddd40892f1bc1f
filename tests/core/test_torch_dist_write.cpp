// The torch_dist writer (formats/torch_dist_writer.h, mapping/torch_dist_layout.h): round trips
// through torch_dist are bit-identical over TP, PP and EP and against the legacy format; what it
// writes for megatron-core's own GPT fixtures has megatron-core's keys, global shapes and (for the
// TP2 save) chunk boxes; hybrids and legacy GroupedMLP are refused by name. That megatron-core
// loads the output and reproduces transformers' logits is tests/reference/judge_megatron_load.py.
#include <catch2/catch.hpp>

#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/hybrid/hybridize.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
using namespace strata::test;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/reference/fixtures/torch_dist";

// "name@tp.pp.ep" -> xxh3 of the tensor's bytes (rank-qualified: Megatron names repeat per rank).
std::map<std::string, uint64_t> hashes(const fs::path& path) {
    const Checkpoint ckpt = open_ok(path);
    std::map<std::string, uint64_t> out;
    for (const auto& t : ckpt.tensors) {
        auto bytes = ckpt.read(t);
        REQUIRE(bytes.is_ok());
        const std::string key = t.name + "@" + std::to_string(t.rank.tp) + "." + std::to_string(t.rank.pp) + "." +
                                std::to_string(t.rank.ep);
        out[key] = XXH3_64bits(bytes->data(), bytes->size());
    }
    return out;
}

struct Target {
    LayoutKind kind = LayoutKind::Megatron;
    int tp = 1, pp = 1, ep = 1, etp = 0;
    std::optional<MambaLayout> mamba;
    MegatronCkptFormat format = MegatronCkptFormat::TorchDist;
    std::optional<NormLayout> norms;
    std::optional<ExpertLayout> experts;
    bool reshard = false;
};

Result<ConvertReport> convert(const fs::path& src, const fs::path& out, const Target& t) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target.kind = t.kind;
    o.target.plan.tp = t.tp;
    o.target.plan.pp = t.pp;
    o.target.plan.ep = t.ep;
    o.target.plan.etp = t.etp;
    o.ckpt_format = t.format;
    if (t.mamba) o.target.mamba = *t.mamba;
    o.norms = t.norms;
    o.experts = t.experts;
    if (t.reshard) o.require_source = LayoutKind::Megatron;
    o.executor.threads = 2;
    NullProgress p;
    CancelToken c;
    return convert_checkpoint(o, p, c);
}

ConvertReport convert_ok(const fs::path& src, const fs::path& out, const Target& t) {
    auto r = convert(src, out, t);
    if (!r) FAIL(r.status().to_string());
    return std::move(*r);
}

Target hf() {
    Target t;
    t.kind = LayoutKind::Hf;
    return t;
}

size_t distcp_files(const fs::path& root) {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) n += e.path().extension() == ".distcp";
    return n;
}

std::string read_text(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// key -> (global shape, sorted chunk boxes).
using Boxes = std::set<std::pair<Shape, Shape>>;
std::map<std::string, std::pair<Shape, Boxes>> dcp_keys(const fs::path& path) {
    const Checkpoint ckpt = open_ok(path);
    std::map<std::string, std::pair<Shape, Boxes>> out;
    for (const auto& t : ckpt.tensors) {
        Boxes boxes;
        for (const auto& c : t.location.chunks) boxes.insert({c.offsets, c.sizes});
        if (boxes.empty()) boxes.insert({Shape(t.shape.size(), 0), t.shape});
        out[t.name] = {t.shape, boxes};
    }
    return out;
}

}  // namespace

TEST_CASE("HF -> torch_dist -> HF is bit-identical over TP, PP and EP", "[torch_dist][convert]") {
    TempDir dir;
    int n = 0;
    struct Model {
        const char* preset;
        std::vector<int> tps, eps;
    };
    for (const Model& m : {Model{"tiny", {1, 2}, {1, 2, 4}}, Model{"llama-tiny", {1, 2, 4}, {1}}}) {
        const fs::path src = synth_ok(dir / m.preset, m.preset);
        const auto want = hashes(src);
        for (int tp : m.tps)
            for (int pp : {1, 2})
                for (int ep : m.eps) {
                    const std::string tag = std::string(m.preset) + " tp" + std::to_string(tp) + " pp" +
                                            std::to_string(pp) + " ep" + std::to_string(ep);
                    INFO(tag);
                    const fs::path td = dir / "td", back = dir / "back";
                    Target t;
                    t.tp = tp;
                    t.pp = pp;
                    t.ep = ep;
                    convert_ok(src, td, t);
                    CHECK(distcp_files(td) == static_cast<size_t>(tp * pp * ep));  // every rank holds a unique box
                    CHECK(open_ok(td).format == "torch_dist");
                    convert_ok(td, back, hf());
                    CHECK(hashes(back) == want);
                    fs::remove_all(td);
                    fs::remove_all(back);
                    ++n;
                }
    }
    CHECK(n == 12 + 6);
}

TEST_CASE("legacy <-> torch_dist is bit-identical, and torch_dist reshards to torch_dist", "[torch_dist][convert]") {
    TempDir dir;
    const fs::path src = synth_ok(dir / "tiny", "tiny");
    Target legacy;
    legacy.tp = 2;
    legacy.pp = 2;
    legacy.ep = 2;
    legacy.format = MegatronCkptFormat::Torch;
    convert_ok(src, dir / "mg", legacy);
    Target to_dist;
    to_dist.tp = 1;
    to_dist.pp = 2;
    to_dist.ep = 4;
    to_dist.reshard = true;
    convert_ok(dir / "mg", dir / "td", to_dist);
    Target dist_again;
    dist_again.tp = 2;
    dist_again.ep = 2;
    dist_again.reshard = true;
    convert_ok(dir / "td", dir / "td2", dist_again);
    Target back = legacy;
    back.reshard = true;
    convert_ok(dir / "td2", dir / "mg2", back);
    CHECK(hashes(dir / "mg2") == hashes(dir / "mg"));
    convert_ok(dir / "td2", dir / "hf", hf());
    CHECK(hashes(dir / "hf") == hashes(src));
}

TEST_CASE("torch_dist output of megatron-core's GPT fixtures has megatron-core's keys, shapes and TP2 chunk boxes",
          "[torch_dist][convert]") {
    TempDir dir;
    struct Case {
        std::string fixture;
        int tp, ep;
        bool same_boxes;  // megatron-core also splits SwiGLU halves at TP1; Strata writes a TP1 fc1 whole
    };
    for (const Case& c : {Case{"dense_tp2", 2, 1, true}, Case{"moe_ep2", 1, 2, false}, Case{"moe_freq", 1, 1, false}}) {
        INFO(c.fixture);
        const fs::path fx = kFixtures / ("gpt_" + c.fixture);
        const fs::path out = dir / c.fixture;
        Target t;
        t.tp = c.tp;
        t.ep = c.ep;
        t.norms = NormLayout::Local;  // the fixtures' layer spec
        convert_ok(fx, out, t);
        const auto want = dcp_keys(fx), got = dcp_keys(out);
        std::set<std::string> want_keys, got_keys;
        for (const auto& [k, v] : want) want_keys.insert(k);
        for (const auto& [k, v] : got) got_keys.insert(k);
        REQUIRE(got_keys == want_keys);
        for (const auto& [k, v] : want) {
            INFO(k);
            CHECK(got.at(k).first == v.first);
            if (c.same_boxes) CHECK(got.at(k).second == v.second);
        }
        // The values are megatron-core's: back to HF they equal the fixture's own HF reading.
        convert_ok(fx, dir / (c.fixture + "-hf"), hf());
        convert_ok(out, dir / (c.fixture + "-back"), hf());
        CHECK(hashes(dir / (c.fixture + "-back")) == hashes(dir / (c.fixture + "-hf")));
    }
}

TEST_CASE("torch_dist names a MoE layer's pre-MLP norm as the TE or the local layer spec does", "[torch_dist][convert]") {
    TempDir dir;
    const fs::path src = synth_ok(dir / "tiny", "tiny");
    for (NormLayout norms : {NormLayout::Te, NormLayout::Local}) {
        const fs::path out = dir / norm_layout_name(norms);
        Target t;
        t.norms = norms;
        const auto report = convert_ok(src, out, t);
        const Checkpoint ckpt = open_ok(out);
        const bool te = norms == NormLayout::Te;
        CHECK((ckpt.find("decoder.layers.pre_mlp_layernorm.weight") != nullptr) == te);
        CHECK((ckpt.find("decoder.layers.mlp.linear_fc1.layer_norm_weight") != nullptr) == !te);
        CHECK(ckpt.config.value("transformer_impl", "") == (te ? "transformer_engine" : "local"));
        CHECK(ckpt.config.value("ckpt_format", "") == "torch_dist");
        CHECK(report.plan.target_layout.find(te ? "TE layer spec" : "local layer spec") != std::string::npos);
        convert_ok(out, dir / (std::string("back-") + norm_layout_name(norms)), hf());
        CHECK(hashes(dir / (std::string("back-") + norm_layout_name(norms))) == hashes(src));
    }
}

TEST_CASE("torch_dist folder: tracker, 4-field metadata.json, common.pt, and release", "[torch_dist][convert]") {
    TempDir dir;
    const fs::path src = synth_ok(dir / "tiny", "tiny-dense");
    convert_ok(src, dir / "td", Target{});
    CHECK(read_text(dir / "td/latest_checkpointed_iteration.txt") == "1");
    const auto meta = nlohmann::json::parse(read_text(dir / "td/iter_0000001/metadata.json"));
    CHECK(meta == nlohmann::json{{"sharded_backend", "torch_dist"},
                                 {"sharded_backend_version", 1},
                                 {"common_backend", "torch"},
                                 {"common_backend_version", 1}});
    CHECK(fs::is_regular_file(dir / "td/iter_0000001/common.pt"));
    CHECK(fs::is_regular_file(dir / "td/iter_0000001/.metadata"));
    const Checkpoint ckpt = open_ok(dir / "td");
    CHECK(ckpt.config.value("num_layers", 0) == 4);
    CHECK(ckpt.find("output_layer.weight") != nullptr);

    ConvertOptions o;
    o.source = src;
    o.out = dir / "rel";
    o.target.kind = LayoutKind::Megatron;
    o.ckpt_format = MegatronCkptFormat::TorchDist;
    o.iteration = 0;
    NullProgress p;
    CancelToken c;
    REQUIRE(convert_checkpoint(o, p, c).is_ok());
    CHECK(read_text(dir / "rel/latest_checkpointed_iteration.txt") == "release");
    CHECK(fs::is_regular_file(dir / "rel/release/.metadata"));
}

TEST_CASE("torch_dist with tied embeddings saves no output layer, even from the last PP stage", "[torch_dist][convert]") {
    TempDir dir;
    const fs::path src = synth_ok(dir / "tied", "tiny-dense-tied");
    Target t;
    t.tp = 2;
    t.pp = 2;
    convert_ok(src, dir / "td", t);
    const Checkpoint ckpt = open_ok(dir / "td");
    CHECK(ckpt.find("output_layer.weight") == nullptr);
    CHECK(ckpt.find("embedding.word_embeddings.weight")->location.chunks.size() == 2);  // one per TP rank, once
    convert_ok(dir / "td", dir / "back", hf());
    CHECK(hashes(dir / "back") == hashes(src));
}

TEST_CASE("torch_dist output refuses GDN hybrids, M1's own Mamba rows and legacy GroupedMLP by name, and writes nothing",
          "[torch_dist][convert]") {
    TempDir dir;
    const fs::path gdn = synth_ok(dir / "q35", "qwen3.5-tiny");
    auto r = convert(gdn, dir / "q35-td", Target{});
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().find("not written yet") != std::string::npos);
    CHECK(r.status().message().find("--ckpt-format torch") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "q35-td"));

    const fs::path moe = synth_ok(dir / "tiny", "tiny");
    Target t;
    t.experts = ExpertLayout::LegacyGrouped;
    r = convert(moe, dir / "lg", t);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().find("--expert-layout grouped or sequential") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "lg"));

    HybridizeOptions h;
    h.source = moe;
    h.out = dir / "m1";
    h.attn_layers = "0,3";
    NullProgress p;
    CancelToken c;
    REQUIRE(hybridize(h, p, c).is_ok());
    r = convert(h.out, dir / "m1-td", Target{});  // M1's own rows (the default Mamba layout)
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().find("--mamba-layout exact") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "m1-td"));
}

TEST_CASE("Mamba hybrids through torch_dist: in_proj and conv1d saved as Megatron's section keys, round trips bit-identical",
          "[torch_dist][convert]") {
    TempDir dir;
    HybridizeOptions h;
    h.source = synth_ok(dir / "tiny", "tiny");
    h.out = dir / "m1";
    h.attn_layers = "0,3";
    NullProgress p;
    CancelToken c;
    REQUIRE(hybridize(h, p, c).is_ok());
    struct Model {
        fs::path hf;
        std::optional<MambaLayout> mamba;
    };
    const std::vector<Model> models = {{synth_ok(dir / "nh", "nemotron-h-tiny"), std::nullopt},
                                       {synth_ok(dir / "nhm", "nemotron-h-moe-tiny"), std::nullopt},
                                       {h.out, MambaLayout::Exact}};
    for (const Model& m : models) {
        const auto want = hashes(m.hf);
        for (int tp : {1, 2})
            for (int pp : {1, 2}) {
                INFO(m.hf.filename().string() << " tp" << tp << " pp" << pp);
                Target t;
                t.tp = tp;
                t.pp = pp;
                t.mamba = m.mamba;
                convert_ok(m.hf, dir / "td", t);
                const Checkpoint ckpt = open_ok(dir / "td");
                // Megatron's MambaMixer keys: in_proj.weight.{z,x,B,C,dt}, conv1d.{weight,bias}.{x,B,C}.
                std::string base;  // the first Mamba layer's in_proj key
                for (const auto& tensor : ckpt.tensors)
                    if (tensor.name.ends_with(".mixer.in_proj.weight.z") && base.empty())
                        base = tensor.name.substr(0, tensor.name.size() - 2);
                REQUIRE_FALSE(base.empty());
                uint64_t in_proj_rows = 0;
                for (const char* part : {"z", "x", "B", "C", "dt"}) {
                    const TensorInfo* found = ckpt.find(base + "." + part);
                    REQUIRE(found != nullptr);
                    in_proj_rows += found->shape[0];
                }
                const std::string conv = base.substr(0, base.size() - std::string("in_proj.weight").size()) + "conv1d.";
                for (const char* part : {"weight.x", "weight.B", "weight.C"}) CHECK(ckpt.find(conv + part) != nullptr);
                CHECK(in_proj_rows > 0);
                CHECK(ckpt.find(base) == nullptr);
                convert_ok(dir / "td", dir / "back", hf());
                CHECK(hashes(dir / "back") == want);
                fs::remove_all(dir / "td");
                fs::remove_all(dir / "back");
            }
    }
}
