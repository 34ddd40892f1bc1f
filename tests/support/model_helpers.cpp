#include "support/model_helpers.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
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

LayoutOptions target(LayoutKind kind, int tp, int pp, int ep) {
    LayoutOptions o;
    o.kind = kind;
    o.plan.tp = tp;
    o.plan.pp = pp;
    o.plan.ep = ep;
    return o;
}

void convert_ok(const fs::path& src, const fs::path& out, const LayoutOptions& target) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target = target;
    NullProgress progress;
    CancelToken cancel;
    auto r = convert_checkpoint(o, progress, cancel);
    INFO(src.string() << " -> " << out.string() << ": " << r.status().to_string());
    REQUIRE(r.is_ok());
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
