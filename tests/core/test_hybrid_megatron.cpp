// M1 hybrids through the conversion engine: HF hybrid -> Megatron (m1 and exact Mamba layouts)
// -> HF is bit-identical over TP/PP/EP; exact -> m1 is exact while x/B copies are tied.
#include <catch2/catch.hpp>

#include <fstream>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/hybrid/hybrid_layout.h"
#include "strata/hybrid/hybridize.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/model/hf_config.h"
#include "strata/synth/synth.h"
#include "support/temp_dir.h"

using namespace strata;

namespace {

std::filesystem::path make_hybrid(const test::TempDir& dir) {
    SynthOptions s;
    s.preset = "tiny";
    s.out = dir / "tiny";
    s.seed = 3;
    NullProgress p;
    CancelToken c;
    REQUIRE(synthesize(s, p, c).is_ok());
    HybridizeOptions h;
    h.source = s.out;
    h.out = dir / "hybrid";
    h.attn_layers = "0,2,3";
    h.seed = 9;
    REQUIRE(hybridize(h, p, c).is_ok());
    return h.out;
}

Result<ConvertReport> convert(const std::filesystem::path& src, const std::filesystem::path& out, LayoutOptions target,
                              std::optional<LayoutKind> require = std::nullopt) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target = std::move(target);
    o.require_source = require;
    o.executor.threads = 2;
    NullProgress p;
    CancelToken c;
    return convert_checkpoint(o, p, c);
}

LayoutOptions megatron(int tp, int pp, int ep, MambaLayout mamba) {
    LayoutOptions o;
    o.kind = LayoutKind::Megatron;
    o.plan.tp = tp;
    o.plan.pp = pp;
    o.plan.ep = ep;
    o.mamba = mamba;
    return o;
}

// Every tensor of `b` equals `a`'s byte for byte, and neither has extra tensors.
void require_same_tensors(const std::filesystem::path& a_path, const std::filesystem::path& b_path) {
    auto a = open_checkpoint(a_path);
    auto b = open_checkpoint(b_path);
    REQUIRE(a.is_ok());
    REQUIRE(b.is_ok());
    REQUIRE(a->tensors.size() == b->tensors.size());
    for (const TensorInfo& t : a->tensors) {
        const TensorInfo* u = b->find(t.name);
        INFO(t.name);
        REQUIRE(u);
        CHECK(u->dtype == t.dtype);
        CHECK(u->shape == t.shape);
        CHECK(*b->read(*u) == *a->read(t));
    }
}

}  // namespace

TEST_CASE("M1 hybrid table: Megatron names, slots and in_proj rows per layout", "[hybrid][megatron]") {
    test::TempDir dir;
    const auto hybrid = make_hybrid(dir);
    auto cfg = read_hf_config_beside(hybrid);
    REQUIRE(cfg.is_ok());
    auto spec = m1_hybrid_mapping_spec(*cfg);
    REQUIRE(spec.is_ok());
    CHECK(spec->layers == 8);  // 4 HF layers = 8 Megatron layers
    CHECK(spec->megatron_pattern == "*EME*E*E");
    auto entries = m1_hybrid_tensor_entries(*cfg, DType::BF16);
    REQUIRE(entries.is_ok());
    auto reg = mapping_registry_for(kM1HybridModelType);
    REQUIRE(reg.is_ok());
    for (auto [mamba, rows] : {std::pair{MambaLayout::M1, 328}, std::pair{MambaLayout::Exact, 520}}) {
        for (int tp : {1, 2}) {
            auto layout = build_layout(*spec, *entries, **reg, megatron(tp, 2, 2, mamba));
            REQUIRE(layout.is_ok());
            auto find = [&](const std::string& name, RankCoord r) -> const LayoutTensor* {
                for (const auto& t : layout->tensors)
                    if (t.name == name && t.rank == r) return &t;
                return nullptr;
            };
            // HF layer 1 (Mamba) -> slot 2 on stage 0; its MoE -> slot 3. Layer 2 (attention) -> slot 4 = stage 1 local 0.
            const LayoutTensor* in_proj = find("decoder.layers.2.mixer.in_proj.weight", {0, 0, 0});
            REQUIRE(in_proj);
            CHECK(in_proj->shape == Shape{static_cast<uint64_t>(rows / tp), 64});
            CHECK(find("decoder.layers.2.mixer.in_proj.layer_norm_weight", {tp - 1, 0, 1}));
            CHECK(find("decoder.layers.2.mixer.conv1d.weight", {0, 0, 0})->shape ==
                  Shape{static_cast<uint64_t>((mamba == MambaLayout::M1 ? 192 : 384) / tp), 1, 4});
            CHECK(find("decoder.layers.2.mixer.A_log", {0, 0, 0})->shape == Shape{static_cast<uint64_t>(8 / tp)});
            CHECK(find("decoder.layers.2.mixer.out_proj.weight", {0, 0, 0})->shape ==
                  Shape{64, static_cast<uint64_t>(128 / tp)});
            CHECK(find("decoder.layers.3.mlp.router.weight", {0, 0, 0}));
            CHECK(find("decoder.layers.3.mlp.experts.linear_fc1.weight3", {0, 0, 1}));  // expert 7 on EP rank 1
            CHECK(find("decoder.layers.0.self_attention.linear_qkv.layer_norm_weight", {0, 1, 0}));  // HF layer 2
            CHECK(find("decoder.final_norm.weight", {0, 1, 0}));
            CHECK(find("embedding.word_embeddings.weight", {0, 0, 0}));
            CHECK_FALSE(find("decoder.layers.4.mixer.in_proj.weight", {0, 0, 0}));
        }
    }
    // TP must keep whole heads/groups: the m1 layout's x/B hold 2 KV groups, so TP 4 cannot split them.
    auto bad = build_layout(*spec, *entries, **reg, megatron(4, 1, 1, MambaLayout::M1));
    REQUIRE_FALSE(bad.is_ok());
}

TEST_CASE("hybrid HF -> Megatron (m1, exact) -> HF is bit-identical over TP/PP/EP", "[hybrid][megatron][roundtrip]") {
    test::TempDir dir;
    const auto hybrid = make_hybrid(dir);
    int n = 0;
    for (MambaLayout mamba : {MambaLayout::M1, MambaLayout::Exact})
        for (int tp : {1, 2})
            for (int pp : {1, 2, 4})
                for (int ep : {1, 2, 4}) {
                    const std::string tag = std::string(mamba_layout_name(mamba)) + "_" + std::to_string(tp) +
                                            std::to_string(pp) + std::to_string(ep);
                    INFO(tag);
                    const auto mg = dir / ("mg_" + tag), back = dir / ("hf_" + tag);
                    auto to_mg = convert(hybrid, mg, megatron(tp, pp, ep, mamba));
                    REQUIRE(to_mg.is_ok());
                    LayoutOptions hf;
                    auto to_hf = convert(mg, back, hf);
                    if (!to_hf.is_ok()) FAIL(to_hf.status().to_string());
                    require_same_tensors(hybrid, back);
                    auto a = read_hf_config_beside(hybrid), b = read_hf_config_beside(back);
                    REQUIRE(a.is_ok());
                    REQUIRE(b.is_ok());
                    CHECK((*b)["mamba_config"] == (*a)["mamba_config"]);
                    CHECK(std::filesystem::exists(back / "mamba_config.json"));
                    std::filesystem::remove_all(mg);
                    std::filesystem::remove_all(back);
                    ++n;
                }
    CHECK(n == 36);
}

TEST_CASE("hybrid Megatron args carry the pattern, conv1d_weight names from core v0.19, reshard keeps them",
          "[hybrid][megatron]") {
    test::TempDir dir;
    const auto hybrid = make_hybrid(dir);
    LayoutOptions o = megatron(2, 2, 1, MambaLayout::Exact);
    REQUIRE(apply_megatron_version("core_v0.19.0", o).is_ok());
    CHECK(o.conv1d_params);
    REQUIRE(convert(hybrid, dir / "mg", o).is_ok());
    auto ckpt = open_checkpoint(dir / "mg");
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->config["hybrid_override_pattern"] == "*EME*E*E");
    CHECK(ckpt->config["num_layers"] == 8);
    CHECK(ckpt->config["mamba_num_groups"] == 8);
    CHECK(ckpt->find("decoder.layers.2.mixer.conv1d_weight"));
    CHECK_FALSE(ckpt->find("decoder.layers.2.mixer.conv1d.weight"));
    // Reshard TP2 PP2 -> TP1 PP4 EP2, then back to HF.
    LayoutOptions r = megatron(1, 4, 2, MambaLayout::M1);  // mamba/conv1d come from the source on reshard
    REQUIRE(convert(dir / "mg", dir / "mg2", r, LayoutKind::Megatron).is_ok());
    auto ckpt2 = open_checkpoint(dir / "mg2");
    REQUIRE(ckpt2.is_ok());
    CHECK(ckpt2->config["strata_mamba_layout"] == "exact");
    CHECK(ckpt2->find("decoder.layers.0.mixer.conv1d_weight", {0, 1, 1}));  // slot 2 = stage 1, local 0
    REQUIRE(convert(dir / "mg2", dir / "back", LayoutOptions{}).is_ok());
    require_same_tensors(hybrid, dir / "back");
    // '-' MoE slots before v0.16.
    LayoutOptions old = megatron(1, 1, 1, MambaLayout::M1);
    REQUIRE(apply_megatron_version("0.15", old).is_ok());
    REQUIRE(convert(hybrid, dir / "mg_old", old).is_ok());
    auto ckpt3 = open_checkpoint(dir / "mg_old");
    REQUIRE(ckpt3.is_ok());
    CHECK(ckpt3->config["hybrid_override_pattern"] == "*-M-*-*-");
    REQUIRE(convert(dir / "mg_old", dir / "back_old", LayoutOptions{}).is_ok());
    require_same_tensors(hybrid, dir / "back_old");
}

TEST_CASE("exact -> m1 is exact while x/B copies are tied, and a clear error once they differ", "[hybrid][megatron]") {
    test::TempDir dir;
    const auto hybrid = make_hybrid(dir);
    REQUIRE(convert(hybrid, dir / "exact", megatron(1, 1, 1, MambaLayout::Exact)).is_ok());
    REQUIRE(convert(dir / "exact", dir / "m1", megatron(1, 1, 1, MambaLayout::M1)).is_ok());
    REQUIRE(convert(dir / "m1", dir / "back", LayoutOptions{}).is_ok());
    require_same_tensors(hybrid, dir / "back");

    // Untie head 1's x rows (a copy of KV group 0; head 0's copy is the one read).
    auto ckpt = open_checkpoint(dir / "exact");
    REQUIRE(ckpt.is_ok());
    const TensorInfo* in_proj = ckpt->find("decoder.layers.2.mixer.in_proj.weight");
    REQUIRE(in_proj);
    REQUIRE(in_proj->shape == Shape{520, 64});
    const uint64_t byte = in_proj->location.offset + (128 + 16) * 64 * 2 + 10;
    const auto path = ckpt->file_of(*in_proj).path;
    ckpt = Status::internal("closed");  // unmap before writing
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(byte));
        char c = 0;
        f.seekg(static_cast<std::streamoff>(byte));
        f.get(c);
        f.seekp(static_cast<std::streamoff>(byte));
        f.put(static_cast<char>(c ^ 0x40));
    }
    auto r = convert(dir / "exact", dir / "m1b", megatron(1, 1, 1, MambaLayout::M1));
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::InvalidArgument);
    CHECK_THAT(r.status().to_string(), Catch::Contains("no longer tied"));
    CHECK_THAT(r.status().to_string(), Catch::Contains("decoder.layers.2.mixer.in_proj.weight"));
    CHECK_FALSE(std::filesystem::exists(dir / "m1b"));
}
