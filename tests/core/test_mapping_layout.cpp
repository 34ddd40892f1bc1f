// Layout tests against hand-computed expectations (tiny preset: hidden 64, 8 q heads and
// 2 query groups of 16, 8 experts with FFN 32, vocab 256, 4 layers).
#include <catch2/catch.hpp>

#include "strata/convert/megatron_args.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/mapping/name_pattern.h"
#include "strata/model/hf_layout.h"
#include "strata/synth/synth.h"

using namespace strata;

namespace {

Layout make_layout(LayoutOptions o, const char* preset = "tiny") {
    const auto& config = find_synth_preset(preset)->config;
    auto spec = mapping_spec_from_hf_config(config);
    REQUIRE(spec.is_ok());
    auto entries = hf_tensor_entries(config, DType::BF16);
    REQUIRE(entries.is_ok());
    auto reg = mapping_registry_for(spec->model_type);
    REQUIRE(reg.is_ok());
    auto layout = build_layout(*spec, *entries, **reg, o);
    if (!layout) FAIL(layout.status().to_string());
    return std::move(*layout);
}

LayoutOptions megatron(int tp, int pp, int ep, int etp = 0) {
    LayoutOptions o;
    o.kind = LayoutKind::Megatron;
    o.plan.tp = tp;
    o.plan.pp = pp;
    o.plan.ep = ep;
    o.plan.etp = etp;
    return o;
}

const LayoutTensor* find(const Layout& l, const std::string& name, RankCoord rank) {
    for (const auto& t : l.tensors)
        if (t.name == name && t.rank == rank) return &t;
    return nullptr;
}

// Pieces of a stored tensor as (canonical name, box start rows, first stored row).
struct Row {
    std::string canonical;
    uint64_t canonical_row, rows, stored_row;
};
std::vector<Row> rows_of(const Layout& l, const LayoutTensor* t) {
    std::vector<Row> out;
    const auto idx = static_cast<uint32_t>(t - l.tensors.data());
    for (const auto& p : l.pieces)
        if (p.tensor == idx) {
            const uint64_t row_elems = t->shape.size() > 1 ? t->shape[1] : 1;
            out.push_back({l.canonical[p.canonical].name, p.box.start[0], p.box.extent[0], p.offset / row_elems});
        }
    return out;
}

}  // namespace

TEST_CASE("NamePattern follows Megatron-Bridge wildcard semantics", "[mapping]") {
    NamePattern p("decoder.layers.*.mlp.experts.linear_fc1.weight*");
    auto caps = p.match("decoder.layers.12.mlp.experts.linear_fc1.weight7");
    REQUIRE(caps);
    CHECK(*caps == std::vector<std::string>{"12", "7"});
    CHECK_FALSE(p.match("decoder.layers.x.mlp.experts.linear_fc1.weight7"));    // * is digits only
    CHECK_FALSE(p.match("decoder.layers.1.mlp.experts.linear_fc1.weight7.x"));  // anchored
    NamePattern hf("model.layers.*.mlp.experts.*.gate_proj.weight");
    CHECK(hf.fill(*caps) == "model.layers.12.mlp.experts.7.gate_proj.weight");
    NamePattern any("**.weight");
    auto a = any.match("model.layers.0.q.weight");
    REQUIRE(a);
    CHECK((*a)[0] == "model.layers.0.q");
    // `**` captures are substituted before `*` captures.
    NamePattern mixed("*.x.**");
    auto m = mixed.match("3.x.a.b");
    REQUIRE(m);
    CHECK(*m == std::vector<std::string>{"a.b", "3"});
    CHECK(mixed.fill(*m) == "3.x.a.b");
}

TEST_CASE("QKV rows are group-major and TP ranks hold whole groups", "[mapping]") {
    const Layout l = make_layout(megatron(2, 1, 1));
    const auto* t1 = find(l, "decoder.layers.0.self_attention.linear_qkv.weight", {1, 0, 0});
    REQUIRE(t1);
    CHECK(t1->shape == Shape{96, 64});  // (4 q heads + k + v) x 16 rows: one group per rank
    const auto rows = rows_of(l, t1);
    REQUIRE(rows.size() == 3);
    // Group 1: q heads 4..7 = q rows 64..127, then k head 1, then v head 1.
    CHECK(rows[0].canonical == "model.layers.0.self_attn.q_proj.weight");
    CHECK(rows[0].canonical_row == 64);
    CHECK(rows[0].rows == 64);
    CHECK(rows[0].stored_row == 0);
    CHECK(rows[1].canonical == "model.layers.0.self_attn.k_proj.weight");
    CHECK(rows[1].canonical_row == 16);
    CHECK(rows[1].stored_row == 64);
    CHECK(rows[2].canonical == "model.layers.0.self_attn.v_proj.weight");
    CHECK(rows[2].canonical_row == 16);
    CHECK(rows[2].stored_row == 80);
    // TP1: [q g0 (64) ; k0 ; v0 ; q g1 ; k1 ; v1].
    const Layout l1 = make_layout(megatron(1, 1, 1));
    const auto r1 = rows_of(l1, find(l1, "decoder.layers.0.self_attention.linear_qkv.weight", {0, 0, 0}));
    REQUIRE(r1.size() == 6);
    CHECK(r1[3].canonical_row == 64);
    CHECK(r1[3].stored_row == 96);
    CHECK(r1[4].stored_row == 160);
    CHECK(r1[5].stored_row == 176);
}

TEST_CASE("gate/up interleave per ETP rank and global expert ids", "[mapping]") {
    // EP 4: 2 experts per rank; expert 5 lives on EP rank 2 as local expert 1.
    const Layout l = make_layout(megatron(2, 1, 4, 2));
    const auto* t = find(l, "decoder.layers.0.mlp.experts.linear_fc1.weight1", {1, 0, 2});
    REQUIRE(t);
    CHECK(t->shape == Shape{32, 64});  // [gate_r (16) ; up_r (16)]
    const auto rows = rows_of(l, t);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].canonical == "model.layers.0.mlp.experts.5.gate_proj.weight");
    CHECK(rows[0].canonical_row == 16);  // ETP rank 1: second half of the FFN rows
    CHECK(rows[0].stored_row == 0);
    CHECK(rows[1].canonical == "model.layers.0.mlp.experts.5.up_proj.weight");
    CHECK(rows[1].canonical_row == 16);
    CHECK(rows[1].stored_row == 16);
    // fc2 is split along its FFN columns.
    const auto* fc2 = find(l, "decoder.layers.0.mlp.experts.linear_fc2.weight1", {1, 0, 2});
    REQUIRE(fc2);
    CHECK(fc2->shape == Shape{64, 16});
    // Non-expert tensors are in every EP file; experts only in their EP rank's.
    CHECK(find(l, "decoder.layers.0.self_attention.linear_proj.weight", {0, 0, 3}));
    CHECK_FALSE(find(l, "decoder.layers.0.mlp.experts.linear_fc1.weight2", {0, 0, 0}));
    // ETP 1 with TP 2: both TP files hold the whole expert.
    const Layout e1 = make_layout(megatron(2, 1, 4, 1));
    const auto* whole = find(e1, "decoder.layers.0.mlp.experts.linear_fc1.weight1", {1, 0, 2});
    REQUIRE(whole);
    CHECK(whole->shape == Shape{64, 64});
}

TEST_CASE("PP stages use local layer numbers, embedding first, head last", "[mapping]") {
    const Layout l = make_layout(megatron(1, 2, 1));
    CHECK(l.stage_layers == std::vector<int>{0, 2, 4});
    const auto* t = find(l, "decoder.layers.1.self_attention.linear_proj.weight", {0, 1, 0});
    REQUIRE(t);
    bool from_layer3 = false;
    for (const auto& r : rows_of(l, t)) from_layer3 = r.canonical == "model.layers.3.self_attn.o_proj.weight";
    CHECK(from_layer3);
    CHECK_FALSE(find(l, "decoder.layers.2.self_attention.linear_proj.weight", {0, 1, 0}));
    CHECK(find(l, "embedding.word_embeddings.weight", {0, 0, 0}));
    CHECK_FALSE(find(l, "embedding.word_embeddings.weight", {0, 1, 0}));
    CHECK(find(l, "output_layer.weight", {0, 1, 0}));
    CHECK(find(l, "decoder.final_layernorm.weight", {0, 1, 0}));
    CHECK(l.files[1].path == "mp_rank_00_001/model_optim_rng.pt");
    CHECK(megatron_rank_dir({1, 2, 3}, megatron(2, 4, 4).plan) == "mp_rank_01_002_003");
    CHECK(megatron_rank_dir({1, 0, 3}, megatron(2, 1, 4).plan) == "mp_rank_01_003");
}

TEST_CASE("vocab is padded as Megatron pads it", "[mapping]") {
    ParallelPlan p;
    p.tp = 2;
    CHECK(*megatron_padded_vocab(151936, p, true) == 152064);  // facts mamba-megatron §2.2
    p.tp = 1;
    CHECK(*megatron_padded_vocab(151936, p, true) == 151936);
    CHECK(*megatron_padded_vocab(151936, p, false) == 151936);
    auto o = megatron(2, 1, 1);
    o.plan.make_vocab_size_divisible_by = 96;  // multiple 192: 256 -> 384 rows, 192 per rank
    const Layout l = make_layout(o);
    CHECK(l.padded_vocab == 384);
    const auto* r1 = find(l, "embedding.word_embeddings.weight", {1, 0, 0});
    REQUIRE(r1);
    CHECK(r1->shape == Shape{192, 64});
    const auto rows = rows_of(l, r1);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].canonical_row == 192);
    CHECK(rows[0].rows == 64);  // rows 256..383 are padding
    o.vocab_padding = false;
    CHECK(make_layout(o).padded_vocab == 256);
}

TEST_CASE("legacy GroupedMLP weight1 holds E_l blocks of fc1^T (Megatron-LM#909)", "[mapping]") {
    auto o = megatron(1, 1, 2);
    o.experts = ExpertLayout::LegacyGrouped;
    const Layout l = make_layout(o);
    const auto* w1 = find(l, "decoder.layers.0.mlp.experts.weight1", {0, 0, 1});
    REQUIRE(w1);
    CHECK(w1->shape == Shape{64, 4 * 2 * 32});  // [H, E_l * 2F]
    const auto idx = static_cast<uint32_t>(w1 - l.tensors.data());
    int seen = 0;
    for (const auto& p : l.pieces) {
        if (p.tensor != idx) continue;
        const auto& name = l.canonical[p.canonical].name;
        if (name == "model.layers.0.mlp.experts.6.up_proj.weight") {
            // view [4, 64, 64]: local expert 2, column block F..2F; gate row -> last dim, hidden -> middle.
            CHECK(p.offset == 2 * 64 * 64 + 32);
            CHECK(p.strides == std::vector<int64_t>{1, 64});
            ++seen;
        }
    }
    CHECK(seen == 1);
    const auto* w2 = find(l, "decoder.layers.0.mlp.experts.weight2", {0, 0, 0});
    REQUIRE(w2);
    CHECK(w2->shape == Shape{4 * 32, 64});
}

TEST_CASE("unsupported plans say why", "[mapping]") {
    const auto& config = find_synth_preset("tiny")->config;
    auto spec = mapping_spec_from_hf_config(config);
    auto entries = hf_tensor_entries(config, DType::BF16);
    auto reg = mapping_registry_for("qwen3_moe");
    auto bad = build_layout(*spec, *entries, **reg, megatron(1, 1, 1, 2));
    REQUIRE_FALSE(bad);
    CHECK(bad.status().code() == StatusCode::Unsupported);
    CHECK_THAT(bad.status().message(), Catch::Contains("ETP 2 must divide TP 1"));
    auto ep3 = build_layout(*spec, *entries, **reg, megatron(1, 1, 3));
    REQUIRE_FALSE(ep3);
    CHECK_THAT(ep3.status().message(), Catch::Contains("8 experts"));
    auto tp4 = build_layout(*spec, *entries, **reg, megatron(4, 1, 1));
    REQUIRE_FALSE(tp4);
    CHECK_THAT(tp4.status().message(), Catch::Contains("query groups"));
    CHECK_FALSE(mapping_registry_for("gpt_neox"));
}
