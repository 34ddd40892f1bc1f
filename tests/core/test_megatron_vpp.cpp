// Megatron legacy checkpoints with virtual pipeline stages (VPP): the layers split into PP·VPP
// chunks, chunk c on stage c % PP as model<c / PP> of its rank file, layers numbered from 0 in a
// chunk. Round trips are bit-identical, and the folder holds what Megatron's loader reads (that
// megatron-core itself loads it and matches transformers: tests/reference/judge_megatron_load.py).
#include <catch2/catch.hpp>

#include <xxhash.h>

#include <filesystem>
#include <map>
#include <set>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/formats/torch_pt.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
using namespace strata::test;
namespace fs = std::filesystem;

namespace {

std::map<std::string, uint64_t> hashes(const fs::path& path) {
    const Checkpoint ckpt = open_ok(path);
    std::map<std::string, uint64_t> out;
    for (const auto& t : ckpt.tensors) {
        auto bytes = ckpt.read(t);
        REQUIRE(bytes.is_ok());
        out[t.name + "@" + std::to_string(t.rank.tp) + "." + std::to_string(t.rank.pp) + "." +
            std::to_string(t.rank.ep)] = XXH3_64bits(bytes->data(), bytes->size());
    }
    return out;
}

Result<ConvertReport> convert(const fs::path& src, const fs::path& out, LayoutKind kind, int tp, int pp, int vpp,
                              bool reshard = false) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target.kind = kind;
    o.target.plan.tp = tp;
    o.target.plan.pp = pp;
    o.target.plan.vpp = vpp;
    if (reshard) o.require_source = LayoutKind::Megatron;
    NullProgress p;
    CancelToken c;
    return convert_checkpoint(o, p, c);
}

void convert_ok(const fs::path& src, const fs::path& out, LayoutKind kind, int tp = 1, int pp = 1, int vpp = 1,
                bool reshard = false) {
    auto r = convert(src, out, kind, tp, pp, vpp, reshard);
    if (!r) FAIL(r.status().to_string());
}

// The top-level keys of one rank file, as torch.load would see them.
std::set<std::string> top_keys(const fs::path& file) {
    auto pickle = read_torch_pt_pickle(file);
    REQUIRE(pickle.is_ok());
    std::set<std::string> keys;
    for (const auto& [k, v] : pickle->entries()) keys.insert(k.as_string());
    return keys;
}

}  // namespace

TEST_CASE("VPP: HF -> Megatron PP2 VPP2 -> HF is bit-identical, with model0 and model1 per rank file", "[convert][vpp]") {
    TempDir dir;
    const fs::path src = synth_ok(dir / "tiny", "tiny");
    for (int tp : {1, 2}) {
        INFO("tp " << tp);
        const fs::path mg = dir / ("mg" + std::to_string(tp)), back = dir / ("back" + std::to_string(tp));
        convert_ok(src, mg, LayoutKind::Megatron, tp, 2, 2);
        convert_ok(mg, back, LayoutKind::Hf);
        CHECK(hashes(back) == hashes(src));
        // 4 layers in 4 chunks of 1: stage 0 holds layers 0 (model0) and 2 (model1), stage 1 layers 1 and 3.
        const fs::path stage0 = mg / "iter_0000001" / "mp_rank_00_000" / "model_optim_rng.pt";
        const fs::path stage1 = mg / "iter_0000001" / "mp_rank_00_001" / "model_optim_rng.pt";
        CHECK(top_keys(stage0) == std::set<std::string>{"args", "checkpoint_version", "iteration", "model0", "model1"});
        CHECK(top_keys(stage1) == std::set<std::string>{"args", "checkpoint_version", "iteration", "model0", "model1"});
        const Checkpoint ckpt = open_ok(mg);
        CHECK(ckpt.config.value("virtual_pipeline_model_parallel_size", 0) == 2);
        std::set<std::string> stage0_names, stage1_names;
        for (const auto& t : ckpt.tensors) (t.rank.pp == 0 ? stage0_names : stage1_names).insert(t.name);
        CHECK(stage0_names.count("model0.embedding.word_embeddings.weight"));
        CHECK(stage0_names.count("model0.decoder.layers.0.mlp.router.weight"));  // global layer 0
        CHECK(stage0_names.count("model1.decoder.layers.0.mlp.router.weight"));  // global layer 2
        CHECK_FALSE(stage0_names.count("model0.decoder.layers.1.mlp.router.weight"));
        CHECK(stage1_names.count("model1.decoder.final_layernorm.weight"));
        CHECK(stage1_names.count("model1.output_layer.weight"));
        CHECK_FALSE(stage1_names.count("model0.output_layer.weight"));
    }
}

TEST_CASE("VPP: reshard VPP -> plain PP and back is bit-identical, and VPP converts to torch_dist", "[convert][vpp]") {
    TempDir dir;
    const fs::path src = synth_ok(dir / "tiny", "tiny-dense");
    convert_ok(src, dir / "vpp", LayoutKind::Megatron, 2, 2, 2);
    convert_ok(dir / "vpp", dir / "plain", LayoutKind::Megatron, 1, 4, 1, true);
    convert_ok(dir / "plain", dir / "vpp-again", LayoutKind::Megatron, 2, 2, 2, true);
    CHECK(hashes(dir / "vpp-again") == hashes(dir / "vpp"));
    ConvertOptions o;
    o.source = dir / "vpp";
    o.out = dir / "dist";
    o.target.kind = LayoutKind::Megatron;
    o.require_source = LayoutKind::Megatron;
    o.ckpt_format = MegatronCkptFormat::TorchDist;
    NullProgress p;
    CancelToken c;
    REQUIRE(convert_checkpoint(o, p, c).is_ok());
    convert_ok(dir / "dist", dir / "hf", LayoutKind::Hf);
    CHECK(hashes(dir / "hf") == hashes(src));
}

TEST_CASE("VPP plans Megatron cannot run are refused by name", "[convert][vpp]") {
    TempDir dir;
    const fs::path src = synth_ok(dir / "tiny", "tiny-dense");
    auto r = convert(src, dir / "a", LayoutKind::Megatron, 1, 1, 2);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().find("VPP > 1 needs PP > 1") != std::string::npos);
    r = convert(src, dir / "b", LayoutKind::Megatron, 1, 2, 3);  // 4 layers in 6 chunks
    REQUIRE_FALSE(r.is_ok());
    CHECK_FALSE(fs::exists(dir / "b"));
}
