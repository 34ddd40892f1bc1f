// scalar_types.h against known bit patterns, exhaustive round trips, and independent
// references: the compiler's _Float16 for half, brute-force nearest-value search for
// bf16 and the two FP8 formats.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "strata/kernels/scalar_types.h"

using namespace strata::kernels;

namespace {

// Nearest representable value by search: `decode` over all codes (finite ones), ties to
// the even code; |x| past max + half an ulp goes to `overflow_code` (saturation or inf).
uint32_t brute_nearest(float x, uint32_t codes, float (*decode)(uint32_t), uint32_t sign_bit, float max_finite,
                       float overflow_at, uint32_t overflow_code) {
    const float a = std::fabs(x);
    const uint32_t sign = std::signbit(x) ? sign_bit : 0;
    if (a >= overflow_at) return sign | overflow_code;
    (void)max_finite;  // values between max and overflow_at round down to max in the search
    uint32_t best = 0;
    double best_d = INFINITY;
    for (uint32_t c = 0; c < codes; ++c) {
        if (c & sign_bit) continue;
        const float v = decode(c);
        if (!std::isfinite(v)) continue;
        const double d = std::fabs(static_cast<double>(v) - a);
        if (d < best_d || (d == best_d && (c & 1u) == 0)) best = c, best_d = d;
    }
    return sign | best;
}

float dec_e4m3(uint32_t c) { return e4m3_to_float(static_cast<uint8_t>(c)); }
float dec_e5m2(uint32_t c) { return e5m2_to_float(static_cast<uint8_t>(c)); }
float dec_bf16(uint32_t c) { return bf16_to_float(static_cast<uint16_t>(c)); }

}  // namespace

TEST_CASE("bf16 known bit patterns", "[kernels][scalar]") {
    CHECK(float_to_bf16(1.0f) == 0x3f80);
    CHECK(float_to_bf16(-2.0f) == 0xc000);
    CHECK(float_to_bf16(1.0f + 0x1p-8f) == 0x3f80);      // tie -> even
    CHECK(float_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3f82);  // tie -> even (up)
    CHECK(float_to_bf16(1.0f + 0x1p-8f + 0x1p-20f) == 0x3f81);
    CHECK(float_to_bf16(INFINITY) == 0x7f80);
    CHECK(float_to_bf16(-INFINITY) == 0xff80);
    CHECK(float_to_bf16(std::numeric_limits<float>::max()) == 0x7f80);  // rounds to inf
    const uint16_t nan = float_to_bf16(std::numeric_limits<float>::quiet_NaN());
    CHECK((nan & 0x7f80) == 0x7f80);
    CHECK((nan & 0x7f) != 0);
    CHECK(std::isnan(bf16_to_float(float_to_bf16(bits_float(0x7f800001u)))));  // signalling NaN stays NaN
    CHECK(bf16_to_float(0x3f80) == 1.0f);
    CHECK(bf16_to_float(0x4049) == 3.140625f);
    CHECK(bf16_to_float(0x0001) == 0x1p-133f);
}

TEST_CASE("bf16 matches a brute-force nearest search", "[kernels][scalar]") {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-70.0f, 70.0f);
    for (int i = 0; i < 300; ++i) {
        const float x = u(rng) * std::pow(2.0f, static_cast<float>(static_cast<int>(rng() % 20) - 10));
        // only search codes with the same exponent neighbourhood: all positive finite bf16 is 32640 codes
        const uint32_t want = brute_nearest(x, 0x7f80, dec_bf16, 0x8000, 3.3895314e38f, INFINITY, 0x7f80);
        INFO("x = " << x);
        CHECK(float_to_bf16(x) == want);
    }
}

TEST_CASE("f16 known bit patterns", "[kernels][scalar]") {
    CHECK(float_to_f16(1.0f) == 0x3c00);
    CHECK(float_to_f16(-0.0f) == 0x8000);
    CHECK(float_to_f16(65504.0f) == 0x7bff);
    CHECK(float_to_f16(65519.0f) == 0x7bff);
    CHECK(float_to_f16(65520.0f) == 0x7c00);
    CHECK(float_to_f16(0x1p-14f) == 0x0400);
    CHECK(float_to_f16(0x1p-24f) == 0x0001);
    CHECK(float_to_f16(0x1p-25f) == 0x0000);      // tie -> even (zero)
    CHECK(float_to_f16(3 * 0x1p-26f) == 0x0001);  // 0.75 ulp -> 1
    CHECK(float_to_f16(3 * 0x1p-25f) == 0x0002);  // 1.5 ulp tie -> even 2
    CHECK(float_to_f16(INFINITY) == 0x7c00);
    CHECK((float_to_f16(NAN) & 0x7c00) == 0x7c00);
    CHECK((float_to_f16(NAN) & 0x3ff) != 0);
    CHECK(f16_to_float(0x3555) == 0.333251953125f);
    CHECK(f16_to_float(0x0001) == 0x1p-24f);
    CHECK(f16_to_float(0x03ff) == 1023 * 0x1p-24f);
    CHECK(f16_to_float(0xfbff) == -65504.0f);
    CHECK(std::isinf(f16_to_float(0x7c00)));
    CHECK(std::isnan(f16_to_float(0x7c01)));
}

TEST_CASE("f16 round trips every code and matches _Float16", "[kernels][scalar]") {
    for (uint32_t c = 0; c < 65536; ++c) {
        const float f = f16_to_float(static_cast<uint16_t>(c));
        const _Float16 h = static_cast<_Float16>(f);
        if (std::isnan(f)) {
            CHECK(std::isnan(f16_to_float(float_to_f16(f))));
            continue;
        }
        CHECK(static_cast<float>(h) == f);  // our decode agrees with the compiler's
        if (float_to_f16(f) != c) FAIL("code " << c);
    }
    std::mt19937 rng(11);
    for (int i = 0; i < 200000; ++i) {
        const float x = bits_float(rng());
        if (std::isnan(x)) continue;
        const _Float16 h = static_cast<_Float16>(x);
        uint16_t want;
        std::memcpy(&want, &h, 2);
        if (float_to_f16(x) != want) FAIL("x bits " << float_bits(x));
    }
}

TEST_CASE("fp8 e4m3 known bit patterns", "[kernels][scalar]") {
    CHECK(float_to_e4m3(1.0f) == 0x38);
    CHECK(float_to_e4m3(448.0f) == 0x7e);
    CHECK(float_to_e4m3(-448.0f) == 0xfe);
    CHECK(float_to_e4m3(500.0f) == 0x7e);  // saturates (OCP satfinite), never NaN
    CHECK(float_to_e4m3(INFINITY) == 0x7e);
    CHECK(float_to_e4m3(0x1p-9f) == 0x01);   // smallest subnormal
    CHECK(float_to_e4m3(0x1p-6f) == 0x08);   // smallest normal
    CHECK(float_to_e4m3(0x1p-10f) == 0x00);  // tie -> even
    CHECK(float_to_e4m3(3 * 0x1p-11f) == 0x01);
    CHECK(float_to_e4m3(1.0625f) == 0x38);  // tie -> even
    CHECK(float_to_e4m3(1.1875f) == 0x3a);  // tie -> even (up)
    CHECK((float_to_e4m3(NAN) & 0x7f) == 0x7f);
    CHECK(e4m3_to_float(0x7e) == 448.0f);
    CHECK(e4m3_to_float(0x01) == 0x1p-9f);
    CHECK(e4m3_to_float(0x07) == 7 * 0x1p-9f);
    CHECK(e4m3_to_float(0xb8) == -1.0f);
    CHECK(e4m3_to_float(0x78) == 256.0f);  // exponent 15 is finite in fn
    CHECK(std::isnan(e4m3_to_float(0x7f)));
    CHECK(std::isnan(e4m3_to_float(0xff)));
}

TEST_CASE("fp8 e5m2 known bit patterns", "[kernels][scalar]") {
    CHECK(float_to_e5m2(1.0f) == 0x3c);
    CHECK(float_to_e5m2(57344.0f) == 0x7b);
    CHECK(float_to_e5m2(61440.0f) == 0x7c);  // tie past max -> inf
    CHECK(float_to_e5m2(60000.0f) == 0x7b);
    CHECK(float_to_e5m2(INFINITY) == 0x7c);
    CHECK(float_to_e5m2(-INFINITY) == 0xfc);
    CHECK(float_to_e5m2(0x1p-16f) == 0x01);
    CHECK(float_to_e5m2(0x1p-14f) == 0x04);
    CHECK(std::isinf(e5m2_to_float(0x7c)));
    CHECK(std::isnan(e5m2_to_float(0x7d)));
    CHECK(std::isnan(e5m2_to_float(float_to_e5m2(NAN))));
    CHECK(e5m2_to_float(0x7b) == 57344.0f);
    CHECK(e5m2_to_float(0x03) == 3 * 0x1p-16f);
}

TEST_CASE("fp8 round trips every code and matches a brute-force nearest search", "[kernels][scalar]") {
    for (uint32_t c = 0; c < 256; ++c) {
        const auto b = static_cast<uint8_t>(c);
        const float f4 = e4m3_to_float(b), f5 = e5m2_to_float(b);
        if (!std::isnan(f4)) CHECK(float_to_e4m3(f4) == b);
        if (!std::isnan(f5)) CHECK(float_to_e5m2(f5) == b);
    }
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> mant(1.0f, 2.0f);
    for (int i = 0; i < 20000; ++i) {
        const float x = ((rng() & 1) ? -1.0f : 1.0f) * mant(rng) * std::ldexp(1.0f, static_cast<int>(rng() % 40) - 24);
        INFO("x = " << x);
        REQUIRE(float_to_e4m3(x) == brute_nearest(x, 256, dec_e4m3, 0x80, 448.0f, INFINITY, 0x7e));
        // e5m2: max 57344, half an ulp above is 61440 (ties to even = inf).
        REQUIRE(float_to_e5m2(x) == brute_nearest(x, 256, dec_e5m2, 0x80, 57344.0f, 61440.0f, 0x7c));
    }
}
