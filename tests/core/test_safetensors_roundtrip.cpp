#include <catch2/catch.hpp>

#include <cstring>

#include "strata/formats/format_registry.h"
#include "strata/formats/safetensors.h"
#include "support/temp_dir.h"

using namespace strata;
using strata::test::TempDir;

namespace {

std::vector<std::byte> pattern_bytes(size_t n, uint8_t seed) {
    std::vector<std::byte> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<uint8_t>(seed + i * 7));
    return v;
}

}  // namespace

TEST_CASE("safetensors writer output reads back with identical bytes", "[safetensors]") {
    TempDir dir;
    std::vector<TensorEntry> entries = {
        {"a.weight", DType::BF16, {3, 5}}, {"b.bias", DType::F32, {7}}, {"c.scalar", DType::I64, {}},
        {"d.empty", DType::F16, {0, 4}},   {"e.fp8", DType::F8_E4M3, {9}}};
    SafetensorsWriter writer(dir.path());
    REQUIRE(writer.begin(entries).is_ok());
    std::vector<std::vector<std::byte>> data;
    for (size_t i = entries.size(); i-- > 0;) {  // out of order on purpose
        data.insert(data.begin(), pattern_bytes(entries[i].byte_size(), static_cast<uint8_t>(i)));
    }
    for (size_t i = entries.size(); i-- > 0;) REQUIRE(writer.write(i, data[i]).is_ok());
    REQUIRE(writer.finish().is_ok());

    auto ckpt = open_checkpoint(dir.path() / "model.safetensors");
    REQUIRE(ckpt.is_ok());
    REQUIRE(ckpt->tensors.size() == entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        const TensorInfo* t = ckpt->find(entries[i].name);
        REQUIRE(t != nullptr);
        CHECK(t->dtype == entries[i].dtype);
        CHECK(t->shape == entries[i].shape);
        auto bytes = ckpt->read(*t);
        REQUIRE(bytes.is_ok());
        CHECK(*bytes == data[i]);
    }
    // The header is padded so data starts 8-aligned, and __metadata__ says format pt.
    auto raw = test::read_file(dir.path() / "model.safetensors");
    uint64_t n = 0;
    std::memcpy(&n, raw.data(), 8);
    CHECK(n % 8 == 0);
    CHECK(std::string(raw.begin() + 8, raw.begin() + 8 + 32).find("\"__metadata__\":{\"format\":\"pt\"}") == 1);
}

TEST_CASE("safetensors writer shards by size and writes a consistent index", "[safetensors]") {
    TempDir dir;
    std::vector<TensorEntry> entries;
    for (int i = 0; i < 10; ++i) entries.push_back({"t" + std::to_string(i), DType::F32, {256}});  // 1 KiB each
    SafetensorsWriterOptions opts;
    opts.max_shard_bytes = 3000;  // two tensors per shard
    SafetensorsWriter writer(dir.path(), opts);
    REQUIRE(writer.begin(entries).is_ok());
    for (size_t i = 0; i < entries.size(); ++i) REQUIRE(writer.write(i, pattern_bytes(1024, 1)).is_ok());
    REQUIRE(writer.finish().is_ok());
    CHECK(writer.plans().size() == 5);
    CHECK(std::filesystem::exists(dir / "model-00001-of-00005.safetensors"));
    CHECK(std::filesystem::exists(dir / "model.safetensors.index.json"));
    auto ckpt = open_checkpoint(dir.path());
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->files.size() == 5);
    CHECK(ckpt->tensors.size() == 10);
    CHECK(ckpt->total_bytes() == 10240);
}

TEST_CASE("a writer that is never given a tensor refuses to finish", "[safetensors]") {
    TempDir dir;
    SafetensorsWriter writer(dir.path());
    REQUIRE(writer.begin({{"x", DType::F32, {4}}, {"y", DType::F32, {4}}}).is_ok());
    REQUIRE(writer.write(0, pattern_bytes(16, 0)).is_ok());
    auto s = writer.finish();
    CHECK(s.code() == StatusCode::Internal);
    CHECK_THAT(s.to_string(), Catch::Contains("tensor 'y'"));
}
