#include <catch2/catch.hpp>

#include "strata/formats/format_registry.h"
#include "strata/io/atomic_output.h"
#include "strata/synth/synth.h"
#include "support/temp_dir.h"

using namespace strata;

TEST_CASE("synth tiny writes the HF qwen3_moe layout with the preset's dims", "[synth]") {
    test::TempDir dir;
    SynthOptions o;
    o.preset = "tiny";
    o.out = dir / "tiny";
    NullProgress p;
    CancelToken c;
    REQUIRE(synthesize(o, p, c).is_ok());
    auto ckpt = open_checkpoint(o.out);
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->config["model_type"] == "qwen3_moe");
    // 4 layers x (4 attn + 2 qk-norm + 2 layer norms + router + 8 experts x 3) + embed + norm + lm_head
    CHECK(ckpt->tensors.size() == 4 * (4 + 2 + 2 + 1 + 24) + 3);
    const TensorInfo* q = ckpt->find("model.layers.0.self_attn.q_proj.weight");
    REQUIRE(q);
    CHECK(q->shape == Shape{128, 64});  // q dim 8*16 = 128 != hidden 64, like the real model
    CHECK(q->dtype == DType::BF16);
    const TensorInfo* down = ckpt->find("model.layers.3.mlp.experts.7.down_proj.weight");
    REQUIRE(down);
    CHECK(down->shape == Shape{64, 32});
}

TEST_CASE("synth is deterministic for a seed and differs across seeds", "[synth]") {
    test::TempDir dir;
    NullProgress p;
    CancelToken c;
    auto make = [&](const std::string& name, uint64_t seed) {
        SynthOptions o;
        o.preset = "tiny";
        o.out = dir / name;
        o.seed = seed;
        REQUIRE(synthesize(o, p, c).is_ok());
        return test::read_file(dir / name / "model.safetensors");
    };
    CHECK(make("a", 1) == make("b", 1));
    CHECK(make("c", 1) != make("d", 2));
}

TEST_CASE("synth qwen3-30b-a3b --sparse has the real model's counts", "[synth]") {
    test::TempDir dir;
    SynthOptions o;
    o.preset = "qwen3-30b-a3b";
    o.out = dir / "big";
    o.sparse = true;
    NullProgress p;
    CancelToken c;
    REQUIRE(synthesize(o, p, c).is_ok());
    auto ckpt = open_checkpoint(o.out);
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->tensors.size() == 18867);
    CHECK(ckpt->total_parameters() == 30532122624ull);
    CHECK(ckpt->files.size() == 13);  // 61 GB over 5 GB shards, as the real release
}

TEST_CASE("a cancelled synth leaves nothing behind", "[synth][cancel]") {
    test::TempDir dir;
    SynthOptions o;
    o.preset = "tiny";
    o.out = dir / "x";
    NullProgress p;
    CancelToken c;
    c.cancel();
    auto s = synthesize(o, p, c);
    CHECK(s.code() == StatusCode::Cancelled);
    CHECK(test::list_tree(dir.path()).empty());
}

TEST_CASE("synth refuses to overwrite and names unknown presets", "[synth]") {
    test::TempDir dir;
    NullProgress p;
    CancelToken c;
    SynthOptions o;
    o.preset = "nope";
    o.out = dir / "x";
    auto s = synthesize(o, p, c);
    CHECK(s.code() == StatusCode::InvalidArgument);
    CHECK_THAT(s.to_string(), Catch::Contains("unknown preset 'nope'") && Catch::Contains("tiny"));
    o.preset = "tiny";
    REQUIRE(synthesize(o, p, c).is_ok());
    CHECK(synthesize(o, p, c).code() == StatusCode::InvalidArgument);
}
