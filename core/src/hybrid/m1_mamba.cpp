// M1 Mamba2 geometry and fresh initialisation (jingshenghang/M1 mamba2/hybrid_mamba_layer.py,
// transformer_to_mamba2.py; facts/mamba-megatron.md §1.2–1.3).
#include "strata/hybrid/m1_mamba.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace strata {
namespace {

using nlohmann::json;

std::string str(uint64_t v) { return std::to_string(v); }

Result<uint64_t> positive(const json& obj, const char* key, const std::string& where) {
    if (!obj.contains(key) || !obj[key].is_number_integer() || obj[key].get<int64_t>() <= 0)
        return Status::invalid_argument(where + ": '" + key + "' must be a positive integer");
    return obj[key].get<uint64_t>();
}

Result<uint64_t> positive_or(const json& obj, const char* key, uint64_t fallback, const std::string& where) {
    if (!obj.contains(key) || obj[key].is_null()) return fallback;
    return positive(obj, key, where);
}

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t fnv1a(std::string_view s, uint64_t h = 0xcbf29ce484222325ull) {
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
    return h;
}

// Uniform in [0, 1) with 53 random bits.
double uniform01(uint64_t& state) { return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53; }

}  // namespace

Result<M1Dims> m1_dims(const json& config, const M1Options& options) {
    if (!config.is_object()) return Status::invalid_argument("config.json: not a JSON object");
    const std::string where = "config.json";
    M1Dims d;
    STRATA_TRY(d.hidden, positive(config, "hidden_size", where));
    STRATA_TRY(d.heads, positive(config, "num_attention_heads", where));
    STRATA_TRY(d.kv_heads, positive(config, "num_key_value_heads", where));
    STRATA_TRY(d.head_dim, positive_or(config, "head_dim", d.hidden / d.heads, where));
    if (options.expand == 0) return Status::invalid_argument("--expand must be a positive integer");
    if (options.d_conv == 0) return Status::invalid_argument("--d-conv must be a positive integer");
    d.expand = options.expand;
    d.d_conv = options.d_conv;
    d.d_inner = d.expand * d.hidden;
    if (d.d_inner != d.heads * d.head_dim)
        return Status::invalid_argument(
            "expand*hidden = " + str(d.expand) + "*" + str(d.hidden) + " = " + str(d.d_inner) +
            " must equal num_attention_heads*head_dim = " + str(d.heads) + "*" + str(d.head_dim) + " = " +
            str(d.heads * d.head_dim) + ": M1 copies q_proj into the C rows of in_proj, which are d_inner rows" +
            ((d.heads * d.head_dim) % d.hidden == 0 ? " (use --expand " + str(d.heads * d.head_dim / d.hidden) + ")"
                                                      : ""));
    d.d_state = options.d_state == 0 ? d.head_dim : options.d_state;
    if (d.d_state != d.head_dim)
        return Status::invalid_argument("d_state " + str(d.d_state) + " must equal head_dim " + str(d.head_dim) +
                                        ": M1's Mamba2 sets headdim := d_state and nheads := ngroups = heads, so C "
                                        "heads are q_proj heads and d_inner = heads*d_state");
    if (d.heads % d.kv_heads != 0)
        return Status::invalid_argument("num_attention_heads " + str(d.heads) + " is not a multiple of "
                                        "num_key_value_heads " + str(d.kv_heads) +
                                        ": M1 repeats each x/B group over heads/kv_heads heads");
    d.d_xb = d.kv_heads * d.head_dim;
    return d;
}

Result<M1Dims> m1_dims_from_hybrid_config(const json& config) {
    if (!config.is_object() || !config.contains("mamba_config") || !config["mamba_config"].is_object())
        return Status::invalid_argument("not an M1 hybrid: no mamba_config.json beside config.json");
    const json& mc = config["mamba_config"];
    const std::string where = "mamba_config.json";
    const json ssm = mc.contains("ssm_cfg") && mc["ssm_cfg"].is_object() ? mc["ssm_cfg"] : json::object();
    M1Dims d;
    STRATA_TRY(d.hidden, positive(mc, "d_model", where));
    STRATA_TRY(d.expand, positive_or(ssm, "expand", 2, where + " ssm_cfg"));
    STRATA_TRY(d.d_inner, positive_or(mc, "d_inner", d.expand * d.hidden, where));
    STRATA_TRY(d.d_xb, positive(mc, "d_xb", where));
    STRATA_TRY(uint64_t ngroups, positive(ssm, "ngroups", where + " ssm_cfg"));
    if (d.d_inner % ngroups != 0)
        return Status::invalid_argument(where + ": ssm_cfg.ngroups " + str(ngroups) + " does not divide d_inner " +
                                        str(d.d_inner));
    STRATA_TRY(d.d_state, positive_or(ssm, "d_state", 128, where + " ssm_cfg"));
    STRATA_TRY(d.d_conv, positive_or(ssm, "d_conv", 4, where + " ssm_cfg"));
    // M1's Mamba2 asserts d_inner == ngroups * d_state (hybrid_mamba_layer.py).
    if (d.d_inner != ngroups * d.d_state)
        return Status::invalid_argument(where + ": d_inner " + str(d.d_inner) + " != ssm_cfg.ngroups " + str(ngroups) +
                                        " * d_state " + str(d.d_state) + " (M1's Mamba2 asserts equality)");
    d.heads = ngroups;
    d.head_dim = d.d_state;
    if (d.d_xb % d.head_dim != 0 || d.d_inner % d.d_xb != 0)
        return Status::invalid_argument(where + ": d_xb " + str(d.d_xb) + " must be a multiple of head_dim " +
                                        str(d.head_dim) + " dividing d_inner " + str(d.d_inner));
    d.kv_heads = d.d_xb / d.head_dim;
    return d;
}

const char* m1_fresh_name(M1Fresh part) {
    switch (part) {
        case M1Fresh::InProjZ: return "in_proj.z";
        case M1Fresh::InProjDt: return "in_proj.dt";
        case M1Fresh::ConvWeight: return "conv1d.weight";
        case M1Fresh::ConvBias: return "conv1d.bias";
        case M1Fresh::ALog: return "A_log";
        case M1Fresh::DtBias: return "dt_bias";
        case M1Fresh::D: return "D";
        case M1Fresh::NormWeight: return "norm.weight";
    }
    return "?";
}

double m1_uniform_bound(M1Fresh part, const M1Dims& dims) {
    switch (part) {
        // kaiming_uniform_(a=√5): gain √(2/6), bound gain·√(3/fan_in) = 1/√fan_in.
        case M1Fresh::InProjZ:
        case M1Fresh::InProjDt: return 1.0 / std::sqrt(static_cast<double>(dims.hidden));
        // Depthwise Conv1d: fan_in = in_channels/groups * kernel = d_conv; the bias uses the same bound.
        case M1Fresh::ConvWeight:
        case M1Fresh::ConvBias: return 1.0 / std::sqrt(static_cast<double>(dims.d_conv));
        default: return 0.0;
    }
}

void m1_fill(M1Fresh part, uint64_t seed, std::string_view name, const M1Dims& dims, std::span<float> out) {
    uint64_t state = fnv1a(m1_fresh_name(part), fnv1a(name) ^ seed);
    switch (part) {
        case M1Fresh::InProjZ:
        case M1Fresh::InProjDt:
        case M1Fresh::ConvWeight:
        case M1Fresh::ConvBias: {
            const double b = m1_uniform_bound(part, dims);
            for (float& v : out) v = static_cast<float>(-b + 2.0 * b * uniform01(state));
            break;
        }
        case M1Fresh::ALog:
            for (float& v : out) v = static_cast<float>(std::log(kM1ALow + (kM1AHigh - kM1ALow) * uniform01(state)));
            break;
        case M1Fresh::DtBias: {
            const double lo = std::log(kM1DtMin), hi = std::log(kM1DtMax);
            for (float& v : out) {
                const double dt = std::max(std::exp(lo + (hi - lo) * uniform01(state)), kM1DtFloor);
                v = static_cast<float>(dt + std::log(-std::expm1(-dt)));  // inverse softplus
            }
            break;
        }
        case M1Fresh::D:
        case M1Fresh::NormWeight:
            for (float& v : out) v = 1.0f;
            break;
    }
}

}  // namespace strata
