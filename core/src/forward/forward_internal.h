// Internals of the reference forward pass: where weights come from (WeightSource over a
// CanonicalView, or the stored HF names for models the mapping tables do not cover yet),
// weights held on the backend (Weight, counted so the one-layer residency is measurable),
// and Exec, which runs Backend ops on host-resident activations. Activations stay on the
// host because they are small next to one layer's weights (T x hidden floats); on the CPU
// backend ops read them in place, on other backends Exec stages them per op.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "strata/formats/checkpoint.h"
#include "strata/forward/forward.h"
#include "strata/kernel_status.h"
#include "strata/kernels/backend.h"
#include "strata/mapping/canonical_view.h"
#include "strata/model/model_spec.h"
#include "strata/status.h"

namespace strata::fwd {

// to_status (kernel_status.h) with "forward: <op>" as the context.
Status from_kstatus(const kernels::KStatus& s, const char* op);

// Bytes of weights currently on the backend, and the most ever at once.
struct Residency {
    uint64_t now = 0;
    uint64_t peak = 0;
    uint64_t read = 0;
};

// One weight on the backend: f32, or bf16 for matmul weights in BF16 mode.
class Weight {
public:
    Weight() = default;
    Weight(kernels::BufferPtr buf, kernels::ScalarType type, Shape shape, Residency* res);
    Weight(Weight&& o) noexcept;
    Weight& operator=(Weight&& o) noexcept;
    Weight(const Weight&) = delete;
    Weight& operator=(const Weight&) = delete;
    ~Weight();

    const void* data() const { return buf_ ? buf_->data() : nullptr; }
    const float* f32() const { return static_cast<const float*>(data()); }
    kernels::ScalarType type() const { return type_; }
    const Shape& shape() const { return shape_; }
    uint64_t dim(size_t i) const { return shape_.at(i); }

private:
    void release();
    kernels::BufferPtr buf_;
    kernels::ScalarType type_ = kernels::ScalarType::F32;
    Shape shape_;
    Residency* res_ = nullptr;
};

// Reads canonical (HF per-expert) tensors, whatever the stored layout.
class WeightSource {
public:
    // A CanonicalView when one can be built; for an HF-layout M1 hybrid the view rejects,
    // the stored HF names are read directly.
    static Result<WeightSource> open(const Checkpoint& ckpt, const ModelSpec& spec, bool allow_unmapped);

    std::string layout_name() const;
    bool has(const std::string& name) const;
    // As f32 (or bf16 when `bf16`) on `be`, checked against `shape` (trailing 1-dims of
    // the stored tensor, such as conv1d's [C, 1, W], are accepted for [C, W]).
    Result<Weight> load(const std::string& name, const Shape& shape, kernels::Backend& be, bool bf16,
                        Residency& res) const;
    // Host f32 copy (embedding rows are gathered from it and it is dropped at once).
    Result<std::vector<float>> read_f32(const std::string& name, const Shape& shape, Residency& res) const;

private:
    // The canonical tensor's stored bytes, after checking it exists with `shape`; *dtype set.
    Result<std::vector<std::byte>> read_bytes(const std::string& name, const Shape& shape, DType* dtype,
                                              Residency& res) const;
    const Checkpoint* ckpt_ = nullptr;
    std::optional<CanonicalView> view_;
};

// Backend ops on host vectors. Each call either runs in place (cpu) or uploads its
// inputs, runs, and downloads its outputs (any other backend).
class Exec {
public:
    Exec(kernels::Backend& be, bool bf16) : be_(be), direct_(be.name() == "cpu"), bf16_(bf16) {}
    kernels::Backend& backend() { return be_; }
    bool bf16() const { return bf16_; }

    // y[m, n] = x[m, k] . W[n, k]^T
    Status matmul(std::span<const float> x, int64_t m, int64_t k, const Weight& w, std::vector<float>& y);
    // zero_centred: the weight is stored as w - 1 and applied as (1 + w) (Qwen3-Next family).
    Status rms_norm(std::span<const float> x, int64_t rows, int64_t dim, const Weight& gamma, float eps,
                    std::vector<float>& y, bool zero_centred = false);
    Status rope(std::vector<float>& x, std::span<const int32_t> positions, int64_t heads, int64_t head_dim, float theta,
                float partial);
    Status attention(std::span<const float> q, std::span<const float> k, std::span<const float> v, int64_t len,
                     int64_t q_heads, int64_t kv_heads, int64_t head_dim, std::vector<float>& out);
    Status silu_gate(std::span<const float> a, std::span<const float> b, std::vector<float>& out);
    Status topk(std::span<const float> logits, int64_t tokens, int64_t experts, int64_t k, bool renormalize,
                std::vector<int32_t>& idx, std::vector<float>& weights);
    Status conv1d(std::span<const float> x, int64_t len, int64_t channels, const Weight& w, const Weight* bias,
                  std::vector<float>& y);
    Status ssm_scan(const kernels::SsmScanArgs& shape_only, std::span<const float> x, std::span<const float> dt,
                    std::span<const float> a, std::span<const float> b, std::span<const float> c, const Weight& d,
                    const Weight& dt_bias, std::vector<float>& y);
    Status gated_rms_norm(std::span<const float> x, std::span<const float> z, int64_t rows, int64_t dim, int64_t group,
                          const Weight& gamma, float eps, kernels::GateOrder order, std::vector<float>& y);
    // Gated delta rule from a zero state; q/k [len, k_heads, k_dim] are l2-normalised by the op.
    Status gated_delta(const kernels::GatedDeltaArgs& shape_only, std::span<const float> q, std::span<const float> k,
                       std::span<const float> v, std::span<const float> g, std::span<const float> beta,
                       std::vector<float>& out);

private:
    kernels::Backend& be_;
    bool direct_;
    bool bf16_;
};

// The ops a forward of `spec` needs; Unsupported naming the first one `be` lacks.
Status check_backend(const kernels::Backend& be, const ModelSpec& spec);

}  // namespace strata::fwd
