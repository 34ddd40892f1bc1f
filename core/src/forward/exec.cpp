// Exec: Backend ops on host activations (see forward_internal.h for why they live there).
#include "forward/forward_internal.h"
#include "strata/kernels/bulk_convert.h"

namespace strata::fwd {

using kernels::Op;
using kernels::ScalarType;

namespace {

// Device copies of one op's host arguments. On the CPU backend it hands out the host
// pointers themselves; elsewhere it uploads inputs and downloads outputs in finish().
class Staging {
public:
    Staging(kernels::Backend& be, bool direct) : be_(be), direct_(direct) {}

    template <class T>
    Result<const T*> in(std::span<const T> host) {
        if (direct_) return host.data();
        STRATA_TRY(kernels::Buffer * b, alloc(host.size_bytes()));
        STRATA_RETURN_IF_ERROR(from_kstatus(be_.upload(*b, host.data(), host.size_bytes()), "upload"));
        return static_cast<const T*>(b->data());
    }
    template <class T>
    Result<T*> out(std::span<T> host) {
        if (direct_) return host.data();
        STRATA_TRY(kernels::Buffer * b, alloc(host.size_bytes()));
        outs_.push_back({b, host.data(), host.size_bytes()});
        return static_cast<T*>(b->data());
    }
    // In place: uploaded, then downloaded back.
    template <class T>
    Result<T*> inout(std::span<T> host) {
        if (direct_) return host.data();
        STRATA_TRY(const T* p, in(std::span<const T>(host)));
        outs_.push_back({bufs_.back().get(), host.data(), host.size_bytes()});
        return const_cast<T*>(p);
    }
    Status finish() {
        if (direct_) return Status::ok();
        for (const auto& o : outs_)
            STRATA_RETURN_IF_ERROR(from_kstatus(be_.download(*o.buf, o.host, o.bytes), "download"));
        return from_kstatus(be_.synchronize(), "synchronize");
    }

private:
    struct Out {
        kernels::Buffer* buf;
        void* host;
        size_t bytes;
    };
    Result<kernels::Buffer*> alloc(size_t bytes) {
        auto b = be_.alloc(bytes);
        if (!b) return Status::io("forward: out of " + std::string(be_.name()) + " memory for activations");
        bufs_.push_back(std::move(b));
        return bufs_.back().get();
    }
    kernels::Backend& be_;
    bool direct_;
    std::vector<kernels::BufferPtr> bufs_;
    std::vector<Out> outs_;
};

template <class T>
std::span<const T> cspan(const std::vector<T>& v) {
    return {v.data(), v.size()};
}

}  // namespace

Status check_backend(const kernels::Backend& be, const ModelSpec& spec) {
    std::vector<Op> ops{Op::Matmul, Op::RmsNorm, Op::Rope, Op::Attention, Op::SiluGate};
    if (spec.has_mlp(MlpKind::MoE)) ops.push_back(Op::TopK);
    if (spec.has_mixer(MixerKind::Mamba2)) {
        ops.push_back(Op::Conv1d);
        ops.push_back(Op::SsmScan);
        ops.push_back(Op::GatedRmsNorm);
    }
    if (spec.has_mixer(MixerKind::GatedDeltaNet)) {
        ops.push_back(Op::Conv1d);
        ops.push_back(Op::GatedDelta);
        ops.push_back(Op::GatedRmsNorm);
    }
    for (Op op : ops)
        if (!be.supports(op))
            return Status::unsupported("backend '" + std::string(be.name()) + "' does not support " +
                                       std::string(kernels::op_name(op)) + " yet; use --device cpu");
    return Status::ok();
}

Status Exec::matmul(std::span<const float> x, int64_t m, int64_t k, const Weight& w, std::vector<float>& y) {
    if (w.shape().size() != 2 || static_cast<int64_t>(w.dim(1)) != k || x.size() != static_cast<size_t>(m * k))
        return Status::internal("forward: matmul shapes disagree");
    const auto n = static_cast<int64_t>(w.dim(0));
    y.assign(static_cast<size_t>(m * n), 0.0f);
    Staging st(be_, direct_);
    kernels::MatmulArgs a;
    std::vector<uint16_t> xb;
    if (bf16_) {
        // A bf16 run rounds every activation that enters a matmul.
        xb.resize(x.size());
        kernels::f32_to_bf16(x.data(), xb.data(), x.size());
        STRATA_TRY(a.a, st.in(cspan(xb)));
        a.a_type = ScalarType::BF16;
    } else {
        STRATA_TRY(a.a, st.in(x));
    }
    a.b = w.data();
    a.b_type = w.type();
    STRATA_TRY(a.c, st.out(std::span<float>(y)));
    a.m = m;
    a.n = n;
    a.k = k;
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.matmul(a), "matmul"));
    return st.finish();
}

Status Exec::rms_norm(std::span<const float> x, int64_t rows, int64_t dim, const Weight& gamma, float eps,
                      std::vector<float>& y, bool zero_centred) {
    y.resize(x.size());
    Staging st(be_, direct_);
    kernels::RmsNormArgs a;
    STRATA_TRY(a.x, st.in(x));
    a.gamma = gamma.f32();
    STRATA_TRY(a.y, st.out(std::span<float>(y)));
    a.rows = rows;
    a.dim = dim;
    a.eps = eps;
    a.zero_centred = zero_centred;
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.rms_norm(a), "rms_norm"));
    return st.finish();
}

Status Exec::rope(std::vector<float>& x, std::span<const int32_t> positions, int64_t heads, int64_t head_dim,
                  float theta, float partial) {
    Staging st(be_, direct_);
    kernels::RopeArgs a;
    STRATA_TRY(a.x, st.inout(std::span<float>(x)));
    STRATA_TRY(a.positions, st.in(positions));
    a.tokens = static_cast<int64_t>(positions.size());
    a.heads = heads;
    a.head_dim = head_dim;
    a.theta = theta;
    a.partial_rotary_factor = partial;
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.rope(a), "rope"));
    return st.finish();
}

Status Exec::attention(std::span<const float> q, std::span<const float> k, std::span<const float> v, int64_t len,
                       int64_t q_heads, int64_t kv_heads, int64_t head_dim, std::vector<float>& out) {
    out.resize(static_cast<size_t>(len * q_heads * head_dim));
    Staging st(be_, direct_);
    kernels::AttentionArgs a;
    STRATA_TRY(a.q, st.in(q));
    STRATA_TRY(a.k, st.in(k));
    STRATA_TRY(a.v, st.in(v));
    STRATA_TRY(a.out, st.out(std::span<float>(out)));
    a.q_len = a.kv_len = len;
    a.q_heads = q_heads;
    a.kv_heads = kv_heads;
    a.head_dim = a.v_dim = head_dim;
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.attention(a), "attention"));
    return st.finish();
}

Status Exec::silu_gate(std::span<const float> a_in, std::span<const float> b_in, std::vector<float>& out) {
    out.resize(a_in.size());
    Staging st(be_, direct_);
    kernels::SiluGateArgs a;
    STRATA_TRY(a.a, st.in(a_in));
    STRATA_TRY(a.b, st.in(b_in));
    STRATA_TRY(a.out, st.out(std::span<float>(out)));
    a.n = static_cast<int64_t>(a_in.size());
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.silu_gate(a), "silu_gate"));
    return st.finish();
}

Status Exec::topk(std::span<const float> logits, int64_t tokens, int64_t experts, int64_t k, bool renormalize,
                  std::vector<int32_t>& idx, std::vector<float>& weights) {
    idx.resize(static_cast<size_t>(tokens * k));
    weights.resize(static_cast<size_t>(tokens * k));
    Staging st(be_, direct_);
    kernels::TopKArgs a;
    STRATA_TRY(a.logits, st.in(logits));
    STRATA_TRY(a.indices, st.out(std::span<int32_t>(idx)));
    STRATA_TRY(a.weights, st.out(std::span<float>(weights)));
    a.tokens = tokens;
    a.experts = experts;
    a.k = k;
    a.renormalize = renormalize;
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.topk_routing(a), "topk_routing"));
    return st.finish();
}

Status Exec::conv1d(std::span<const float> x, int64_t len, int64_t channels, const Weight& w, const Weight* bias,
                    std::vector<float>& y) {
    y.resize(x.size());
    Staging st(be_, direct_);
    kernels::Conv1dArgs a;
    STRATA_TRY(a.x, st.in(x));
    a.weight = w.f32();
    a.bias = bias ? bias->f32() : nullptr;
    STRATA_TRY(a.y, st.out(std::span<float>(y)));
    a.len = len;
    a.channels = channels;
    a.width = static_cast<int64_t>(w.shape().back());
    a.silu = true;
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.conv1d(a), "conv1d"));
    return st.finish();
}

Status Exec::ssm_scan(const kernels::SsmScanArgs& dims, std::span<const float> x, std::span<const float> dt,
                      std::span<const float> a_neg, std::span<const float> b, std::span<const float> c, const Weight& d,
                      const Weight& dt_bias, std::vector<float>& y) {
    y.resize(x.size());
    Staging st(be_, direct_);
    kernels::SsmScanArgs a = dims;
    STRATA_TRY(a.x, st.in(x));
    STRATA_TRY(a.dt, st.in(dt));
    STRATA_TRY(a.a, st.in(a_neg));
    STRATA_TRY(a.b, st.in(b));
    STRATA_TRY(a.c, st.in(c));
    a.d = d.f32();
    a.dt_bias = dt_bias.f32();
    STRATA_TRY(a.y, st.out(std::span<float>(y)));
    a.state = nullptr;  // prefill from a zero state
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.ssm_scan(a), "ssm_scan"));
    return st.finish();
}

Status Exec::gated_rms_norm(std::span<const float> x, std::span<const float> z, int64_t rows, int64_t dim,
                            int64_t group, const Weight& gamma, float eps, kernels::GateOrder order,
                            std::vector<float>& y) {
    y.resize(x.size());
    Staging st(be_, direct_);
    kernels::GatedRmsNormArgs a;
    STRATA_TRY(a.x, st.in(x));
    STRATA_TRY(a.z, st.in(z));
    a.gamma = gamma.f32();
    STRATA_TRY(a.y, st.out(std::span<float>(y)));
    a.rows = rows;
    a.dim = dim;
    a.group_size = group;
    a.eps = eps;
    a.order = order;
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.gated_rms_norm(a), "gated_rms_norm"));
    return st.finish();
}

Status Exec::gated_delta(const kernels::GatedDeltaArgs& dims, std::span<const float> q, std::span<const float> k,
                         std::span<const float> v, std::span<const float> g, std::span<const float> beta,
                         std::vector<float>& out) {
    out.resize(v.size());
    Staging st(be_, direct_);
    kernels::GatedDeltaArgs a = dims;
    STRATA_TRY(a.q, st.in(q));
    STRATA_TRY(a.k, st.in(k));
    STRATA_TRY(a.v, st.in(v));
    STRATA_TRY(a.g, st.in(g));
    STRATA_TRY(a.beta, st.in(beta));
    STRATA_TRY(a.out, st.out(std::span<float>(out)));
    a.state = nullptr;  // prefill from a zero state
    STRATA_RETURN_IF_ERROR(from_kstatus(be_.gated_delta(a), "gated_delta"));
    return st.finish();
}

}  // namespace strata::fwd
