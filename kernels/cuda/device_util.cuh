// Internal device helpers: the scalar conversions of scalar_types.h ported bit for bit
// to device code (same algorithms, so casts agree with the CPU exactly), block
// reductions, and small math shared by the op files.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "strata/kernels/kstatus.h"

namespace strata::kernels::cuda {

__device__ inline float d_bf16_to_float(uint16_t b) { return __uint_as_float(static_cast<uint32_t>(b) << 16); }
__device__ inline uint16_t d_float_to_bf16(float f) {
    const uint32_t u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
    return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

__device__ inline float d_f16_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        if (mant == 0) return __uint_as_float(sign);
        int e = -1;
        do {
            ++e;
            mant <<= 1;
        } while ((mant & 0x400u) == 0);
        mant &= 0x3ffu;
        return __uint_as_float(sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | (mant << 13));
    }
    if (exp == 31) return __uint_as_float(sign | 0x7f800000u | (mant << 13));
    return __uint_as_float(sign | ((exp + 112u) << 23) | (mant << 13));
}
__device__ inline uint16_t d_float_to_f16(float f) {
    const uint32_t u = __float_as_uint(f);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t abs = u & 0x7fffffffu;
    if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);
    if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
    if (abs < 0x38800000u)
        return static_cast<uint16_t>(sign | static_cast<uint32_t>(rintf(__uint_as_float(abs) * 16777216.0f)));
    const uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
    return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

__device__ inline float d_minifloat_to_float(uint8_t v, int eb, int mb, int bias, bool finite_only) {
    const bool neg = (v >> (eb + mb)) & 1u;
    const uint32_t exp = (v >> mb) & ((1u << eb) - 1u);
    const uint32_t man = v & ((1u << mb) - 1u);
    const uint32_t exp_max = (1u << eb) - 1u;
    float r;
    if (finite_only) {
        if (exp == exp_max && man == (1u << mb) - 1u) return __uint_as_float(0x7fc00000u);
    } else if (exp == exp_max) {
        r = man ? __uint_as_float(0x7fc00000u) : __uint_as_float(0x7f800000u);
        return neg ? -r : r;
    }
    if (exp == 0)
        r = ldexpf(static_cast<float>(man), 1 - bias - mb);
    else
        r = ldexpf(static_cast<float>(man | (1u << mb)), static_cast<int>(exp) - bias - mb);
    return neg ? -r : r;
}

__device__ inline uint8_t d_float_to_minifloat(float f, int eb, int mb, int bias, bool finite_only) {
    const uint8_t sign = signbit(f) ? static_cast<uint8_t>(1u << (eb + mb)) : 0;
    const uint32_t exp_max = (1u << eb) - 1u;
    if (isnan(f)) return static_cast<uint8_t>(sign | (finite_only ? 0x7f : ((exp_max << mb) | 1u)));
    const float a = fabsf(f);
    const int max_exp = finite_only ? static_cast<int>(exp_max) - bias : static_cast<int>(exp_max) - 1 - bias;
    const uint32_t max_man = finite_only ? (1u << mb) - 2u : (1u << mb) - 1u;
    const float max_val = ldexpf(1.0f + static_cast<float>(max_man) / static_cast<float>(1u << mb), max_exp);
    if (isinf(a)) return static_cast<uint8_t>(sign | (exp_max << mb) | (finite_only ? max_man : 0u));
    if (a == 0.0f) return sign;
    int e = 0;
    frexpf(a, &e);
    int unbiased = e - 1;
    const int min_normal = 1 - bias;
    if (unbiased < min_normal) unbiased = min_normal;
    uint32_t mant = static_cast<uint32_t>(rintf(ldexpf(a, mb - unbiased)));
    int biased = unbiased + bias;
    if (mant >= (2u << mb)) {
        mant >>= 1;
        ++biased;
    }
    if (mant < (1u << mb)) biased = 0;
    if (biased > static_cast<int>(exp_max) ||
        ldexpf(static_cast<float>(mant), biased ? biased - bias - mb : 1 - bias - mb) > max_val) {
        if (finite_only) return static_cast<uint8_t>(sign | ((exp_max << mb) | max_man));
        return static_cast<uint8_t>(sign | (exp_max << mb));
    }
    return static_cast<uint8_t>(sign | (static_cast<uint32_t>(biased) << mb) | (mant & ((1u << mb) - 1u)));
}

// Element i of a float-typed array as f32 (uniform branch on the type).
__device__ inline float d_load(const void* p, ScalarType t, size_t i) {
    switch (t) {
        case ScalarType::F32:
            return static_cast<const float*>(p)[i];
        case ScalarType::F16:
            return d_f16_to_float(static_cast<const uint16_t*>(p)[i]);
        case ScalarType::BF16:
            return d_bf16_to_float(static_cast<const uint16_t*>(p)[i]);
        case ScalarType::F8E4M3:
            return d_minifloat_to_float(static_cast<const uint8_t*>(p)[i], 4, 3, 7, true);
        case ScalarType::F8E5M2:
            return d_minifloat_to_float(static_cast<const uint8_t*>(p)[i], 5, 2, 15, false);
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
            static_cast<uint16_t*>(p)[i] = d_float_to_f16(v);
            break;
        case ScalarType::BF16:
            static_cast<uint16_t*>(p)[i] = d_float_to_bf16(v);
            break;
        case ScalarType::F8E4M3:
            static_cast<uint8_t*>(p)[i] = d_float_to_minifloat(v, 4, 3, 7, true);
            break;
        case ScalarType::F8E5M2:
            static_cast<uint8_t*>(p)[i] = d_float_to_minifloat(v, 5, 2, 15, false);
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
