// GDN hybrids (Qwen3-Next, Qwen3.5 dense / MoE): synth presets in the HF layout, tensor
// counts and shapes from the config, ModelSpec layer kinds.
#include <catch2/catch.hpp>

#include "strata/formats/format_registry.h"
#include "strata/model/hf_layout.h"
#include "strata/model/model_spec.h"
#include "strata/synth/synth.h"
#include "support/temp_dir.h"

using namespace strata;

namespace {

Checkpoint synth_open(const test::TempDir& dir, const std::string& preset, bool sparse = false) {
    SynthOptions o;
    o.preset = preset;
    o.out = dir / preset;
    o.sparse = sparse;
    NullProgress p;
    CancelToken c;
    auto st = synthesize(o, p, c);
    INFO(st.message());
    REQUIRE(st.is_ok());
    auto ckpt = open_checkpoint(o.out);
    INFO(ckpt.status().message());
    REQUIRE(ckpt.is_ok());
    return std::move(*ckpt);
}

Shape shape_of(const Checkpoint& c, const std::string& name) {
    const TensorInfo* t = c.find(name);
    INFO(name);
    REQUIRE(t);
    return t->shape;
}

}  // namespace

TEST_CASE("qwen3-next-tiny: grouped in_proj_qkvz/ba, gated q_proj, shared expert, MTP", "[gdn]") {
    test::TempDir dir;
    auto c = synth_open(dir, "qwen3-next-tiny");
    CHECK(c.config["model_type"] == "qwen3_next");
    // 6 GDN layers x (7 GDN + 29 MoE + 2 norms) + 2 attention x (6 + 29 + 2) + embed/norm/lm_head
    // + MTP (fc, 2 pre-fc norms, norm, one attention+MoE layer of 37).
    CHECK(c.tensors.size() == 6 * 38 + 2 * 37 + 3 + 4 + 37);
    const std::string g = "model.layers.0.linear_attn.";
    CHECK(shape_of(c, g + "in_proj_qkvz.weight") == Shape{2 * 32 + 2 * 128, 64});
    CHECK(shape_of(c, g + "in_proj_ba.weight") == Shape{16, 64});
    CHECK(shape_of(c, g + "conv1d.weight") == Shape{192, 1, 4});
    CHECK(shape_of(c, g + "A_log") == Shape{8});
    CHECK(shape_of(c, g + "norm.weight") == Shape{16});
    CHECK(shape_of(c, g + "out_proj.weight") == Shape{64, 128});
    CHECK(!c.find("model.layers.3.linear_attn.A_log"));  // layer 3 is full attention
    CHECK(shape_of(c, "model.layers.3.self_attn.q_proj.weight") == Shape{2 * 8 * 16, 64});
    CHECK(shape_of(c, "model.layers.7.mlp.shared_expert.up_proj.weight") == Shape{48, 64});
    CHECK(shape_of(c, "model.layers.7.mlp.shared_expert_gate.weight") == Shape{1, 64});
    CHECK(shape_of(c, "mtp.fc.weight") == Shape{64, 128});
    CHECK(shape_of(c, "mtp.layers.0.mlp.experts.7.down_proj.weight") == Shape{64, 32});
}

TEST_CASE("qwen3.5-tiny: separate in_proj, dense MLP, layer_types", "[gdn]") {
    test::TempDir dir;
    auto c = synth_open(dir, "qwen3.5-tiny");
    CHECK(c.config["model_type"] == "qwen3_5_text");
    // 3 GDN x (9 + 3 + 2) + 1 attention x (6 + 3 + 2) + 3 + MTP 4 + 11.
    CHECK(c.tensors.size() == 3 * 14 + 11 + 3 + 4 + 11);
    const std::string g = "model.layers.2.linear_attn.";
    CHECK(shape_of(c, g + "in_proj_qkv.weight") == Shape{2 * 64 + 64, 64});
    CHECK(shape_of(c, g + "in_proj_z.weight") == Shape{64, 64});
    CHECK(shape_of(c, g + "in_proj_b.weight") == Shape{8, 64});
    CHECK(shape_of(c, g + "in_proj_a.weight") == Shape{8, 64});
    CHECK(shape_of(c, g + "norm.weight") == Shape{8});
    CHECK(shape_of(c, "model.layers.3.mlp.gate_proj.weight") == Shape{96, 64});
    CHECK(shape_of(c, "mtp.layers.0.mlp.down_proj.weight") == Shape{64, 96});
}

TEST_CASE("qwen3.5-moe-tiny tensor count", "[gdn]") {
    test::TempDir dir;
    auto c = synth_open(dir, "qwen3.5-moe-tiny");
    CHECK(c.tensors.size() == 6 * 40 + 2 * 37 + 3 + 4 + 37);
    CHECK(shape_of(c, "model.layers.4.mlp.shared_expert.down_proj.weight") == Shape{64, 64});
}

TEST_CASE("real-dims GDN skeletons have the published geometry", "[gdn]") {
    test::TempDir dir;
    auto next = synth_open(dir, "qwen3-next-80b-a3b", true);
    // 36 GDN x (7 + 1541 + 2) + 12 attention x (6 + 1541 + 2) + 3 + MTP (4 + 1549).
    CHECK(next.tensors.size() == 36 * 1550 + 12 * 1549 + 3 + 1553);
    CHECK(shape_of(next, "model.layers.0.linear_attn.in_proj_qkvz.weight") == Shape{12288, 2048});
    CHECK(shape_of(next, "model.layers.3.self_attn.q_proj.weight") == Shape{8192, 2048});
    auto big = synth_open(dir, "qwen3.5-397b-a17b", true);
    CHECK(big.tensors.size() == 45 * 1552 + 15 * 1549 + 3 + 1553);
    CHECK(shape_of(big, "model.layers.0.linear_attn.in_proj_qkv.weight") == Shape{12288, 4096});
    CHECK(shape_of(big, "model.layers.0.linear_attn.in_proj_z.weight") == Shape{8192, 4096});
    CHECK(shape_of(big, "model.layers.59.self_attn.q_proj.weight") == Shape{16384, 4096});
}

TEST_CASE("GDN ModelSpec: layer kinds from full_attention_interval and layer_types", "[gdn]") {
    for (const char* name : {"qwen3-next-tiny", "qwen3.5-moe-tiny", "qwen3.5-397b-a17b"}) {
        const SynthPreset* p = find_synth_preset(name);
        REQUIRE(p);
        auto spec = model_spec_from_hf_config(p->config);
        REQUIRE(spec.is_ok());
        CHECK(spec->attention_output_gate);
        CHECK(spec->mtp_layers == 1);
        for (size_t i = 0; i < spec->layer_kinds.size(); ++i) {
            INFO(name << " layer " << i);
            CHECK((spec->layer_kinds[i].mixer == MixerKind::Attention) == ((i + 1) % 4 == 0));
            CHECK(spec->layer_kinds[i].mlp == MlpKind::MoE);
        }
    }
}

TEST_CASE("GDN HF layout rejects bad configs with the field named", "[gdn]") {
    nlohmann::json c = find_synth_preset("qwen3.5-tiny")->config;
    c["linear_num_value_heads"] = 6;  // not a multiple of the 4 key heads
    auto e = hf_tensor_entries(c, DType::BF16);
    REQUIRE(!e.is_ok());
    CHECK_THAT(e.status().message(), Catch::Contains("linear_num_key_heads"));
    c = find_synth_preset("qwen3.5-tiny")->config;
    c["layer_types"].push_back("linear_attention");
    e = hf_tensor_entries(c, DType::BF16);
    REQUIRE(!e.is_ok());
    CHECK_THAT(e.status().message(), Catch::Contains("layer_types has 5 entries"));
}
