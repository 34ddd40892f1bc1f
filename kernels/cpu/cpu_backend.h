// Internal: the CPU backend, the reference every other backend is checked against.
// Each op family lives in its own file (cast.cpp, copy.cpp, stats.cpp, matmul.cpp,
// norm.cpp, attention.cpp, activation.cpp, mamba.cpp, gated_delta.cpp) as a free
// function below.
#pragma once

#include <cmath>

#include "strata/kernels/backend.h"

namespace strata::kernels::cpu {

KStatus cast(const void* src, ScalarType src_type, void* dst, ScalarType dst_type, size_t n);
KStatus strided_copy(const void* src, void* dst, size_t elem_size, const StridedLayout& layout);
KStatus stats(const void* src, ScalarType type, size_t n, const StatsOptions& options, TensorStats* out);
KStatus matmul(const MatmulArgs& args);
KStatus rms_norm(const RmsNormArgs& args);
KStatus gated_rms_norm(const GatedRmsNormArgs& args);
KStatus rope(const RopeArgs& args);
KStatus attention(const AttentionArgs& args);
KStatus softmax(const SoftmaxArgs& args);
KStatus silu_gate(const SiluGateArgs& args);
KStatus topk_routing(const TopKArgs& args);
KStatus conv1d(const Conv1dArgs& args);
KStatus ssm_scan(const SsmScanArgs& args);
KStatus gated_delta(const GatedDeltaArgs& args);

// n elements of type t (a float type) to f32; used by stats and matmul.
void decode_to_f32(const void* src, ScalarType t, float* out, size_t n);

// Shared helpers.
inline float silu(float v) { return v / (1.0f + std::exp(-v)); }
inline float softplus(float v) { return v > 20.0f ? v : std::log1p(std::exp(v)); }

}  // namespace strata::kernels::cpu
