// C = A · B^T on the GPU with cuBLAS (cublasGemmEx, CUBLAS_COMPUTE_32F: f32 accumulation,
// no TF32). Row-major C[m,n] is column-major C^T[n,m] = B · A^T, so B goes first with
// op T. cuBLAS wants equal input types: a mixed f32/bf16 pair widens the bf16 side to
// f32 in scratch (exact).
#include "cuda/cuda_common.h"
#include "cuda/device_util.cuh"

namespace strata::kernels::cuda {

namespace {
__global__ void widen_bf16(const uint16_t* src, float* dst, size_t n) {
    for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x)
        dst[i] = bf16_to_float(src[i]);
}
}  // namespace

KStatus matmul(Context& cx, const MatmulArgs& p) {
    STRATA_KTRY(validate(p));
    if (p.m == 0 || p.n == 0) return {};
    if (p.m > INT32_MAX || p.n > INT32_MAX || p.k > INT32_MAX)
        return unsupported("matmul: dimension over 2^31 on cuda");
    if (p.k == 0) return cuda_error(cudaMemsetAsync(p.c, 0, static_cast<size_t>(p.m * p.n) * 4, cx.stream), "matmul");
    const void* a = p.a;
    const void* b = p.b;
    ScalarType type = p.a_type;
    if (p.a_type != p.b_type) {
        const bool widen_a = p.a_type == ScalarType::BF16;
        const size_t count = static_cast<size_t>(widen_a ? p.m * p.k : p.n * p.k);
        STRATA_KTRY(cx.ensure_scratch(count * 4));
        widen_bf16<<<blocks_for(count, 256), 256, 0, cx.stream>>>(static_cast<const uint16_t*>(widen_a ? p.a : p.b),
                                                                  static_cast<float*>(cx.scratch), count);
        STRATA_KTRY(launch_check("matmul widen"));
        (widen_a ? a : b) = cx.scratch;
        type = ScalarType::F32;
    }
    const cudaDataType_t dt = type == ScalarType::BF16 ? CUDA_R_16BF : CUDA_R_32F;
    const float alpha = 1.0f, beta = 0.0f;
    const cublasStatus_t st =
        cublasGemmEx(cx.blas, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(p.n), static_cast<int>(p.m),
                     static_cast<int>(p.k), &alpha, b, dt, static_cast<int>(p.k), a, dt, static_cast<int>(p.k), &beta,
                     p.c, CUDA_R_32F, static_cast<int>(p.n), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (st != CUBLAS_STATUS_SUCCESS)
        return internal_error("cuda: cublasGemmEx failed (" + std::string(cublasGetStatusString(st)) + ")");
    return {};
}

}  // namespace strata::kernels::cuda
