// dtype casts on the CPU: decode a block to f32, encode it to the target type.
// Blocks of 4096 elements keep the scratch in L1; threads split the blocks.
#include <array>
#include <cstring>

#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"
#include "strata/kernels/bulk_convert.h"
#include "strata/kernels/scalar_types.h"

namespace strata::kernels::cpu {

namespace {

constexpr size_t kBlock = 4096;

struct Fp8Tables {
    std::array<float, 256> e4m3, e5m2;
    Fp8Tables() {
        for (int i = 0; i < 256; ++i) {
            e4m3[static_cast<size_t>(i)] = e4m3_to_float(static_cast<uint8_t>(i));
            e5m2[static_cast<size_t>(i)] = e5m2_to_float(static_cast<uint8_t>(i));
        }
    }
};
const Fp8Tables& fp8_tables() {
    static const Fp8Tables t;
    return t;
}

void decode(const void* src, ScalarType t, float* out, size_t n) {
    switch (t) {
        case ScalarType::F32:
            std::memcpy(out, src, n * 4);
            break;
        case ScalarType::BF16:
            bf16_to_f32(static_cast<const uint16_t*>(src), out, n);
            break;
        case ScalarType::F16:
            f16_to_f32(static_cast<const uint16_t*>(src), out, n);
            break;
        case ScalarType::F8E4M3: {
            const auto* s = static_cast<const uint8_t*>(src);
            const auto& lut = fp8_tables().e4m3;
            for (size_t i = 0; i < n; ++i) out[i] = lut[s[i]];
            break;
        }
        case ScalarType::F8E5M2: {
            const auto* s = static_cast<const uint8_t*>(src);
            const auto& lut = fp8_tables().e5m2;
            for (size_t i = 0; i < n; ++i) out[i] = lut[s[i]];
            break;
        }
        case ScalarType::I32:
            break;
    }
}

void encode(const float* in, ScalarType t, void* dst, size_t n) {
    switch (t) {
        case ScalarType::F32:
            std::memcpy(dst, in, n * 4);
            break;
        case ScalarType::BF16:
            f32_to_bf16(in, static_cast<uint16_t*>(dst), n);
            break;
        case ScalarType::F16:
            f32_to_f16(in, static_cast<uint16_t*>(dst), n);
            break;
        case ScalarType::F8E4M3: {
            auto* d = static_cast<uint8_t*>(dst);
            for (size_t i = 0; i < n; ++i) d[i] = float_to_e4m3(in[i]);
            break;
        }
        case ScalarType::F8E5M2: {
            auto* d = static_cast<uint8_t*>(dst);
            for (size_t i = 0; i < n; ++i) d[i] = float_to_e5m2(in[i]);
            break;
        }
        case ScalarType::I32:
            break;
    }
}

}  // namespace

void decode_to_f32(const void* src, ScalarType t, float* out, size_t n) { decode(src, t, out, n); }

KStatus cast(const void* src, ScalarType st, void* dst, ScalarType dt, size_t n) {
    STRATA_KTRY(validate_cast(st, dt));
    if (n == 0) return {};
    const size_t ss = scalar_size(st), ds = scalar_size(dt);
    const size_t blocks = (n + kBlock - 1) / kBlock;
    parallel_for(blocks, 16, [&](size_t b0, size_t b1) {
        const size_t begin = b0 * kBlock, end = std::min(n, b1 * kBlock);
        const char* s = static_cast<const char*>(src) + begin * ss;
        char* d = static_cast<char*>(dst) + begin * ds;
        if (st == dt) {
            std::memcpy(d, s, (end - begin) * ss);
            return;
        }
        if (st == ScalarType::F32) {
            encode(reinterpret_cast<const float*>(s), dt, d, end - begin);
            return;
        }
        if (dt == ScalarType::F32) {
            decode(s, st, reinterpret_cast<float*>(d), end - begin);
            return;
        }
        float tmp[kBlock];
        for (size_t i = begin; i < end; i += kBlock) {
            const size_t m = std::min(kBlock, end - i);
            decode(static_cast<const char*>(src) + i * ss, st, tmp, m);
            encode(tmp, dt, static_cast<char*>(dst) + i * ds, m);
        }
    });
    return {};
}

}  // namespace strata::kernels::cpu
