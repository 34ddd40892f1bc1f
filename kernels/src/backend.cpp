// Backend registry, op names and the argument checks every backend shares.
#include "strata/kernels/backend.h"

#include <string>

#include "src/cuda_plugin.h"

namespace strata::kernels {

namespace {
std::string dims(const char* what, int64_t v) { return std::string(what) + " = " + std::to_string(v); }
}  // namespace

std::string_view op_name(Op op) {
    static constexpr std::string_view kNames[kOpCount] = {
        "cast",    "strided_copy", "stats",        "matmul", "rms_norm", "rope",           "attention",
        "softmax", "silu_gate",    "topk_routing", "conv1d", "ssm_scan", "gated_rms_norm", "gated_delta",
    };
    const int i = static_cast<int>(op);
    return i >= 0 && i < kOpCount ? kNames[i] : "?";
}

Backend* backend_by_name(std::string_view name, std::string* why) {
    if (name == "cpu") return &cpu_backend();
    if (name == "cuda") {
#ifdef STRATA_HAVE_CUDA
        return load_cuda_plugin_backend(why);
#else
        if (why) *why = "this build has no CUDA backend (nvcc was not found or STRATA_CUDA=OFF)";
        return nullptr;
#endif
    }
    if (why) *why = "unknown backend '" + std::string(name) + "' (expected cpu or cuda)";
    return nullptr;
}

std::vector<std::string> available_backends() {
    std::vector<std::string> out{"cpu"};
    if (backend_by_name("cuda")) out.emplace_back("cuda");
    return out;
}

bool cuda_compiled_in() {
#ifdef STRATA_HAVE_CUDA
    return true;
#else
    return false;
#endif
}

std::string describe_cuda_backend() {
    if (!cuda_compiled_in()) return "not built (nvcc was not found or STRATA_CUDA=OFF)";
    std::string why;
    if (Backend* b = backend_by_name("cuda", &why))
        return "built (plug-in " + loaded_cuda_plugin_path() + "); usable here: " + b->description();
    return "built (plug-in); not usable here: " + why;
}

StridedLayout gather_layout(const std::vector<int64_t>& shape, const std::vector<int64_t>& src_strides) {
    StridedLayout l;
    l.rank = static_cast<int>(shape.size());
    int64_t dense = 1;
    for (int i = l.rank - 1; i >= 0 && i < kMaxRank; --i) {
        l.shape[i] = shape[static_cast<size_t>(i)];
        l.src_stride[i] = i < static_cast<int>(src_strides.size()) ? src_strides[static_cast<size_t>(i)] : 0;
        l.dst_stride[i] = dense;
        dense *= shape[static_cast<size_t>(i)];
    }
    return l;
}

KStatus validate(const StridedLayout& l, size_t elem_size) {
    if (l.rank < 0 || l.rank > kMaxRank) return invalid_argument(dims("strided_copy: rank", l.rank) + " (max 8)");
    if (elem_size == 0 || elem_size > 16) return invalid_argument("strided_copy: element size must be 1..16 bytes");
    for (int i = 0; i < l.rank; ++i)
        if (l.shape[i] < 0) return invalid_argument("strided_copy: negative extent in dim " + std::to_string(i));
    return {};
}

KStatus validate_cast(ScalarType src, ScalarType dst) {
    if (!is_float_type(src) || !is_float_type(dst))
        return unsupported("cast: " + std::string(scalar_name(src)) + " -> " + std::string(scalar_name(dst)) +
                           " (float types only)");
    return {};
}

KStatus validate(const MatmulArgs& a) {
    auto ok_type = [](ScalarType t) { return t == ScalarType::F32 || t == ScalarType::BF16; };
    if (!ok_type(a.a_type) || !ok_type(a.b_type))
        return unsupported("matmul: inputs must be f32 or bf16 (got " + std::string(scalar_name(a.a_type)) + ", " +
                           std::string(scalar_name(a.b_type)) + ")");
    if (a.m < 0 || a.n < 0 || a.k < 0) return invalid_argument("matmul: negative dimension");
    if ((a.m * a.n > 0 && !a.c) || (a.m * a.k > 0 && !a.a) || (a.n * a.k > 0 && !a.b))
        return invalid_argument("matmul: null pointer");
    return {};
}

KStatus validate(const RmsNormArgs& a) {
    if (a.rows < 0 || a.dim <= 0) return invalid_argument("rms_norm: " + dims("dim", a.dim) + " must be positive");
    if (!a.x || !a.y || !a.gamma) return invalid_argument("rms_norm: null pointer");
    return {};
}

KStatus validate(const RopeArgs& a) {
    if (a.tokens < 0 || a.heads <= 0 || a.head_dim <= 0 || a.head_dim % 2)
        return invalid_argument("rope: head_dim must be positive and even (" + dims("head_dim", a.head_dim) + ")");
    if (!(a.partial_rotary_factor > 0.0f && a.partial_rotary_factor <= 1.0f))
        return invalid_argument("rope: partial_rotary_factor must be in (0, 1]");
    if (!(a.theta > 0.0f)) return invalid_argument("rope: theta must be positive");
    if (a.tokens > 0 && (!a.x || !a.positions)) return invalid_argument("rope: null pointer");
    return {};
}

KStatus validate(const AttentionArgs& a) {
    if (a.q_len < 0 || a.kv_len < a.q_len)
        return invalid_argument("attention: kv_len must be >= q_len (" + dims("q_len", a.q_len) + ", " +
                                dims("kv_len", a.kv_len) + ")");
    if (a.q_heads <= 0 || a.kv_heads <= 0 || a.q_heads % a.kv_heads)
        return invalid_argument("attention: q_heads must be a multiple of kv_heads (" + dims("q_heads", a.q_heads) +
                                ", " + dims("kv_heads", a.kv_heads) + ")");
    if (a.head_dim <= 0 || a.v_dim <= 0) return invalid_argument("attention: head dims must be positive");
    if (a.q_len > 0 && (!a.q || !a.k || !a.v || !a.out)) return invalid_argument("attention: null pointer");
    return {};
}

KStatus validate(const SoftmaxArgs& a) {
    if (a.rows < 0 || a.cols <= 0) return invalid_argument("softmax: " + dims("cols", a.cols) + " must be positive");
    if (a.rows > 0 && (!a.x || !a.y)) return invalid_argument("softmax: null pointer");
    return {};
}

KStatus validate(const SiluGateArgs& a) {
    if (a.n < 0) return invalid_argument("silu_gate: negative n");
    if (a.n > 0 && (!a.a || !a.b || !a.out)) return invalid_argument("silu_gate: null pointer");
    return {};
}

KStatus validate(const TopKArgs& a) {
    if (a.tokens < 0 || a.experts <= 0 || a.k <= 0 || a.k > a.experts)
        return invalid_argument("topk_routing: need 0 < k <= experts (" + dims("k", a.k) + ", " +
                                dims("experts", a.experts) + ")");
    if (a.tokens > 0 && (!a.logits || !a.indices || !a.weights)) return invalid_argument("topk_routing: null pointer");
    return {};
}

KStatus validate(const Conv1dArgs& a) {
    if (a.len < 0 || a.channels <= 0 || a.width <= 0)
        return invalid_argument("conv1d: channels and width must be positive");
    if (a.len > 0 && (!a.x || !a.weight || !a.y)) return invalid_argument("conv1d: null pointer");
    return {};
}

KStatus validate(const SsmScanArgs& a) {
    if (a.len < 0 || a.heads <= 0 || a.head_dim <= 0 || a.state_dim <= 0 || a.groups <= 0 || a.heads % a.groups)
        return invalid_argument("ssm_scan: heads must be a positive multiple of groups (" + dims("heads", a.heads) +
                                ", " + dims("groups", a.groups) + ")");
    if (a.len > 0 && (!a.x || !a.dt || !a.a || !a.b || !a.c || !a.y)) return invalid_argument("ssm_scan: null pointer");
    return {};
}

KStatus validate(const GatedRmsNormArgs& a) {
    if (a.rows < 0 || a.dim <= 0) return invalid_argument("gated_rms_norm: dim must be positive");
    const int64_t g = a.group_size == 0 ? a.dim : a.group_size;
    if (g <= 0 || a.dim % g)
        return invalid_argument("gated_rms_norm: " + dims("group_size", a.group_size) + " must divide " +
                                dims("dim", a.dim));
    if (a.rows > 0 && (!a.x || !a.z || !a.gamma || !a.y)) return invalid_argument("gated_rms_norm: null pointer");
    return {};
}

KStatus validate(const GatedDeltaArgs& a) {
    if (a.len < 0 || a.k_heads <= 0 || a.v_heads <= 0 || a.v_heads % a.k_heads)
        return invalid_argument("gated_delta: v_heads must be a positive multiple of k_heads (" +
                                dims("k_heads", a.k_heads) + ", " + dims("v_heads", a.v_heads) + ")");
    if (a.k_dim <= 0 || a.v_dim <= 0) return invalid_argument("gated_delta: head dims must be positive");
    if (!(a.scale >= 0.0f)) return invalid_argument("gated_delta: scale must be >= 0 (0 = 1/sqrt(k_dim))");
    if (a.len > 0 && (!a.q || !a.k || !a.v || !a.g || !a.beta || !a.out))
        return invalid_argument("gated_delta: null pointer");
    return {};
}

}  // namespace strata::kernels
