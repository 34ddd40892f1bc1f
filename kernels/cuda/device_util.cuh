// Internal device helpers: typed loads and stores through the scalar conversions of
// scalar_types.h (the same functions the CPU runs, so casts agree exactly), block
// reductions, and small math shared by the op files.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "strata/kernels/kstatus.h"
#include "strata/kernels/scalar_types.h"

namespace strata::kernels::cuda {

// Element i of a float-typed array as f32 (uniform branch on the type).
__device__ inline float d_load(const void* p, ScalarType t, size_t i) {
    switch (t) {
        case ScalarType::F32:
            return static_cast<const float*>(p)[i];
        case ScalarType::F16:
            return f16_to_float(static_cast<const uint16_t*>(p)[i]);
        case ScalarType::BF16:
            return bf16_to_float(static_cast<const uint16_t*>(p)[i]);
        case ScalarType::F8E4M3:
            return minifloat_to_float(static_cast<const uint8_t*>(p)[i], 4, 3, 7, true);
        case ScalarType::F8E5M2:
            return minifloat_to_float(static_cast<const uint8_t*>(p)[i], 5, 2, 15, false);
        default:
            return 0.0f;
    }
}
__device__ inline void d_store(void* p, ScalarType t, size_t i, float v) {
    switch (t) {
        case ScalarType::F32:
            static_cast<float*>(p)[i] = v;
            break;
        case ScalarType::F16:
            static_cast<uint16_t*>(p)[i] = float_to_f16(v);
            break;
        case ScalarType::BF16:
            static_cast<uint16_t*>(p)[i] = float_to_bf16(v);
            break;
        case ScalarType::F8E4M3:
            static_cast<uint8_t*>(p)[i] = float_to_minifloat(v, 4, 3, 7, true);
            break;
        case ScalarType::F8E5M2:
            static_cast<uint8_t*>(p)[i] = float_to_minifloat(v, 5, 2, 15, false);
            break;
        default:
            break;
    }
}

__device__ inline float d_silu(float v) { return v / (1.0f + expf(-v)); }
__device__ inline float d_softplus(float v) { return v > 20.0f ? v : log1pf(expf(v)); }

// Block-wide reductions; every thread gets the result. blockDim.x must be a multiple
// of 32 and at most 1024; `sh` needs 32 elements of T.
template <class T, class Op>
__device__ inline T block_reduce(T v, T* sh, Op op) {
    for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    __syncthreads();  // sh may still be read from a previous call
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    v = sh[0];
    for (int w = 1; w < warps; ++w) v = op(v, sh[w]);
    return v;
}
struct SumOp {
    template <class T>
    __device__ T operator()(T a, T b) const {
        return a + b;
    }
};
struct MaxOp {
    __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct MinOp {
    __device__ float operator()(float a, float b) const { return fminf(a, b); }
};

}  // namespace strata::kernels::cuda
