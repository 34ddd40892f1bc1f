// Scalar conversions between float and the narrow float formats checkpoints use:
// bfloat16, IEEE half, and the OCP FP8 formats E4M3 (finite-only, "fn") and E5M2.
// Round-to-nearest-even everywhere, NaN preserved. One source for host and device code
// (STRATA_HD under nvcc): the CPU backend, the core and the CUDA kernels all call these,
// so casts agree bit for bit by construction.
// Usage: uint16_t b = float_to_bf16(1.5f); float f = bf16_to_float(b);
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define STRATA_HD __host__ __device__
#else
#define STRATA_HD
#endif

namespace strata::kernels {

// The few libm calls the conversions make, spelled so device code gets CUDA's versions.
namespace scalar_math {
#if defined(__CUDA_ARCH__)
__device__ inline float ldexp(float x, int e) { return ldexpf(x, e); }
__device__ inline float frexp(float x, int* e) { return frexpf(x, e); }
__device__ inline float nearbyint(float x) { return rintf(x); }  // RNE: device rounding is fixed
__device__ inline float fabs(float x) { return fabsf(x); }
__device__ inline bool isnan(float x) { return ::isnan(x); }
__device__ inline bool isinf(float x) { return ::isinf(x); }
__device__ inline bool signbit(float x) { return ::signbit(x); }
#else
using std::fabs, std::frexp, std::isinf, std::isnan, std::ldexp, std::nearbyint, std::signbit;
#endif
}  // namespace scalar_math

STRATA_HD inline uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(f);
#else
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
#endif
}
STRATA_HD inline float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    float f;
    std::memcpy(&f, &u, 4);
    return f;
#endif
}

STRATA_HD inline float bf16_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }
STRATA_HD inline uint16_t float_to_bf16(float f) {
    const uint32_t u = float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
    const uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>((u + rounding) >> 16);
}

STRATA_HD inline float f16_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        if (mant == 0) return bits_float(sign);
        // subnormal: normalise
        int e = -1;
        do {
            ++e;
            mant <<= 1;
        } while ((mant & 0x400u) == 0);
        mant &= 0x3ffu;
        return bits_float(sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | (mant << 13));
    }
    if (exp == 31) return bits_float(sign | 0x7f800000u | (mant << 13));
    return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

STRATA_HD inline uint16_t float_to_f16(float f) {
    const uint32_t u = float_bits(f);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t abs = u & 0x7fffffffu;
    if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);   // NaN
    if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow to inf
    if (abs < 0x38800000u) {                                               // subnormal or zero in half
        const float a = bits_float(abs);
        const uint32_t m = static_cast<uint32_t>(scalar_math::nearbyint(a * 16777216.0f));  // a / 2^-24, RNE
        return static_cast<uint16_t>(sign | m);
    }
    const uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
    return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

// Generic minifloat decode: exp_bits/man_bits/bias; `finite_only` = E4M3fn (no inf, S.1111.111 is NaN).
STRATA_HD inline float minifloat_to_float(uint8_t v, int exp_bits, int man_bits, int bias, bool finite_only) {
    const bool neg = (v >> (exp_bits + man_bits)) & 1u;
    const uint32_t exp = (v >> man_bits) & ((1u << exp_bits) - 1u);
    const uint32_t man = v & ((1u << man_bits) - 1u);
    const uint32_t exp_max = (1u << exp_bits) - 1u;
    float r;
    if (finite_only) {
        if (exp == exp_max && man == (1u << man_bits) - 1u) return bits_float(0x7fc00000u);
    } else if (exp == exp_max) {
        r = bits_float(man ? 0x7fc00000u : 0x7f800000u);
        return neg ? -r : r;
    }
    if (exp == 0)
        r = scalar_math::ldexp(static_cast<float>(man), 1 - bias - man_bits);
    else
        r = scalar_math::ldexp(static_cast<float>(man | (1u << man_bits)), static_cast<int>(exp) - bias - man_bits);
    return neg ? -r : r;
}

// Generic minifloat encode with round-to-nearest-even. E4M3fn saturates to +-448
// (OCP "satfinite", as CUDA's __NV_SATFINITE; torch's .to(float8_e4m3fn) gives NaN
// instead, so scale before casting); E5M2 overflows to inf. Tested bit-exact in
// tests/kernels/test_scalar_types.cpp.
STRATA_HD inline uint8_t float_to_minifloat(float f, int exp_bits, int man_bits, int bias, bool finite_only) {
    const uint8_t sign = scalar_math::signbit(f) ? static_cast<uint8_t>(1u << (exp_bits + man_bits)) : 0;
    const uint32_t exp_max = (1u << exp_bits) - 1u;
    if (scalar_math::isnan(f)) return static_cast<uint8_t>(sign | (finite_only ? 0x7f : ((exp_max << man_bits) | 1u)));
    const float a = scalar_math::fabs(f);
    const int max_exp = finite_only ? static_cast<int>(exp_max) - bias : static_cast<int>(exp_max) - 1 - bias;
    const uint32_t max_man = finite_only ? (1u << man_bits) - 2u : (1u << man_bits) - 1u;
    const float max_val = scalar_math::ldexp(1.0f + static_cast<float>(max_man) / static_cast<float>(1u << man_bits), max_exp);
    if (scalar_math::isinf(a)) return static_cast<uint8_t>(sign | (exp_max << man_bits) | (finite_only ? max_man : 0u));
    if (a == 0.0f) return sign;
    int e = 0;
    scalar_math::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
    int unbiased = e - 1;
    const int min_normal = 1 - bias;
    if (unbiased < min_normal) unbiased = min_normal;  // subnormal range uses the min exponent
    const float scaled = scalar_math::ldexp(a, man_bits - unbiased);
    float q = scalar_math::nearbyint(scaled);  // RNE in default rounding mode
    uint32_t mant = static_cast<uint32_t>(q);
    int biased = unbiased + bias;
    if (mant >= (2u << man_bits)) {  // rounding carried into the next binade
        mant >>= 1;
        ++biased;
    }
    if (mant < (1u << man_bits)) biased = 0;  // subnormal
    if (biased > static_cast<int>(exp_max) ||
        scalar_math::ldexp(static_cast<float>(mant), biased ? biased - bias - man_bits : 1 - bias - man_bits) > max_val) {
        if (finite_only) return static_cast<uint8_t>(sign | ((exp_max << man_bits) | max_man));
        return static_cast<uint8_t>(sign | (exp_max << man_bits));  // inf
    }
    return static_cast<uint8_t>(sign | (static_cast<uint32_t>(biased) << man_bits) | (mant & ((1u << man_bits) - 1u)));
}

STRATA_HD inline float e4m3_to_float(uint8_t v) { return minifloat_to_float(v, 4, 3, 7, true); }
STRATA_HD inline uint8_t float_to_e4m3(float f) { return float_to_minifloat(f, 4, 3, 7, true); }
STRATA_HD inline float e5m2_to_float(uint8_t v) { return minifloat_to_float(v, 5, 2, 15, false); }
STRATA_HD inline uint8_t float_to_e5m2(float f) { return float_to_minifloat(f, 5, 2, 15, false); }

}  // namespace strata::kernels
