// Conversion safety: unknown tensors stop it by name, cancel leaves nothing that
// looks finished, the source is never modified, dry runs write nothing.
#include <catch2/catch.hpp>

#include <xxhash.h>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/formats/safetensors.h"
#include "strata/io/atomic_output.h"
#include "strata/model/hf_config.h"
#include "strata/synth/synth.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

fs::path synth_tiny(const test::TempDir& dir) { return test::synth_ok(dir / "tiny"); }

uint64_t tree_hash(const fs::path& folder) {
    uint64_t h = 0;
    for (const auto& name : test::list_tree(folder)) {
        if (fs::is_directory(folder / name)) continue;
        const auto bytes = test::read_file(folder / name);
        h = h * 31 + XXH3_64bits(bytes.data(), bytes.size()) + XXH3_64bits(name.data(), name.size());
    }
    return h;
}

ConvertOptions to_megatron(const fs::path& src, const fs::path& out) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target.kind = LayoutKind::Megatron;
    o.target.plan.tp = 2;
    o.target.plan.ep = 2;
    return o;
}

bool has_temp(const fs::path& folder) {
    for (const auto& e : fs::directory_iterator(folder))
        if (is_atomic_temp_name(e.path().filename().string())) return true;
    return false;
}

}  // namespace

TEST_CASE("a source tensor no rule maps stops the conversion with its name", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir);
    // Copy the model with one extra tensor.
    auto ckpt = open_checkpoint(src);
    REQUIRE(ckpt.is_ok());
    std::vector<TensorEntry> entries;
    for (const auto& t : ckpt->tensors) entries.push_back({t.name, t.dtype, t.shape});
    entries.push_back({"model.layers.0.mlp.mystery.weight", DType::BF16, {4}});
    const fs::path odd = dir / "odd";
    fs::create_directory(odd);
    SafetensorsWriter w(odd);
    REQUIRE(w.begin(entries).is_ok());
    for (size_t i = 0; i + 1 < entries.size(); ++i) REQUIRE(w.write(i, *ckpt->read(ckpt->tensors[i])).is_ok());
    std::vector<std::byte> extra(8);
    REQUIRE(w.write(entries.size() - 1, extra).is_ok());
    REQUIRE(w.finish().is_ok());
    REQUIRE(write_json_file(odd / "config.json", ckpt->config).is_ok());

    NullProgress p;
    CancelToken c;
    auto r = convert_checkpoint(to_megatron(odd, dir / "out"), p, c);
    REQUIRE_FALSE(r);
    CHECK(r.status().tensor() == "model.layers.0.mlp.mystery.weight");
    CHECK_THAT(r.status().to_string(), Catch::Contains("--allow-unmapped"));
    CHECK_FALSE(fs::exists(dir / "out"));
    auto o = to_megatron(odd, dir / "out");
    o.allow_unmapped = true;
    auto ok = convert_checkpoint(o, p, c);
    REQUIRE(ok.is_ok());
    CHECK(ok->unmapped == std::vector<std::string>{"model.layers.0.mlp.mystery.weight"});
}

TEST_CASE("a missing source tensor is named", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir);
    auto ckpt = open_checkpoint(src);
    REQUIRE(ckpt.is_ok());
    std::vector<TensorEntry> entries;
    for (const auto& t : ckpt->tensors)
        if (t.name != "model.layers.2.self_attn.k_proj.weight") entries.push_back({t.name, t.dtype, t.shape});
    const fs::path odd = dir / "odd";
    fs::create_directory(odd);
    SafetensorsWriter w(odd, {.sparse = true});
    REQUIRE(w.begin(entries).is_ok());
    REQUIRE(w.finish().is_ok());
    REQUIRE(write_json_file(odd / "config.json", ckpt->config).is_ok());
    NullProgress p;
    CancelToken c;
    auto r = convert_checkpoint(to_megatron(odd, dir / "out"), p, c);
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == StatusCode::NotFound);
    CHECK(r.status().tensor() == "model.layers.2.self_attn.k_proj.weight");
}

TEST_CASE("a cancelled conversion leaves nothing that looks finished", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir);
    // Cancel from the progress sink after the first tensor.
    struct CancelAfter final : ProgressSink {
        CancelToken* token = nullptr;
        void begin(std::string_view, uint64_t) override {}
        void advance(uint64_t) override { token->cancel(); }
        void log(std::string_view) override {}
    };
    CancelToken c;
    CancelAfter p;
    p.token = &c;
    auto o = to_megatron(src, dir / "out");
    o.executor.threads = 1;
    auto r = convert_checkpoint(o, p, c);
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == StatusCode::Cancelled);
    CHECK_FALSE(fs::exists(dir / "out"));
    CHECK_FALSE(has_temp(dir.path()));
}

TEST_CASE("the source is never modified and dry runs write nothing", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir);
    const uint64_t before = tree_hash(src);
    NullProgress p;
    CancelToken c;
    auto o = to_megatron(src, dir / "mg");
    o.dry_run = true;
    auto plan = convert_checkpoint(o, p, c);
    REQUIRE(plan.is_ok());
    CHECK_FALSE(fs::exists(dir / "mg"));
    CHECK(plan->plan.tensors.size() > 0);
    CHECK_THAT(plan_to_text(plan->plan, 5), Catch::Contains("linear_qkv"));
    CHECK(plan_to_json(plan->plan)["files"].size() == 4);
    o.dry_run = false;
    REQUIRE(convert_checkpoint(o, p, c).is_ok());
    ConvertOptions back;
    back.source = dir / "mg";
    back.out = dir / "hf";
    const uint64_t mg_before = tree_hash(dir / "mg");
    REQUIRE(convert_checkpoint(back, p, c).is_ok());
    CHECK(tree_hash(src) == before);
    CHECK(tree_hash(dir / "mg") == mg_before);
    // The output folder already exists: refused, not overwritten.
    auto again = convert_checkpoint(back, p, c);
    REQUIRE_FALSE(again);
}
