#include "formats/torch_pt/crc32.h"

#include <array>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define STRATA_CRC_CLMUL 1
#include <immintrin.h>
#endif

namespace strata::torch_pt {
namespace {

constexpr uint32_t kPoly = 0xEDB88320u;  // 0x04C11DB7 bit-reflected

std::array<std::array<uint32_t, 256>, 8> make_tables() {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? kPoly ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
        for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    return t;
}

// Both kernels work on the raw register (the CRC before its final inversion).
uint32_t table_update(uint32_t c, const uint8_t* p, size_t n) {
    static const auto kT = make_tables();
    while (n >= 8) {
        const uint32_t lo = c ^ (uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
        c = kT[7][lo & 0xff] ^ kT[6][(lo >> 8) & 0xff] ^ kT[5][(lo >> 16) & 0xff] ^ kT[4][lo >> 24] ^ kT[3][p[4]] ^
            kT[2][p[5]] ^ kT[1][p[6]] ^ kT[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) c = kT[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c;
}

#ifdef STRATA_CRC_CLMUL

// Folding constants for the reflected polynomial (the paper's k1..k5, mu and P'):
// x^(4*128+32), x^(4*128-32) mod P to fold 512 bits onward; x^(128+32), x^(128-32) for
// 128 bits; x^64 for the 64-bit step; then Barrett's mu = x^64 / P and P itself.
alignas(16) constexpr uint64_t kFold512[2] = {0x0154442bd4, 0x01c6e41596};
alignas(16) constexpr uint64_t kFold128[2] = {0x01751997d0, 0x00ccaa009e};
alignas(16) constexpr uint64_t kFold64[2] = {0x0163cd6124, 0x0000000000};
alignas(16) constexpr uint64_t kBarrett[2] = {0x01db710641, 0x01f7011641};

// a * k (low halves) xor a * k (high halves) xor next: one fold step.
__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i a, __m128i k, __m128i next) {
    const __m128i lo = _mm_clmulepi64_si128(a, k, 0x00);
    const __m128i hi = _mm_clmulepi64_si128(a, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

// n >= 64 and a multiple of 16.
__attribute__((target("pclmul,sse4.1"))) uint32_t clmul_update(uint32_t c, const uint8_t* p, size_t n) {
    auto load = [](const uint8_t* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
    __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(c)));
    __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
    p += 64;
    n -= 64;
    // Four independent lanes hide the multiply latency.
    const __m128i k512 = _mm_load_si128(reinterpret_cast<const __m128i*>(kFold512));
    for (; n >= 64; p += 64, n -= 64) {
        x0 = fold(x0, k512, load(p));
        x1 = fold(x1, k512, load(p + 16));
        x2 = fold(x2, k512, load(p + 32));
        x3 = fold(x3, k512, load(p + 48));
    }
    const __m128i k128 = _mm_load_si128(reinterpret_cast<const __m128i*>(kFold128));
    __m128i x = fold(x0, k128, x1);
    x = fold(x, k128, x2);
    x = fold(x, k128, x3);
    for (; n >= 16; p += 16, n -= 16) x = fold(x, k128, load(p));

    // 128 -> 64 bits.
    const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
    x = _mm_xor_si128(_mm_srli_si128(x, 8), _mm_clmulepi64_si128(x, k128, 0x10));
    const __m128i k64 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kFold64));
    x = _mm_xor_si128(_mm_srli_si128(x, 4), _mm_clmulepi64_si128(_mm_and_si128(x, low32), k64, 0x00));
    // Barrett reduction to 32 bits.
    const __m128i kb = _mm_load_si128(reinterpret_cast<const __m128i*>(kBarrett));
    __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), kb, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), kb, 0x00);
    return static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(x, t), 1));
}

bool has_clmul() {
    static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    return yes;
}

#endif

}  // namespace

uint32_t crc32_portable(std::span<const std::byte> data, uint32_t crc) {
    return ~table_update(~crc, reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

uint32_t crc32(std::span<const std::byte> data, uint32_t crc) {
    const auto* p = reinterpret_cast<const uint8_t*>(data.data());
    size_t n = data.size();
    uint32_t c = ~crc;
#ifdef STRATA_CRC_CLMUL
    if (n >= 64 && has_clmul()) {
        const size_t folded = n & ~size_t{15};
        c = clmul_update(c, p, folded);
        p += folded;
        n -= folded;
    }
#endif
    return ~table_update(c, p, n);
}

}  // namespace strata::torch_pt
