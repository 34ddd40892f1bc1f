// hybridize (M1 recipe) on the tiny preset: exact copies, fresh-part distributions, errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "strata/formats/format_registry.h"
#include "strata/hybrid/hybridize.h"
#include "strata/io/atomic_output.h"
#include "strata/kernels/scalar_types.h"
#include "strata/model/hf_config.h"
#include "strata/model/model_spec.h"
#include "strata/synth/synth.h"
#include "support/temp_dir.h"

using namespace strata;

namespace {

std::filesystem::path make_tiny(const test::TempDir& dir, const std::string& name = "tiny",
                                DType dtype = DType::BF16) {
    SynthOptions o;
    o.preset = "tiny";
    o.out = dir / name;
    o.dtype = dtype;
    o.seed = 7;
    NullProgress p;
    CancelToken c;
    REQUIRE(synthesize(o, p, c).is_ok());
    return o.out;
}

Status run_hybridize(const std::filesystem::path& src, const std::filesystem::path& out, const std::string& attn,
                     uint64_t seed = 0, bool allow_ends = false) {
    HybridizeOptions o;
    o.source = src;
    o.out = out;
    o.attn_layers = attn;
    o.seed = seed;
    o.allow_mamba_ends = allow_ends;
    NullProgress p;
    CancelToken c;
    return hybridize(o, p, c);
}

std::vector<std::byte> bytes_of(const Checkpoint& c, const std::string& name) {
    const TensorInfo* t = c.find(name);
    REQUIRE(t);
    auto b = c.read(*t);
    REQUIRE(b.is_ok());
    return *b;
}

std::vector<float> floats_of(const Checkpoint& c, const std::string& name) {
    const TensorInfo* t = c.find(name);
    REQUIRE(t);
    auto b = bytes_of(c, name);
    std::vector<float> v(t->element_count());
    if (t->dtype == DType::F32) {
        std::memcpy(v.data(), b.data(), b.size());
    } else {
        REQUIRE(t->dtype == DType::BF16);
        for (size_t i = 0; i < v.size(); ++i) {
            uint16_t h;
            std::memcpy(&h, b.data() + 2 * i, 2);
            v[i] = kernels::bf16_to_float(h);
        }
    }
    return v;
}

// Kolmogorov–Smirnov distance between the samples and a CDF.
template <typename Cdf>
double ks_distance(std::vector<float> x, Cdf cdf) {
    std::sort(x.begin(), x.end());
    double d = 0.0;
    const double n = static_cast<double>(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const double f = cdf(static_cast<double>(x[i]));
        d = std::max({d, std::abs(f - static_cast<double>(i) / n), std::abs(static_cast<double>(i + 1) / n - f)});
    }
    return d;
}
// The 0.1% critical value of the one-sample KS test.
double ks_critical(size_t n) { return 1.95 / std::sqrt(static_cast<double>(n)); }

double uniform_cdf(double x, double lo, double hi) { return std::clamp((x - lo) / (hi - lo), 0.0, 1.0); }

std::vector<std::byte> rows(const std::vector<std::byte>& b, uint64_t row_bytes, uint64_t begin, uint64_t count) {
    return {b.begin() + static_cast<std::ptrdiff_t>(begin * row_bytes),
            b.begin() + static_cast<std::ptrdiff_t>((begin + count) * row_bytes)};
}

}  // namespace

TEST_CASE("hybridize with every layer kept as attention reproduces the source byte for byte", "[hybrid][hybridize]") {
    test::TempDir dir;
    const auto src_path = make_tiny(dir);
    REQUIRE(run_hybridize(src_path, dir / "h", "0,1,2,3").is_ok());
    auto src = open_checkpoint(src_path);
    auto out = open_checkpoint(dir / "h");
    REQUIRE(src.is_ok());
    REQUIRE(out.is_ok());
    REQUIRE(out->tensors.size() == src->tensors.size());
    for (const TensorInfo& t : src->tensors) {
        const TensorInfo* o = out->find(t.name);
        REQUIRE(o);
        CHECK(o->dtype == t.dtype);
        CHECK(o->shape == t.shape);
        CHECK(bytes_of(*out, t.name) == bytes_of(*src, t.name));
    }
    CHECK(test::read_file(dir / "h" / "config.json") == test::read_file(src_path / "config.json"));
    auto mc = read_json_file(dir / "h" / "mamba_config.json");
    REQUIRE(mc.is_ok());
    CHECK((*mc)["attn_layers"] == nlohmann::json::array({0, 1, 2, 3}));
}

TEST_CASE("hybridize attn_layers 0,2,3: copied rows are exact, fresh parts follow M1's distributions",
          "[hybrid][hybridize]") {
    test::TempDir dir;
    const auto src_path = make_tiny(dir);
    REQUIRE(run_hybridize(src_path, dir / "h", "0,2,3", 11).is_ok());
    auto src = open_checkpoint(src_path);
    auto out = open_checkpoint(dir / "h");
    REQUIRE(src.is_ok());
    REQUIRE(out.is_ok());
    auto dims = m1_dims(src->config);
    REQUIRE(dims.is_ok());
    const M1Dims& d = *dims;
    CHECK(d.in_proj_rows() == 128 + 32 + 32 + 128 + 8);

    // Layers 0, 2, 3 unchanged; layer 1's attention gone, q_norm/k_norm dropped.
    for (const TensorInfo& t : src->tensors) {
        if (t.name.rfind("model.layers.1.self_attn.", 0) == 0) {
            CHECK_FALSE(out->find(t.name));
            continue;
        }
        INFO(t.name);
        CHECK(bytes_of(*out, t.name) == bytes_of(*src, t.name));  // MoE block, both norms, other layers
    }
    const std::string m = "model.layers.1.mamba.", a = "model.layers.1.self_attn.";
    CHECK(out->tensors.size() == src->tensors.size() - 6 + 8);

    const TensorInfo* in_proj = out->find(m + "in_proj.weight");
    REQUIRE(in_proj);
    CHECK(in_proj->shape == Shape{328, 64});
    const auto ip = bytes_of(*out, m + "in_proj.weight");
    const uint64_t row = 64 * 2;
    CHECK(rows(ip, row, d.x_begin(), d.d_xb) == bytes_of(*src, a + "v_proj.weight"));
    CHECK(rows(ip, row, d.b_begin(), d.d_xb) == bytes_of(*src, a + "k_proj.weight"));
    CHECK(rows(ip, row, d.c_begin(), d.d_inner) == bytes_of(*src, a + "q_proj.weight"));
    CHECK(bytes_of(*out, m + "out_proj.weight") == bytes_of(*src, a + "o_proj.weight"));

    // z and dt rows: U(±1/√hidden) = U(±0.125).
    const auto ipf = floats_of(*out, m + "in_proj.weight");
    const std::vector<float> z(ipf.begin(), ipf.begin() + static_cast<std::ptrdiff_t>(d.d_inner * 64));
    const std::vector<float> dt(ipf.begin() + static_cast<std::ptrdiff_t>(d.dt_begin() * 64), ipf.end());
    REQUIRE(dt.size() == 8 * 64);
    for (const auto* part : {&z, &dt}) {
        CHECK(*std::max_element(part->begin(), part->end()) <= 0.125f);
        CHECK(*std::min_element(part->begin(), part->end()) >= -0.125f);
        CHECK(ks_distance(*part, [](double x) { return uniform_cdf(x, -0.125, 0.125); }) < ks_critical(part->size()));
    }
    // conv1d weight and bias: U(±1/√d_conv) = U(±0.5).
    const TensorInfo* conv = out->find(m + "conv1d.weight");
    REQUIRE(conv);
    CHECK(conv->shape == Shape{192, 1, 4});
    for (const char* name : {"conv1d.weight", "conv1d.bias"}) {
        const auto v = floats_of(*out, m + name);
        CHECK(ks_distance(v, [](double x) { return uniform_cdf(x, -0.5, 0.5); }) < ks_critical(v.size()));
    }
    // A_log = log U(1,16); dt_bias = softplus⁻¹(dt), dt log-uniform on [1e-3, 0.1]; D = 1 (F32); norm = 1.
    for (float v : floats_of(*out, m + "A_log")) CHECK((std::exp(v) >= 0.99f && std::exp(v) <= 16.1f));
    for (float v : floats_of(*out, m + "dt_bias")) {
        const double sp = std::log1p(std::exp(static_cast<double>(v)));
        CHECK((sp >= 0.99e-3 && sp <= 0.101));
    }
    CHECK(out->find(m + "D")->dtype == DType::F32);
    for (float v : floats_of(*out, m + "D")) CHECK(v == 1.0f);
    for (float v : floats_of(*out, m + "norm.weight")) CHECK(v == 1.0f);

    // The fresh parts are exactly m1_fill's values for (seed, name) rounded to bf16.
    std::vector<float> expect(d.d_inner * d.hidden);
    m1_fill(M1Fresh::InProjZ, 11, m + "in_proj.weight", d, expect);
    for (size_t i = 0; i < expect.size(); ++i)
        REQUIRE(z[i] == kernels::bf16_to_float(kernels::float_to_bf16(expect[i])));

    // mamba_config.json as M1 writes it, and the plan engineer's ModelSpec reads it back.
    auto cfg = read_hf_config_beside(dir / "h");
    REQUIRE(cfg.is_ok());
    const auto& mc = (*cfg)["mamba_config"];
    CHECK(mc["d_model"] == 64);
    CHECK(mc["d_inner"] == 128);
    CHECK(mc["d_xb"] == 32);
    CHECK(mc["ssm_cfg"]["expand"] == 2);
    CHECK(mc["ssm_cfg"]["ngroups"] == 8);
    CHECK(mc["ssm_cfg"]["d_state"] == 16);
    CHECK(mc["n_layer"] == 4);
    CHECK(mc["num_experts"] == 8);
    CHECK(mc["attn_layers"] == nlohmann::json::array({0, 2, 3}));
    auto back = m1_dims_from_hybrid_config(*cfg);
    REQUIRE(back.is_ok());
    CHECK(back->in_proj_rows() == d.in_proj_rows());
    CHECK(back->kv_heads == 2);
    auto spec = model_spec_from_hf_config(*cfg);
    REQUIRE(spec.is_ok());
    REQUIRE(spec->layer_kinds.size() == 4);
    CHECK(spec->layer_kinds[1].mixer == MixerKind::Mamba2);
    CHECK(spec->layer_kinds[0].mixer == MixerKind::Attention);
    CHECK(spec->mamba.x_db == 32);
}

TEST_CASE("hybridize is deterministic per seed and the seed changes only the fresh parts", "[hybrid][hybridize]") {
    test::TempDir dir;
    const auto src = make_tiny(dir);
    REQUIRE(run_hybridize(src, dir / "a", "0,3", 5).is_ok());
    REQUIRE(run_hybridize(src, dir / "b", "0,3", 5).is_ok());
    REQUIRE(run_hybridize(src, dir / "c", "0,3", 6).is_ok());
    CHECK(test::read_file(dir / "a" / "model.safetensors") == test::read_file(dir / "b" / "model.safetensors"));
    auto a = open_checkpoint(dir / "a");
    auto c = open_checkpoint(dir / "c");
    REQUIRE(a.is_ok());
    REQUIRE(c.is_ok());
    CHECK(bytes_of(*a, "model.layers.2.mamba.conv1d.weight") != bytes_of(*c, "model.layers.2.mamba.conv1d.weight"));
    CHECK(bytes_of(*a, "model.layers.2.mamba.out_proj.weight") == bytes_of(*c, "model.layers.2.mamba.out_proj.weight"));
    // Layers do not share values: the generator is keyed by tensor name.
    CHECK(bytes_of(*a, "model.layers.1.mamba.conv1d.weight") != bytes_of(*a, "model.layers.2.mamba.conv1d.weight"));
}

TEST_CASE("m1_fill draws M1's distributions (large-sample KS tests)", "[hybrid][hybridize]") {
    M1Dims d;
    d.hidden = 2048;
    d.d_conv = 4;
    std::vector<float> v(200000);
    m1_fill(M1Fresh::InProjZ, 1, "w", d, v);
    const double b = 1.0 / std::sqrt(2048.0);
    CHECK(ks_distance(v, [&](double x) { return uniform_cdf(x, -b, b); }) < ks_critical(v.size()));
    CHECK(ks_distance(v, [&](double x) { return uniform_cdf(x, -0.9 * b, 0.9 * b); }) > ks_critical(v.size()));
    m1_fill(M1Fresh::ConvWeight, 1, "w", d, v);
    CHECK(ks_distance(v, [](double x) { return uniform_cdf(x, -0.5, 0.5); }) < ks_critical(v.size()));
    m1_fill(M1Fresh::ALog, 1, "w", d, v);
    CHECK(ks_distance(v, [](double x) { return uniform_cdf(std::exp(x), 1.0, 16.0); }) < ks_critical(v.size()));
    m1_fill(M1Fresh::DtBias, 1, "w", d, v);
    // softplus(dt_bias) = dt, log-uniform on [1e-3, 0.1] (the 1e-4 floor never binds).
    CHECK(ks_distance(v, [](double x) {
              return uniform_cdf(std::log(std::log1p(std::exp(x))), std::log(1e-3), std::log(0.1));
          }) < 3 * ks_critical(v.size()));  // float rounding of softplus⁻¹ near dt=1e-3 widens it slightly
}

TEST_CASE("hybridize checks M1's preconditions with clear errors", "[hybrid][hybridize]") {
    test::TempDir dir;
    const auto src_path = make_tiny(dir);
    auto src = open_checkpoint(src_path);
    REQUIRE(src.is_ok());
    auto plan_with = [&](const std::string& attn, M1Options m = {}, bool allow = false) {
        HybridizeOptions o;
        o.attn_layers = attn;
        o.mamba = m;
        o.allow_mamba_ends = allow;
        return plan_hybridize(*src, o);
    };
    auto err = [](const Result<HybridizePlan>& r) { return r.is_ok() ? std::string("ok") : r.status().to_string(); };
    CHECK_THAT(err(plan_with("0,2,3", {.expand = 1})), Catch::Contains("must equal num_attention_heads*head_dim"));
    CHECK_THAT(err(plan_with("0,2,3", {.expand = 1})), Catch::Contains("--expand 2"));
    CHECK_THAT(err(plan_with("0,2,3", {.expand = 2, .d_conv = 4, .d_state = 128})),
               Catch::Contains("d_state 128 must equal head_dim 16"));
    CHECK_THAT(err(plan_with("1,2,3")), Catch::Contains("layer 0 must stay attention"));
    CHECK_THAT(err(plan_with("1,2,3")), Catch::Contains("--allow-mamba-ends"));
    CHECK_THAT(err(plan_with("0,1,2")), Catch::Contains("layer 3 must stay attention"));
    CHECK_THAT(err(plan_with("0,2,9")), Catch::Contains("9"));
    CHECK(plan_with("0,2,9").status().code() == StatusCode::InvalidArgument);
    CHECK_THAT(err(plan_with("0,2,2,3")), Catch::Contains("twice"));
    CHECK_THAT(err(plan_with("0,3,2")), Catch::Contains("sorted"));
    CHECK_THAT(err(plan_with("0,x,3")), Catch::Contains("--attn-layers"));
    CHECK_THAT(err(plan_with("")), Catch::Contains("--attn-layers is required"));
    auto allowed = plan_with("1,2", {}, true);
    REQUIRE(allowed.is_ok());
    REQUIRE(allowed->warnings.size() == 2);
    CHECK_THAT(allowed->warnings[0], Catch::Contains("--allow-mamba-ends"));
    CHECK(allowed->megatron_pattern == "ME*E*EME");
    // A hybrid cannot be hybridized again, and nothing is left behind by a failed run.
    REQUIRE(run_hybridize(src_path, dir / "h", "0,3").is_ok());
    const Status again = run_hybridize(dir / "h", dir / "h2", "0,3");
    CHECK_THAT(again.to_string(), Catch::Contains("already an M1 hybrid"));
    CHECK_FALSE(std::filesystem::exists(dir / "h2"));
    for (const auto& name : test::list_tree(dir.path())) CHECK_FALSE(is_atomic_temp_name(name));
}

TEST_CASE("hybridize names the missing tensor of a damaged source", "[hybrid][hybridize]") {
    test::TempDir dir;
    // A source whose config promises 4 layers but whose weights hold 2.
    SynthOptions o;
    o.preset = "tiny";
    o.out = dir / "two";
    o.layers = 2;
    NullProgress p;
    CancelToken c;
    REQUIRE(synthesize(o, p, c).is_ok());
    auto cfg = read_json_file(dir / "two" / "config.json");
    REQUIRE(cfg.is_ok());
    (*cfg)["num_hidden_layers"] = 4;
    REQUIRE(write_json_file(dir / "two" / "config.json", *cfg).is_ok());
    const Status s = run_hybridize(dir / "two", dir / "h", "0,3");
    CHECK(s.code() == StatusCode::NotFound);
    CHECK_THAT(s.to_string(), Catch::Contains("model.layers.2."));
}
