// Qwen3.5 / Qwen3.5-MoE VL wrappers (Qwen3_5(Moe)ForConditionalGeneration): the spec from the
// nested text_config, model.language_model.* names mapping exactly like the text model's, the
// vision tower (model.visual.*) refused with a folded list unless allow_unmapped, and
// HF(VL) -> Megatron -> HF(VL) bit-identical on the language model over TP and EP.
#include <catch2/catch.hpp>

#include <algorithm>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/formats/safetensors.h"
#include "strata/model/hf_config.h"
#include "strata/model/model_spec.h"
#include "strata/synth/synth.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

constexpr const char* kLm = "model.language_model.";

Result<ConvertReport> convert(const fs::path& in, const fs::path& out, LayoutKind kind, int tp = 1, int ep = 1,
                              bool allow_unmapped = true) {
    ConvertOptions o;
    o.source = in;
    o.out = out;
    o.target.kind = kind;
    o.target.plan.tp = tp;
    o.target.plan.ep = ep;
    o.allow_unmapped = allow_unmapped;
    NullProgress p;
    CancelToken c;
    return convert_checkpoint(o, p, c);
}

bool is_vision(const std::string& name) { return name.rfind("model.visual.", 0) == 0; }

// The text-only twin of a VL checkpoint: model.language_model.X -> model.X, vision dropped,
// text_config as config.json (Qwen3_5(Moe)ForCausalLM), same bytes.
void write_text_twin(const Checkpoint& vl, const fs::path& out) {
    fs::create_directories(out);
    std::vector<TensorEntry> entries;
    std::vector<const TensorInfo*> sources;
    for (const auto& t : vl.tensors) {
        if (is_vision(t.name)) continue;
        std::string name = t.name;
        if (name.rfind(kLm, 0) == 0) name = "model." + name.substr(std::string(kLm).size());
        entries.push_back({name, t.dtype, t.shape});
        sources.push_back(&t);
    }
    SafetensorsWriter w(out);
    REQUIRE(w.begin(entries).is_ok());
    for (size_t i = 0; i < sources.size(); ++i) REQUIRE(w.write(i, *vl.read(*sources[i])).is_ok());
    REQUIRE(w.finish().is_ok());
    nlohmann::json text = vl.config["text_config"];
    const bool moe = vl.config["model_type"] == "qwen3_5_moe";
    text["architectures"] = {moe ? "Qwen3_5MoeForCausalLM" : "Qwen3_5ForCausalLM"};
    text["torch_dtype"] = vl.config["torch_dtype"];
    REQUIRE(write_json_file(out / "config.json", text).is_ok());
}

}  // namespace

TEST_CASE("Qwen3.5 VL wrapper: synth writes it, the spec comes from text_config", "[gdn][vl]") {
    test::TempDir dir;
    test::synth_ok(dir / "vl", "qwen3.5-moe-vl-tiny");
    const Checkpoint vl = test::open_ok(dir / "vl");
    CHECK(vl.config["architectures"][0] == "Qwen3_5MoeForConditionalGeneration");
    CHECK(vl.config["model_type"] == "qwen3_5_moe");
    CHECK_FALSE(vl.config.contains("num_hidden_layers"));
    CHECK(vl.find("model.language_model.embed_tokens.weight"));
    CHECK(vl.find("model.language_model.layers.0.linear_attn.in_proj_qkv.weight"));
    CHECK(vl.find("model.language_model.layers.3.self_attn.q_proj.weight"));
    CHECK(vl.find("model.language_model.norm.weight"));
    CHECK(vl.find("lm_head.weight"));
    CHECK(vl.find("mtp.fc.weight"));
    CHECK(vl.find("model.visual.blocks.1.attn.qkv.weight"));
    CHECK(vl.find("model.visual.merger.linear_fc2.weight")->shape == Shape{64, 128});
    CHECK_FALSE(vl.find("model.layers.0.linear_attn.in_proj_qkv.weight"));
    CHECK_FALSE(vl.find("model.embed_tokens.weight"));

    auto spec = model_spec_from_hf_config(vl.config);
    INFO(spec.status().message());
    REQUIRE(spec.is_ok());
    CHECK(spec->model_type == "qwen3_5_moe");
    CHECK(spec->layers == 8);
    CHECK(spec->hidden == 64);
    CHECK(spec->experts == 8);
    CHECK(spec->gdn.value_heads == 8);
    CHECK(spec->layer_kinds[3].mixer == MixerKind::Attention);
    CHECK(spec->layer_kinds[2].mixer == MixerKind::GatedDeltaNet);
    CHECK_FALSE(spec->tied_embeddings);
    // The wrapper's own tie flag wins over text_config's (Megatron-Bridge qwen35_vl_bridge.py).
    nlohmann::json tied = vl.config;
    tied["tie_word_embeddings"] = true;
    auto t = model_spec_from_hf_config(tied);
    REQUIRE(t.is_ok());
    CHECK(t->tied_embeddings);
    // A field missing from text_config is named there.
    nlohmann::json bad = vl.config;
    bad["text_config"].erase("hidden_size");
    auto b = model_spec_from_hf_config(bad);
    REQUIRE_FALSE(b);
    CHECK_THAT(b.status().message(), Catch::Contains("text_config"));
}

TEST_CASE("Qwen3.5 VL wrapper: the vision tower is refused, listed, or skipped", "[gdn][vl]") {
    test::TempDir dir;
    test::synth_ok(dir / "vl", "qwen3.5-vl-tiny");
    auto refused = convert(dir / "vl", dir / "mg", LayoutKind::Megatron, 2, 1, false);
    REQUIRE_FALSE(refused);
    const std::string msg = refused.status().to_string();
    INFO(msg);
    CHECK(refused.status().code() == StatusCode::InvalidArgument);
    CHECK_THAT(msg, Catch::Contains("33 stored tensors no mapping rule covers (the vision tower"));
    // Folded: every block tensor once with its count, the rest by name.
    CHECK_THAT(msg, Catch::Contains("model.visual.blocks.*.attn.qkv.weight (x2), "));
    CHECK_THAT(msg, Catch::Contains("model.visual.blocks.*.norm2.bias (x2), "));
    CHECK_THAT(msg, Catch::Contains("model.visual.merger.linear_fc2.bias, "));
    CHECK_THAT(msg, Catch::Contains("model.visual.patch_embed.proj.weight, "));
    CHECK_THAT(msg, Catch::Contains("model.visual.pos_embed.weight (use --allow-unmapped to skip them)"));
    CHECK(refused.status().tensor() == "model.visual.blocks.0.attn.proj.bias");  // the first, by name
    CHECK_THAT(refused.status().message(), !Catch::Contains("blocks.0.") && !Catch::Contains("blocks.1."));
    CHECK_FALSE(fs::exists(dir / "mg"));

    auto skipped = convert(dir / "vl", dir / "mg", LayoutKind::Megatron, 2, 1, true);
    INFO(skipped.status().message());
    REQUIRE(skipped.is_ok());
    CHECK(skipped->unmapped.size() == 33);
    CHECK(std::all_of(skipped->unmapped.begin(), skipped->unmapped.end(), is_vision));
    const Checkpoint mg = test::open_ok(dir / "mg");
    for (const auto& t : mg.tensors) {
        INFO(t.name);
        CHECK(t.name.find("visual") == std::string::npos);
        CHECK(t.name.find("language_model") == std::string::npos);
    }
}

TEST_CASE("Qwen3.5 VL wrapper: model.language_model.* maps exactly like the text model", "[gdn][vl]") {
    test::TempDir dir;
    test::synth_ok(dir / "vl", "qwen3.5-moe-vl-tiny");
    const Checkpoint vl = test::open_ok(dir / "vl");
    write_text_twin(vl, dir / "text");
    REQUIRE(convert(dir / "vl", dir / "vl-mg", LayoutKind::Megatron, 2, 2).is_ok());
    REQUIRE(convert(dir / "text", dir / "text-mg", LayoutKind::Megatron, 2, 2).is_ok());
    const Checkpoint a = test::open_ok(dir / "vl-mg"), b = test::open_ok(dir / "text-mg");
    REQUIRE(a.tensors.size() == b.tensors.size());
    for (const auto& t : a.tensors) {
        INFO(t.name << " @tp" << t.rank.tp << " ep" << t.rank.ep);
        const TensorInfo* u = b.find(t.name, t.rank);
        REQUIRE(u);
        CHECK(u->shape == t.shape);
        CHECK(*a.read(t) == *b.read(*u));
    }
    // The args differ only in the saved config.json: the wrapper's rides along for the way back.
    nlohmann::json wa = a.config, wb = b.config;
    CHECK(nlohmann::json::parse(wa["strata_hf_config"].get<std::string>()) == vl.config);
    wa.erase("strata_hf_config");
    wb.erase("strata_hf_config");
    CHECK(wa == wb);
}

TEST_CASE("Qwen3.5 VL wrapper: HF -> Megatron -> HF is bit-identical on the language model over TP, EP", "[gdn][vl]") {
    test::TempDir dir;
    for (const std::string preset : {"qwen3.5-vl-tiny", "qwen3.5-moe-vl-tiny"}) {
        const fs::path hf = dir / preset;
        test::synth_ok(hf, preset);
        const Checkpoint original = test::open_ok(hf);
        const bool moe = preset != "qwen3.5-vl-tiny";
        for (int tp : {1, 2})
            for (int ep : {1, 2}) {
                if (!moe && ep > 1) continue;
                const std::string tag = preset + "-tp" + std::to_string(tp) + "ep" + std::to_string(ep);
                INFO(tag);
                const Checkpoint result = test::megatron_round_trip(
                    hf, dir.path(), tag, test::target(LayoutKind::Megatron, tp, 1, ep), /*allow_unmapped=*/true);
                CHECK(result.config == original.config);
                test::require_same_tensors(original, result, is_vision);
                CHECK(result.find("model.language_model.layers.0.linear_attn.in_proj_qkv.weight"));
                fs::remove_all(dir / (tag + "-hf"));
            }
    }
    // Packed experts (transformers v5) keep the wrapper prefix too, and come back per expert.
    const fs::path moe = dir / "qwen3.5-moe-vl-tiny";
    REQUIRE(convert(moe, dir / "v5", LayoutKind::HfFusedV5).is_ok());
    const Checkpoint v5 = test::open_ok(dir / "v5");
    CHECK(v5.find("model.language_model.layers.0.mlp.experts.gate_up_proj"));
    REQUIRE(convert(dir / "v5", dir / "v5-mg", LayoutKind::Megatron, 2, 2).is_ok());
    REQUIRE(convert(dir / "v5-mg", dir / "v5-hf", LayoutKind::Hf).is_ok());
    test::require_same_tensors(test::open_ok(moe), test::open_ok(dir / "v5-hf"), is_vision);
}
