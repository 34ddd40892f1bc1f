// Internal: what the CUDA backend's op files share — the per-backend context (stream,
// cuBLAS handle, grow-only scratch) and the launcher each .cu file defines.
// Included by .cu files (nvcc) and by cuda_backend.cpp (the host compiler).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "strata/kernels/backend.h"

namespace strata::kernels::cuda {

inline KStatus cuda_error(cudaError_t e, const char* what) {
    if (e == cudaSuccess) return {};
    return {e == cudaErrorMemoryAllocation ? KCode::OutOfMemory : KCode::Internal,
            std::string("cuda: ") + what + ": " + cudaGetErrorString(e)};
}
// After a kernel launch: reports a bad configuration or an earlier asynchronous fault.
inline KStatus launch_check(const char* what) { return cuda_error(cudaGetLastError(), what); }

struct Context {
    cudaStream_t stream = nullptr;
    cublasHandle_t blas = nullptr;
    void* scratch = nullptr;
    size_t scratch_size = 0;
    // Grows scratch to at least `bytes` (device memory, reused between ops on the stream).
    KStatus ensure_scratch(size_t bytes);
};

inline unsigned blocks_for(size_t n, unsigned threads, unsigned cap = 65535u * 16u) {
    const size_t b = (n + threads - 1) / threads;
    return static_cast<unsigned>(b < cap ? (b ? b : 1) : cap);
}

KStatus cast(Context& cx, const void* src, ScalarType st, void* dst, ScalarType dt, size_t n);
KStatus strided_copy(Context& cx, const void* src, void* dst, size_t elem_size, const StridedLayout& l);
KStatus stats(Context& cx, const void* src, ScalarType t, size_t n, const StatsOptions& o, TensorStats* out);
KStatus matmul(Context& cx, const MatmulArgs& a);
KStatus rms_norm(Context& cx, const RmsNormArgs& a);
KStatus gated_rms_norm(Context& cx, const GatedRmsNormArgs& a);
KStatus rope(Context& cx, const RopeArgs& a);
KStatus attention(Context& cx, const AttentionArgs& a);
KStatus softmax(Context& cx, const SoftmaxArgs& a);
KStatus silu_gate(Context& cx, const SiluGateArgs& a);
KStatus topk_routing(Context& cx, const TopKArgs& a);
KStatus conv1d(Context& cx, const Conv1dArgs& a);
KStatus ssm_scan(Context& cx, const SsmScanArgs& a);
KStatus gated_delta(Context& cx, const GatedDeltaArgs& a);

}  // namespace strata::kernels::cuda
