// The ZIP CRC-32: the PCLMULQDQ folding kernel must agree with the table version and the
// published check value for every length (the fold/tail split moves at 16 and 64 bytes),
// every start alignment, and running CRCs over pieces.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "formats/torch_pt/crc32.h"

using namespace strata::torch_pt;

namespace {

std::vector<std::byte> random_bytes(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(rng() & 0xff);
    return v;
}

}  // namespace

TEST_CASE("crc32 gives the CRC-32/ISO-HDLC check value", "[crc32]") {
    const std::string check = "123456789";
    const auto bytes = std::as_bytes(std::span(check));
    CHECK(crc32(bytes) == 0xCBF43926u);
    CHECK(crc32_portable(bytes) == 0xCBF43926u);
    // 64 copies: long enough for the folding kernel.
    std::string longer;
    for (int i = 0; i < 64; ++i) longer += check;
    CHECK(crc32(std::as_bytes(std::span(longer))) == crc32_portable(std::as_bytes(std::span(longer))));
}

TEST_CASE("crc32 agrees with the table version at every length, alignment and split", "[crc32]") {
    const auto data = random_bytes(1 << 16, 7);
    const std::span<const std::byte> all(data);
    for (size_t n = 0; n <= 600; ++n)
        for (size_t shift : {0, 1, 3, 8, 15}) {
            INFO("length " << n << ", shift " << shift);
            REQUIRE(crc32(all.subspan(shift, n)) == crc32_portable(all.subspan(shift, n)));
        }
    for (size_t n : {4096u, 65521u, 65536u - 16u}) {
        INFO("length " << n);
        CHECK(crc32(all.subspan(0, n)) == crc32_portable(all.subspan(0, n)));
        CHECK(crc32(all.subspan(0, n), 0x12345678u) == crc32_portable(all.subspan(0, n), 0x12345678u));
    }
    // A running CRC over pieces equals the CRC of the whole.
    const uint32_t whole = crc32(all);
    for (size_t cut : {1u, 63u, 64u, 100u, 4097u, 40000u}) {
        INFO("cut at " << cut);
        CHECK(crc32(all.subspan(cut), crc32(all.subspan(0, cut))) == whole);
    }
}
