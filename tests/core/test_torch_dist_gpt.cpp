// torch_dist checkpoints of real megatron-core GPTModels (tests/reference/
// make_torch_dist_gpt_fixtures.py: Qwen3-style dense saved from TP2 and from PP2 with tied
// embeddings, MoE saved from EP2, moe_layer_freq [0, 1] with per-layer keys): every DCP key
// reads bit-exactly as the global tensor
// megatron-core itself loaded; Strata's forward on the torch_dist folder, and on its HF
// conversion, matches megatron-core's logits; torch_dist -> HF equals torch_dist -> legacy
// Megatron TP2 -> HF bit for bit; the legacy view is zero-copy where one chunk holds a layer.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "strata/formats/format_registry.h"
#include "strata/forward/forward.h"
#include "strata/mapping/canonical_view.h"
#include "strata/mapping/torch_dist_keys.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
using namespace strata::test;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/reference/fixtures/torch_dist";
const std::vector<int32_t> kTokens = {3, 17, 99, 200, 5, 42, 128, 7};  // the script's TOKENS

fs::path fixture(const std::string& name) { return kFixtures / ("gpt_" + name); }
Checkpoint expected(const std::string& name) { return open_ok(kFixtures / ("gpt_" + name + ".expected.safetensors")); }

std::vector<float> expected_logits(const std::string& name) {
    const Checkpoint e = expected(name);
    const TensorInfo* t = e.find("logits");
    REQUIRE(t != nullptr);
    REQUIRE(t->dtype == DType::F32);
    auto bytes = e.read(*t);
    REQUIRE(bytes.is_ok());
    std::vector<float> out(bytes->size() / sizeof(float));
    std::memcpy(out.data(), bytes->data(), bytes->size());
    return out;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    float m = 0.0f;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

float max_abs(const std::vector<float>& a) {
    float m = 0.0f;
    for (float v : a) m = std::max(m, std::fabs(v));
    return m;
}

}  // namespace

TEST_CASE("torch_dist GPT fixtures: every DCP key reads as the global tensor megatron-core loaded",
          "[torch_dist][reference]") {
    const std::string name = GENERATE("dense_tp2", "dense_pp2", "moe_ep2", "moe_freq");
    INFO(name);
    const Checkpoint ckpt = open_ok(fixture(name));
    CHECK(ckpt.format == "torch_dist");
    const Checkpoint want = expected(name);
    size_t compared = 0;
    for (const auto& e : want.tensors) {
        if (e.name == "logits") continue;
        INFO(e.name);
        const TensorInfo* t = ckpt.find(e.name);
        REQUIRE(t != nullptr);
        CHECK(t->shape == e.shape);
        auto got = ckpt.read(*t);
        auto exp = want.read(e);
        REQUIRE(got.is_ok());
        REQUIRE(exp.is_ok());
        CHECK(*got == *exp);
        ++compared;
    }
    CHECK(compared == ckpt.tensors.size());
}

TEST_CASE("torch_dist GPT fixtures: Strata's forward matches megatron-core's logits", "[torch_dist][forward]") {
    const std::string name = GENERATE("dense_tp2", "dense_pp2", "moe_ep2", "moe_freq");
    INFO(name);
    const std::vector<float> want = expected_logits(name);
    REQUIRE(max_abs(want) > 1.0f);  // logits that span units, so 1e-4 is a real bound
    const ForwardResult direct = forward_ok(fixture(name), kTokens);
    CHECK(direct.layout == "megatron");
    CHECK(max_abs_diff(direct.logits, want) <= 1e-4f);

    TempDir tmp;
    convert_ok(fixture(name), tmp.path() / "hf", target(LayoutKind::Hf));
    const ForwardResult hf = forward_ok(tmp.path() / "hf", kTokens);
    CHECK(hf.layout == "hf");
    CHECK(bit_identical(hf.logits, direct.logits));
}

TEST_CASE("torch_dist -> HF equals torch_dist -> Megatron legacy TP2 -> HF, bit for bit", "[torch_dist][convert]") {
    const std::string name = GENERATE("dense_tp2", "moe_ep2", "moe_freq");
    INFO(name);
    TempDir tmp;
    convert_ok(fixture(name), tmp.path() / "hf", target(LayoutKind::Hf));
    const LayoutOptions legacy = target(LayoutKind::Megatron, 2, 1, name == "dense_tp2" ? 1 : 2);
    convert_ok(fixture(name), tmp.path() / "mg", legacy);
    convert_ok(tmp.path() / "mg", tmp.path() / "hf2", target(LayoutKind::Hf));
    require_same_tensors(open_ok(tmp.path() / "hf"), open_ok(tmp.path() / "hf2"));
}

TEST_CASE("torch_dist legacy view: per-layer, per-expert names, zero-copy where one chunk holds them",
          "[torch_dist]") {
    const Checkpoint ckpt = open_ok(fixture("moe_ep2"));
    REQUIRE(is_megatron_torch_dist(ckpt));
    auto view = legacy_view_of_torch_dist(ckpt);
    REQUIRE(view.is_ok());
    CHECK(view->format == "megatron");
    CHECK(view->config["expert_model_parallel_size"] == 1);
    const TensorInfo* fc1 = view->find("decoder.layers.1.mlp.experts.linear_fc1.weight3");
    REQUIRE(fc1 != nullptr);
    CHECK(fc1->shape == Shape{64, 64});
    // The local spec's MoE pre-MLP norm is named as a TE checkpoint names it.
    CHECK(view->find("decoder.layers.0.pre_mlp_layernorm.weight") != nullptr);
    CHECK(view->find("decoder.layers.0.mlp.linear_fc1.layer_norm_weight") == nullptr);

    // Expert 3's fc1 of layer 1 is the [1, 3] box of the stacked global tensor.
    const TensorInfo* stacked = ckpt.find("decoder.layers.mlp.experts.experts.linear_fc1.weight");
    REQUIRE(stacked != nullptr);
    auto all = ckpt.read(*stacked);
    auto one = view->read(*fc1);
    REQUIRE(all.is_ok());
    REQUIRE(one.is_ok());
    const size_t bytes = 64 * 64 * sizeof(float);
    CHECK(std::memcmp(one->data(), all->data() + (1 * 4 + 3) * bytes, bytes) == 0);

    // A tensor megatron-core wrote in one chunk per layer reads in place.
    const TensorInfo* proj = view->find("decoder.layers.1.self_attention.linear_proj.weight");
    REQUIRE(proj != nullptr);
    CHECK(proj->location.is_contiguous());
    CHECK(view->contiguous_bytes(*proj).is_ok());
}

TEST_CASE("slice_leading_axis refuses an index outside the axis", "[torch_dist][errors]") {
    TensorInfo t;
    t.name = "decoder.layers.mlp.linear_fc2.weight";
    t.dtype = DType::F32;
    t.shape = {2, 3};
    t.location.nbytes = 24;
    auto s = slice_leading_axis(t, 2, 4);
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().message().find("outside the leading axis") != std::string::npos);
}

TEST_CASE("torch_dist per-layer keys (moe_layer_freq [0, 1]): named per layer, Qwen3-MoE with a dense layer",
          "[torch_dist]") {
    const Checkpoint ckpt = open_ok(fixture("moe_freq"));
    CHECK(ckpt.find("decoder.layers.1.mlp.experts.experts.linear_fc1.weight") != nullptr);  // [E, 2I, H]
    auto view = legacy_view_of_torch_dist(ckpt);
    REQUIRE(view.is_ok());
    const TensorInfo* fc1 = view->find("decoder.layers.1.mlp.experts.linear_fc1.weight2");
    REQUIRE(fc1 != nullptr);
    CHECK(fc1->shape == Shape{64, 64});
    CHECK(view->find("decoder.layers.0.mlp.linear_fc1.weight") != nullptr);          // the dense layer
    CHECK(view->find("decoder.layers.0.mlp.linear_fc1.layer_norm_weight") != nullptr);  // keeps its fused norm
    CHECK(view->find("decoder.layers.1.pre_mlp_layernorm.weight") != nullptr);        // the MoE layer's norm
    // The model is a Qwen3-MoE whose layer 0 is dense: HF lists it in mlp_only_layers, and the
    // Megatron args written from it say so per layer.
    TempDir tmp;
    convert_ok(fixture("moe_freq"), tmp.path() / "hf", target(LayoutKind::Hf));
    const Checkpoint hf = open_ok(tmp.path() / "hf");
    CHECK(hf.config["mlp_only_layers"] == nlohmann::json::array({0}));
    CHECK(hf.find("model.layers.0.mlp.gate_proj.weight") != nullptr);
    CHECK(hf.find("model.layers.0.mlp.gate.weight") == nullptr);
    CHECK(hf.find("model.layers.1.mlp.experts.3.up_proj.weight") != nullptr);
    convert_ok(tmp.path() / "hf", tmp.path() / "mg", target(LayoutKind::Megatron, 1, 1, 2));
    const Checkpoint mg = open_ok(tmp.path() / "mg");
    CHECK(mg.config["moe_layer_freq"] == nlohmann::json::array({0, 1}));
}
