#include "support/model_helpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/forward/logits_compare.h"
#include "strata/forward/npy.h"
#include "strata/synth/synth.h"

namespace fs = std::filesystem;

namespace strata::test {

fs::path synth_ok(const fs::path& out, const std::string& preset, bool sparse, uint64_t seed) {
    SynthOptions o;
    o.preset = preset;
    o.out = out;
    o.sparse = sparse;
    o.seed = seed;
    NullProgress p;
    CancelToken c;
    const Status st = synthesize(o, p, c);
    INFO(preset << " -> " << out.string() << ": " << st.to_string());
    REQUIRE(st.is_ok());
    return out;
}

Checkpoint open_ok(const fs::path& path) {
    auto c = open_checkpoint(path);
    INFO(path.string() << ": " << c.status().to_string());
    REQUIRE(c.is_ok());
    return std::move(*c);
}

fs::path forward_fixture(const std::string& name) {
    return fs::path(STRATA_SOURCE_DIR) / "tests" / "reference" / "fixtures" / "forward" / name;
}

std::vector<int32_t> fixture_tokens(const fs::path& dir) {
    std::ifstream in(dir / "tokens.json");
    return nlohmann::json::parse(in).get<std::vector<int32_t>>();
}

ForwardResult forward_ok(const fs::path& dir, const std::vector<int32_t>& tokens, const ForwardOptions& options) {
    NullProgress progress;
    CancelToken cancel;
    auto r = run_forward(dir, tokens, options, progress, cancel);
    INFO(dir.string() << ": " << r.status().to_string());
    REQUIRE(r.is_ok());
    return std::move(r).value();
}

ForwardResult check_against_fixture_logits(const std::string& name, const std::string& expect_type) {
    const fs::path dir = forward_fixture(name);
    const auto tokens = fixture_tokens(dir);
    auto ref = read_npy(dir / "logits.npy");
    REQUIRE(ref.is_ok());
    ForwardResult r = forward_ok(dir, tokens);
    CHECK(r.model_type == expect_type);
    REQUIRE(ref->shape == std::vector<uint64_t>{tokens.size(), r.vocab});
    auto cmp = compare_logits(r.logits, ref->data, r.tokens, r.vocab);
    REQUIRE(cmp.is_ok());
    WARN(name << ": max abs vs reference " << cmp->max_abs << ", mean abs " << cmp->mean_abs << ", max KL "
              << cmp->max_kl << ", " << r.seconds << " s");
    CHECK(cmp->max_abs <= 1e-4);
    CHECK(cmp->top1_agreement == 1.0);
    // The logits span several units, so 1e-4 is a real bar.
    double absmax = 0;
    for (float v : ref->data) absmax = std::max(absmax, double(std::fabs(v)));
    CHECK(absmax > 1.0);
    // One layer resident at a time: never more than a third of the model on the backend.
    const Checkpoint ckpt = open_ok(dir);
    CHECK(r.peak_resident_bytes > 0);
    CHECK(r.peak_resident_bytes * 3 < ckpt.total_bytes());
    return r;
}

LayoutOptions target(LayoutKind kind, int tp, int pp, int ep) {
    LayoutOptions o;
    o.kind = kind;
    o.plan.tp = tp;
    o.plan.pp = pp;
    o.plan.ep = ep;
    return o;
}

void convert_ok(const fs::path& src, const fs::path& out, const LayoutOptions& target, bool allow_unmapped) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target = target;
    o.allow_unmapped = allow_unmapped;
    NullProgress progress;
    CancelToken cancel;
    auto r = convert_checkpoint(o, progress, cancel);
    INFO(src.string() << " -> " << out.string() << ": " << r.status().to_string());
    REQUIRE(r.is_ok());
}

Checkpoint megatron_round_trip(const fs::path& hf, const fs::path& dir, const std::string& tag,
                               const LayoutOptions& megatron, bool allow_unmapped) {
    const fs::path mg = dir / (tag + "-mg"), back = dir / (tag + "-hf");
    convert_ok(hf, mg, megatron, allow_unmapped);
    convert_ok(mg, back, target(LayoutKind::Hf), allow_unmapped);
    fs::remove_all(mg);
    return open_ok(back);
}

void require_same_tensors(const Checkpoint& a, const Checkpoint& b, const std::function<bool(const std::string&)>& skip) {
    size_t compared = 0;
    for (const auto& t : a.tensors) {
        if (skip && skip(t.name)) continue;
        ++compared;
        const TensorInfo* u = b.find(t.name, t.rank);
        INFO(t.name);
        REQUIRE(u);
        REQUIRE(u->dtype == t.dtype);
        REQUIRE(u->shape == t.shape);
        auto x = a.read(t);
        auto y = b.read(*u);
        REQUIRE(x.is_ok());
        REQUIRE(y.is_ok());
        REQUIRE(*x == *y);
    }
    CHECK(b.tensors.size() == compared);
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace strata::test
