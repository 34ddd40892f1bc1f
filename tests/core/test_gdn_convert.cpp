// GDN hybrids through the conversion engine: HF -> Megatron -> HF bit-identical over TP, PP,
// EP; per-rank Megatron in_proj / conv1d / gated linear_qkv at TP 2 against layouts computed
// here from the HF tensors (the Megatron-Bridge#1690 case); zero-centred out_norm; packed
// MTP detection; the real-dims Qwen3.5-397B-A17B dry run.
#include <catch2/catch.hpp>

#include <cstring>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/mapping/canonical_view.h"
#include "strata/synth/synth.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

ParallelPlan plan_of(int tp, int pp, int ep) {
    ParallelPlan p;
    p.tp = tp;
    p.pp = pp;
    p.ep = ep;
    return p;
}

Result<ConvertReport> convert(const fs::path& in, const fs::path& out, LayoutKind kind, ParallelPlan plan = {},
                              bool dry_run = false) {
    ConvertOptions o;
    o.source = in;
    o.out = out;
    o.target.kind = kind;
    o.target.plan = plan;
    o.dry_run = dry_run;
    NullProgress p;
    CancelToken c;
    return convert_checkpoint(o, p, c);
}

// A bf16 2-D+ tensor as rows of raw 16-bit values.
struct Rows {
    uint64_t width = 0;
    std::vector<uint16_t> data;
    std::vector<uint16_t> rows(uint64_t from, uint64_t n) const {
        return {data.begin() + static_cast<ptrdiff_t>(from * width),
                data.begin() + static_cast<ptrdiff_t>((from + n) * width)};
    }
};

Rows read_rows(const Checkpoint& c, const std::string& name, RankCoord rank = {}) {
    const TensorInfo* t = c.find(name, rank);
    INFO(name << " @tp" << rank.tp);
    REQUIRE(t);
    REQUIRE(t->dtype == DType::BF16);
    auto bytes = c.read(*t);
    REQUIRE(bytes.is_ok());
    Rows r;
    r.width = 1;
    for (size_t d = 1; d < t->shape.size(); ++d) r.width *= t->shape[d];
    r.data.resize(bytes->size() / 2);
    std::memcpy(r.data.data(), bytes->data(), bytes->size());
    return r;
}

void append(std::vector<uint16_t>& out, const std::vector<uint16_t>& in) {
    out.insert(out.end(), in.begin(), in.end());
}

float bf16(uint16_t v) {
    const uint32_t bits = static_cast<uint32_t>(v) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

}  // namespace

TEST_CASE("GDN hybrids: HF -> Megatron -> HF is bit-identical over TP, PP, EP", "[gdn][convert]") {
    test::TempDir dir;
    for (const std::string preset : {"qwen3-next-tiny", "qwen3.5-tiny", "qwen3.5-moe-tiny"}) {
        const fs::path hf = dir / preset;
        test::synth_ok(hf, preset);
        const Checkpoint original = test::open_ok(hf);
        const bool moe = preset != "qwen3.5-tiny";
        for (int tp : {1, 2, 4})
            for (int pp : {1, 2})
                for (int ep : {1, 2, 4}) {
                    if (!moe && ep > 1) continue;
                    const std::string tag =
                        preset + "-tp" + std::to_string(tp) + "pp" + std::to_string(pp) + "ep" + std::to_string(ep);
                    INFO(tag);
                    const Checkpoint result =
                        test::megatron_round_trip(hf, dir.path(), tag, test::target(LayoutKind::Megatron, tp, pp, ep));
                    CHECK(result.config == original.config);
                    test::require_same_tensors(original, result);
                    fs::remove_all(dir / (tag + "-hf"));
                }
    }
}

TEST_CASE("Qwen3-Next in_proj at TP 2: rank r holds [Q_r, K_r, V_r, Z_r, b_r, a_r] (Megatron-Bridge#1690)",
          "[gdn][convert]") {
    test::TempDir dir;
    test::synth_ok(dir / "hf", "qwen3-next-tiny");
    REQUIRE(convert(dir / "hf", dir / "mg", LayoutKind::Megatron, plan_of(2, 1, 1)).is_ok());
    const Checkpoint hf = test::open_ok(dir / "hf"), mg = test::open_ok(dir / "mg");
    // nk 4, nv 8 (r = 2), dk 8, dv 16: in_proj_qkvz per key head [q 8; k 8; v 32; z 32] = 80 rows,
    // in_proj_ba per key head [b 2; a 2]. Megatron-Bridge merge_gdn_linear_weights: split per
    // component, reshape [tp, -1, H], rank-major then component.
    const Rows qkvz = read_rows(hf, "model.layers.0.linear_attn.in_proj_qkvz.weight");
    const Rows ba = read_rows(hf, "model.layers.0.linear_attn.in_proj_ba.weight");
    const uint64_t dk = 8, vr = 32, r = 2;
    for (int rank = 0; rank < 2; ++rank) {
        std::vector<uint16_t> want;
        const uint64_t heads[2] = {2 * static_cast<uint64_t>(rank), 2 * static_cast<uint64_t>(rank) + 1};
        for (uint64_t h : heads) append(want, qkvz.rows(h * 80, dk));                // Q_r
        for (uint64_t h : heads) append(want, qkvz.rows(h * 80 + dk, dk));           // K_r
        for (uint64_t h : heads) append(want, qkvz.rows(h * 80 + 2 * dk, vr));       // V_r
        for (uint64_t h : heads) append(want, qkvz.rows(h * 80 + 2 * dk + vr, vr));  // Z_r
        for (uint64_t h : heads) append(want, ba.rows(h * 2 * r, r));                // b_r
        for (uint64_t h : heads) append(want, ba.rows(h * 2 * r + r, r));            // a_r
        const Rows got = read_rows(mg, "decoder.layers.0.self_attention.in_proj.weight", {rank, 0, 0});
        CHECK(got.data.size() == want.size());
        CHECK(got.data == want);
    }
    // conv1d channels flat [Q 32; K 32; V 128]: rank r holds [Q[16r:16r+16]; K[..]; V[64r:64r+64]].
    const Rows conv = read_rows(hf, "model.layers.0.linear_attn.conv1d.weight");
    for (int rank = 0; rank < 2; ++rank) {
        std::vector<uint16_t> want;
        append(want, conv.rows(16 * static_cast<uint64_t>(rank), 16));
        append(want, conv.rows(32 + 16 * static_cast<uint64_t>(rank), 16));
        append(want, conv.rows(64 + 64 * static_cast<uint64_t>(rank), 64));
        CHECK(read_rows(mg, "decoder.layers.0.self_attention.conv1d.weight", {rank, 0, 0}).data == want);
    }
    // A_log / dt_bias: value heads 4r..4r+3.
    const Rows a_log = read_rows(hf, "model.layers.0.linear_attn.A_log");
    CHECK(read_rows(mg, "decoder.layers.0.self_attention.A_log", {1, 0, 0}).data == a_log.rows(4, 4));
}

TEST_CASE("Qwen3.5 separate in_proj and conv1d at TP 2", "[gdn][convert]") {
    test::TempDir dir;
    test::synth_ok(dir / "hf", "qwen3.5-tiny");
    REQUIRE(convert(dir / "hf", dir / "mg", LayoutKind::Megatron, plan_of(2, 1, 1)).is_ok());
    const Checkpoint hf = test::open_ok(dir / "hf"), mg = test::open_ok(dir / "mg");
    // qk = 4*16 = 64, v = 8*8 = 64, nv = 8: in_proj_qkv = [Q 64; K 64; V 64].
    const std::string a = "model.layers.1.linear_attn.";
    const Rows qkv = read_rows(hf, a + "in_proj_qkv.weight"), z = read_rows(hf, a + "in_proj_z.weight");
    const Rows b = read_rows(hf, a + "in_proj_b.weight"), al = read_rows(hf, a + "in_proj_a.weight");
    const Rows conv = read_rows(hf, a + "conv1d.weight");
    for (int rank = 0; rank < 2; ++rank) {
        const auto r = static_cast<uint64_t>(rank);
        std::vector<uint16_t> want;
        append(want, qkv.rows(32 * r, 32));
        append(want, qkv.rows(64 + 32 * r, 32));
        append(want, qkv.rows(128 + 32 * r, 32));
        append(want, z.rows(32 * r, 32));
        append(want, b.rows(4 * r, 4));
        append(want, al.rows(4 * r, 4));
        CHECK(read_rows(mg, "decoder.layers.1.self_attention.in_proj.weight", {rank, 0, 0}).data == want);
        std::vector<uint16_t> want_conv;
        append(want_conv, conv.rows(32 * r, 32));
        append(want_conv, conv.rows(64 + 32 * r, 32));
        append(want_conv, conv.rows(128 + 32 * r, 32));
        CHECK(read_rows(mg, "decoder.layers.1.self_attention.conv1d.weight", {rank, 0, 0}).data == want_conv);
    }
}

TEST_CASE("gated attention at TP 2: per group [q heads, gate heads, k, v]", "[gdn][convert]") {
    test::TempDir dir;
    test::synth_ok(dir / "hf", "qwen3-next-tiny");
    REQUIRE(convert(dir / "hf", dir / "mg", LayoutKind::Megatron, plan_of(2, 1, 1)).is_ok());
    const Checkpoint hf = test::open_ok(dir / "hf"), mg = test::open_ok(dir / "mg");
    // 8 heads, 4 groups (2 heads each), hd 16; q_proj per head [q 16; gate 16].
    const std::string p = "model.layers.3.self_attn.";
    const Rows q = read_rows(hf, p + "q_proj.weight"), k = read_rows(hf, p + "k_proj.weight"),
               v = read_rows(hf, p + "v_proj.weight");
    for (int rank = 0; rank < 2; ++rank) {
        std::vector<uint16_t> want;
        for (uint64_t g = 2 * static_cast<uint64_t>(rank); g < 2 * static_cast<uint64_t>(rank) + 2; ++g) {
            for (uint64_t h = 2 * g; h < 2 * g + 2; ++h) append(want, q.rows(h * 32, 16));
            for (uint64_t h = 2 * g; h < 2 * g + 2; ++h) append(want, q.rows(h * 32 + 16, 16));
            append(want, k.rows(g * 16, 16));
            append(want, v.rows(g * 16, 16));
        }
        CHECK(read_rows(mg, "decoder.layers.3.self_attention.linear_qkv.weight", {rank, 0, 0}).data == want);
    }
}

TEST_CASE("GDN out_norm is stored zero-centred, other norms are copied", "[gdn][convert]") {
    test::TempDir dir;
    test::synth_ok(dir / "hf", "qwen3.5-moe-tiny");
    REQUIRE(convert(dir / "hf", dir / "mg", LayoutKind::Megatron, plan_of(2, 1, 1)).is_ok());
    const Checkpoint hf = test::open_ok(dir / "hf"), mg = test::open_ok(dir / "mg");
    const Rows w = read_rows(hf, "model.layers.0.linear_attn.norm.weight");
    const Rows m = read_rows(mg, "decoder.layers.0.self_attention.out_norm.weight", {1, 0, 0});
    REQUIRE(w.data.size() == m.data.size());
    for (size_t i = 0; i < w.data.size(); ++i) CHECK(bf16(m.data[i]) == bf16(w.data[i]) - 1.0f);
    // Input norm: in_proj.layer_norm_weight in GDN layers, linear_qkv.layer_norm_weight in attention ones.
    CHECK(read_rows(mg, "decoder.layers.0.self_attention.in_proj.layer_norm_weight").data ==
          read_rows(hf, "model.layers.0.input_layernorm.weight").data);
    CHECK(read_rows(mg, "decoder.layers.3.self_attention.linear_qkv.layer_norm_weight").data ==
          read_rows(hf, "model.layers.3.input_layernorm.weight").data);
    CHECK(read_rows(mg, "decoder.layers.3.self_attention.q_layernorm.weight").data ==
          read_rows(hf, "model.layers.3.self_attn.q_norm.weight").data);
    CHECK(read_rows(mg, "decoder.layers.2.pre_mlp_layernorm.weight").data ==
          read_rows(hf, "model.layers.2.post_attention_layernorm.weight").data);
    CHECK(read_rows(mg, "mtp.layers.0.enorm.weight").data == read_rows(hf, "mtp.pre_fc_norm_embedding.weight").data);
    // Shared-expert gate replicated, shared fc1 = [gate_r; up_r] per TP rank.
    CHECK(read_rows(mg, "decoder.layers.1.mlp.shared_experts.gate_weight", {1, 0, 0}).data ==
          read_rows(hf, "model.layers.1.mlp.shared_expert_gate.weight").data);
    const Rows sg = read_rows(hf, "model.layers.1.mlp.shared_expert.gate_proj.weight");
    const Rows su = read_rows(hf, "model.layers.1.mlp.shared_expert.up_proj.weight");
    std::vector<uint16_t> fc1;
    append(fc1, sg.rows(32, 32));
    append(fc1, su.rows(32, 32));
    CHECK(read_rows(mg, "decoder.layers.1.mlp.shared_experts.linear_fc1.weight", {1, 0, 0}).data == fc1);
}

TEST_CASE("dense Qwen3.5: the pre-MLP norm is fused into linear_fc1 (TE)", "[gdn][convert]") {
    test::TempDir dir;
    test::synth_ok(dir / "hf", "qwen3.5-tiny");
    REQUIRE(convert(dir / "hf", dir / "mg", LayoutKind::Megatron, plan_of(2, 2, 1)).is_ok());
    const Checkpoint hf = test::open_ok(dir / "hf"), mg = test::open_ok(dir / "mg");
    // PP 2: layers 2, 3 are local 0, 1 of stage 1; MTP on the last stage.
    CHECK(read_rows(mg, "decoder.layers.1.mlp.linear_fc1.layer_norm_weight", {0, 1, 0}).data ==
          read_rows(hf, "model.layers.3.post_attention_layernorm.weight").data);
    CHECK(!mg.find("decoder.layers.1.pre_mlp_layernorm.weight", {0, 1, 0}));
    CHECK(mg.find("mtp.layers.0.mtp_model_layer.mlp.linear_fc1.weight", {1, 1, 0}));
    CHECK(!mg.find("mtp.layers.0.eh_proj.weight", {0, 0, 0}));
    const auto args = mg.config;
    CHECK(args["experimental_attention_variant"] == "gated_delta_net");
    CHECK(args["linear_attention_freq"] == 4);
    CHECK(args["linear_num_key_heads"] == 4);
    CHECK(args["linear_num_value_heads"] == 8);
    CHECK(args["mtp_num_layers"] == 1);
}

TEST_CASE("packed experts: Qwen3.5 (per-expert MTP) and Qwen3.6 (packed MTP) round trip, mixing is an error",
          "[gdn][convert]") {
    test::TempDir dir;
    test::synth_ok(dir / "hf", "qwen3.5-moe-tiny");
    // Per-expert -> packed decoder (MTP stays per expert, the Qwen3.5 hub layout).
    REQUIRE(convert(dir / "hf", dir / "packed", LayoutKind::HfFusedV5).is_ok());
    const Checkpoint packed = test::open_ok(dir / "packed");
    CHECK(packed.find("model.layers.0.mlp.experts.gate_up_proj")->shape == Shape{8, 64, 64});
    CHECK(packed.find("mtp.layers.0.mlp.experts.3.gate_proj.weight"));
    CHECK(!packed.find("mtp.layers.0.mlp.experts.gate_up_proj"));
    REQUIRE(convert(dir / "packed", dir / "mg", LayoutKind::Megatron, plan_of(2, 1, 2)).is_ok());
    auto back = convert(dir / "mg", dir / "back", LayoutKind::Hf);
    INFO(back.status().message());
    REQUIRE(back.is_ok());
    test::require_same_tensors(test::open_ok(dir / "hf"), test::open_ok(dir / "back"));

    // Qwen3.6 style: MTP packed too.
    ConvertOptions o;
    o.source = dir / "hf";
    o.out = dir / "packed36";
    o.target.kind = LayoutKind::HfFusedV5;
    o.target.mtp_experts_packed = true;
    NullProgress p;
    CancelToken c;
    REQUIRE(convert_checkpoint(o, p, c).is_ok());
    const Checkpoint p36 = test::open_ok(dir / "packed36");
    CHECK(p36.find("mtp.layers.0.mlp.experts.gate_up_proj"));
    CHECK(!p36.find("mtp.layers.0.mlp.experts.3.gate_proj.weight"));
    REQUIRE(convert(dir / "packed36", dir / "mg36", LayoutKind::Megatron, plan_of(1, 1, 4)).is_ok());
    REQUIRE(convert(dir / "mg36", dir / "back36", LayoutKind::Hf).is_ok());
    test::require_same_tensors(test::open_ok(dir / "hf"), test::open_ok(dir / "back36"));
}

TEST_CASE("GDN HF layout detection: packed/per-expert from the keys, mixing is an error", "[gdn][convert]") {
    auto ckpt_with = [](std::initializer_list<const char*> names) {
        Checkpoint c;
        c.format = "safetensors";
        c.path = "model";
        c.config = find_synth_preset("qwen3.5-moe-tiny")->config;
        for (const char* n : names) c.tensors.push_back(TensorInfo{n, DType::BF16, {1}, {}, {}});
        return c;
    };
    auto qwen35 = detect_layout(
        ckpt_with({"model.layers.0.mlp.experts.gate_up_proj", "mtp.layers.0.mlp.experts.0.gate_proj.weight"}));
    REQUIRE(qwen35.is_ok());
    CHECK(qwen35->options.kind == LayoutKind::HfFusedV5);
    CHECK(!qwen35->options.mtp_experts_packed);
    auto qwen36 =
        detect_layout(ckpt_with({"model.layers.0.mlp.experts.gate_up_proj", "mtp.layers.0.mlp.experts.gate_up_proj"}));
    REQUIRE(qwen36.is_ok());
    CHECK(qwen36->options.mtp_experts_packed);
    auto per_expert = detect_layout(ckpt_with({"model.layers.0.mlp.experts.0.up_proj.weight"}));
    REQUIRE(per_expert.is_ok());
    CHECK(per_expert->options.kind == LayoutKind::Hf);
    auto mixed =
        detect_layout(ckpt_with({"model.layers.0.mlp.experts.gate_up_proj", "mtp.layers.0.mlp.experts.gate_up_proj",
                                 "mtp.layers.0.mlp.experts.5.down_proj.weight"}));
    REQUIRE(!mixed.is_ok());
    CHECK_THAT(mixed.status().message(), Catch::Contains("MTP experts are stored both packed"));
    CHECK_THAT(mixed.status().message(), Catch::Contains("mtp.layers.0.mlp.experts.5.down_proj.weight"));
    auto mixed_decoder = detect_layout(
        ckpt_with({"model.layers.1.mlp.experts.gate_up_proj", "model.layers.0.mlp.experts.0.gate_proj.weight"}));
    REQUIRE(!mixed_decoder.is_ok());
    CHECK_THAT(mixed_decoder.status().message(), Catch::Contains("decoder experts are stored both packed"));
}

TEST_CASE("Qwen3.5-397B-A17B skeleton: dry-run HF -> Megatron TP2 PP4 EP8 per-rank shapes", "[gdn][convert]") {
    test::TempDir dir;
    test::synth_ok(dir / "big", "qwen3.5-397b-a17b", true);
    auto report = convert(dir / "big", dir / "mg", LayoutKind::Megatron, plan_of(2, 4, 8), true);
    INFO(report.status().message());
    REQUIRE(report.is_ok());
    CHECK(!fs::exists(dir / "mg"));
    const ConversionPlan& plan = report->plan;
    CHECK(plan.files.size() == 2 * 4 * 8);
    auto shape = [&](const std::string& name, RankCoord rank) {
        for (const auto& t : plan.tensors)
            if (t.name == name && t.rank == rank) return t.shape;
        FAIL("no planned tensor " << name);
        return Shape{};
    };
    // 60 layers / PP 4 = 15 per stage; GDN in_proj 2·2048 + 2·8192 + 2·64 = 20608 rows, half per TP rank.
    CHECK(shape("decoder.layers.0.self_attention.in_proj.weight", {1, 2, 0}) == Shape{10304, 4096});
    CHECK(shape("decoder.layers.0.self_attention.conv1d.weight", {1, 2, 0}) == Shape{6144, 1, 4});
    CHECK(shape("decoder.layers.0.self_attention.A_log", {0, 0, 3}) == Shape{32});
    CHECK(shape("decoder.layers.0.self_attention.out_norm.weight", {0, 0, 3}) == Shape{128});
    CHECK(shape("decoder.layers.0.self_attention.out_proj.weight", {0, 0, 3}) == Shape{4096, 4096});
    // Gated attention (layer 3): (2·32 + 2·2)·256 = 17408 rows, half per TP rank.
    CHECK(shape("decoder.layers.3.self_attention.linear_qkv.weight", {0, 0, 0}) == Shape{8704, 4096});
    CHECK(shape("decoder.layers.3.self_attention.linear_proj.weight", {0, 0, 0}) == Shape{4096, 4096});
    // 512 experts / EP 8 = 64 local experts; fc1 [2·1024/2, H] with ETP = TP.
    CHECK(shape("decoder.layers.14.mlp.experts.linear_fc1.weight63", {1, 3, 7}) == Shape{1024, 4096});
    CHECK(shape("decoder.layers.14.mlp.experts.linear_fc2.weight0", {1, 3, 7}) == Shape{4096, 512});
    CHECK(shape("decoder.layers.14.mlp.shared_experts.linear_fc1.weight", {1, 3, 7}) == Shape{1024, 4096});
    CHECK(shape("decoder.layers.14.mlp.shared_experts.gate_weight", {1, 3, 7}) == Shape{1, 4096});
    CHECK(shape("mtp.layers.0.eh_proj.weight", {1, 3, 0}) == Shape{2048, 8192});
    CHECK(shape("mtp.layers.0.mtp_model_layer.mlp.experts.linear_fc1.weight5", {0, 3, 2}) == Shape{1024, 4096});
    CHECK(shape("embedding.word_embeddings.weight", {0, 0, 0}) == Shape{124160, 4096});
}

TEST_CASE("GDN round trip with ETP != TP, local norms, sequential and legacy grouped experts", "[gdn][convert]") {
    test::TempDir dir;
    test::synth_ok(dir / "hf", "qwen3-next-tiny");
    const Checkpoint original = test::open_ok(dir / "hf");
    struct Variant {
        const char* tag;
        ExpertLayout experts;
        NormLayout norms;
        int etp;
    };
    for (const Variant& v : {Variant{"seq-local", ExpertLayout::Sequential, NormLayout::Local, 1},
                             Variant{"legacy-te", ExpertLayout::LegacyGrouped, NormLayout::Te, 2}}) {
        INFO(v.tag);
        ConvertOptions o;
        o.source = dir / "hf";
        o.out = dir / (std::string(v.tag) + "-mg");
        o.target.kind = LayoutKind::Megatron;
        o.target.plan = plan_of(2, 2, 2);
        o.target.plan.etp = v.etp;
        o.target.experts = v.experts;
        o.target.norms = v.norms;
        NullProgress p;
        CancelToken c;
        auto mg = convert_checkpoint(o, p, c);
        INFO(mg.status().message());
        REQUIRE(mg.is_ok());
        const Checkpoint m = test::open_ok(o.out);
        if (v.norms == NormLayout::Local) {
            CHECK(m.find("decoder.layers.0.input_layernorm.weight", {0, 0, 0}));
            CHECK(m.find("mtp.layers.0.mtp_model_layer.input_layernorm.weight", {0, 1, 0}));
        } else {
            CHECK(m.find("decoder.layers.0.mlp.experts.weight1", {0, 0, 1}));
        }
        auto back = convert(o.out, dir / (std::string(v.tag) + "-hf"), LayoutKind::Hf);
        INFO(back.status().message());
        REQUIRE(back.is_ok());
        test::require_same_tensors(original, test::open_ok(dir / (std::string(v.tag) + "-hf")));
    }
}
