// Malformed safetensors files and index.json folders, generated in code from an
// enum of cases (ggml's test-gguf style). Each must be rejected with the right
// code and a one-line message naming the file and, where it applies, the tensor
// and byte offset. Nothing may crash.
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>

#include "strata/formats/format_registry.h"
#include "strata/formats/safetensors.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

std::vector<unsigned char> make_file(const std::string& header, size_t data_size, uint64_t declared = UINT64_MAX) {
    const uint64_t n = declared == UINT64_MAX ? header.size() : declared;
    std::vector<unsigned char> b(8);
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
    b.insert(b.end(), header.begin(), header.end());
    b.insert(b.end(), data_size, 0x3c);
    return b;
}

const std::string kGood = R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[16,24]}})";

enum class Case {
    TooSmall, HeaderTooLarge, HeaderPastEnd, NotUtf8, NotJson, NotObject, UnknownDtype, NegativeDim, MissingOffsets,
    EndBeforeBegin, OffsetsPastData, Gap, Overlap, SizeMismatch, TrailingBytes, DuplicateName, MetadataNotString,
    ShapeOverflow, SubByteMisaligned,
};

struct FileCase {
    Case c;
    const char* label;
    StatusCode code;
    const char* fragment;
    bool names_tensor;
    std::function<std::vector<unsigned char>()> make;
};

std::vector<FileCase> file_cases() {
    return {
        {Case::TooSmall, "file under 8 bytes", StatusCode::Truncated, "too small for the 8-byte header length", false,
         [] { return std::vector<unsigned char>{1, 2, 3}; }},
        {Case::HeaderTooLarge, "header length over 100 MB", StatusCode::Corrupt, "exceeds the 100000000-byte limit", false,
         [] { return make_file("{}", 0, 100'000'001); }},
        {Case::HeaderPastEnd, "header length past EOF", StatusCode::Truncated, "runs past the end of the file", false,
         [] { return make_file("{}", 0, 4096); }},
        {Case::NotUtf8, "header not UTF-8", StatusCode::Corrupt, "not valid UTF-8", false,
         [] { return make_file(std::string("{\"\xff\xfe\":1}"), 0); }},
        {Case::NotJson, "header not JSON", StatusCode::Corrupt, "not valid JSON", false,
         [] { return make_file("{\"a\": [1, 2", 0); }},
        {Case::NotObject, "header is an array", StatusCode::Corrupt, "not a JSON object", false,
         [] { return make_file("[1,2,3]", 0); }},
        {Case::UnknownDtype, "unknown dtype", StatusCode::Corrupt, "unknown dtype 'F12'", true,
         [] { return make_file(R"({"w":{"dtype":"F12","shape":[2],"data_offsets":[0,4]}})", 4); }},
        {Case::NegativeDim, "negative dimension", StatusCode::Corrupt, "negative or non-integer dimension", true,
         [] { return make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8); }},
        {Case::MissingOffsets, "missing data_offsets", StatusCode::Corrupt, "'data_offsets' must be an array", true,
         [] { return make_file(R"({"w":{"dtype":"F32","shape":[2]}})", 8); }},
        {Case::EndBeforeBegin, "end before begin", StatusCode::Corrupt, "end before they begin", true,
         [] { return make_file(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8); }},
        {Case::OffsetsPastData, "offsets past the data", StatusCode::Truncated, "exceed data size 16", true,
         [] { return make_file(R"({"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", 16); }},
        {Case::Gap, "gap between tensors", StatusCode::Corrupt, "gap before data_offsets begin 20", true,
         [] {
             return make_file(
                 R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[20,24]}})",
                 24);
         }},
        {Case::Overlap, "overlapping tensors", StatusCode::Corrupt, "overlap the previous tensor", true,
         [] {
             return make_file(
                 R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                 24);
         }},
        {Case::SizeMismatch, "shape and span disagree", StatusCode::Corrupt, "needs 16 bytes but data_offsets span 12",
         true, [] { return make_file(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", 12); }},
        {Case::TrailingBytes, "bytes after the last tensor", StatusCode::Corrupt, "not covered by any tensor", false,
         [] { return make_file(kGood, 30); }},
        {Case::DuplicateName, "duplicate tensor name", StatusCode::Corrupt, "duplicate tensor name", true,
         [] {
             return make_file(
                 R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 8);
         }},
        {Case::MetadataNotString, "__metadata__ value not a string", StatusCode::Corrupt, "is not a string", false,
         [] { return make_file(R"({"__metadata__":{"format":1}})", 0); }},
        {Case::ShapeOverflow, "shape product overflows", StatusCode::Corrupt, "overflows", true,
         [] {
             return make_file(
                 R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})", 4);
         }},
        {Case::SubByteMisaligned, "F4 tensor of odd length", StatusCode::Corrupt, "do not fill whole bytes", true,
         [] { return make_file(R"({"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", 2); }},
    };
}

}  // namespace

TEST_CASE("malformed safetensors files are rejected with code, file, tensor and offset", "[safetensors][corrupt]") {
    test::TempDir dir;
    for (const auto& fc : file_cases()) {
        SECTION(fc.label) {
            const fs::path p = dir / "bad.safetensors";
            test::write_file(p, fc.make());
            const auto before = test::read_file(p);
            auto r = open_checkpoint(p);
            REQUIRE_FALSE(r.is_ok());
            const Status& s = r.status();
            INFO(s.to_string());
            CHECK(s.code() == fc.code);
            CHECK_THAT(s.to_string(), Catch::Contains(fc.fragment));
            CHECK_THAT(s.to_string(), Catch::StartsWith("bad.safetensors: "));
            CHECK(s.to_string().find('\n') == std::string::npos);
            if (fc.names_tensor) CHECK_THAT(s.to_string(), Catch::Contains("tensor '"));
            CHECK(test::read_file(p) == before);  // inputs are never modified
        }
    }
}

TEST_CASE("tensor-level errors carry the file offset of the tensor's data", "[safetensors][corrupt]") {
    test::TempDir dir;
    const std::string header =
        R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[16,28]}})";
    test::write_file(dir / "m.safetensors", make_file(header, 28));
    auto r = open_checkpoint(dir / "m.safetensors");
    REQUIRE_FALSE(r.is_ok());
    REQUIRE(r.status().offset().has_value());
    CHECK(*r.status().offset() == 8 + header.size() + 16);
    CHECK(r.status().tensor() == "b");
}

namespace {

// A valid two-shard folder to corrupt.
void write_shards(const fs::path& dir) {
    test::write_file(dir / "model-00001-of-00002.safetensors",
                     make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
    test::write_file(dir / "model-00002-of-00002.safetensors",
                     make_file(R"({"b":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})", 12));
}

const char* kIndexGood =
    R"({"metadata":{"total_size":20},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})";

struct IndexCase {
    const char* label;
    std::string index;
    StatusCode code;
    const char* fragment;
};

}  // namespace

TEST_CASE("a valid sharded folder opens through its index", "[safetensors][index]") {
    test::TempDir dir;
    write_shards(dir.path());
    test::write_file(dir / "model.safetensors.index.json", std::string(kIndexGood));
    auto r = open_checkpoint(dir.path());
    REQUIRE(r.is_ok());
    CHECK(r->tensors.size() == 2);
    CHECK(r->files.size() == 2);
}

TEST_CASE("malformed index.json folders are rejected", "[safetensors][index][corrupt]") {
    const std::vector<IndexCase> cases = {
        {"index not JSON", "{\"weight_map\": ", StatusCode::Corrupt, "not valid JSON"},
        {"no weight_map", R"({"metadata":{}})", StatusCode::Corrupt, "no 'weight_map' object"},
        {"shard path escapes the folder",
         R"({"weight_map":{"a":"../model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})",
         StatusCode::Corrupt, "contains a path separator"},
        {"absolute shard path",
         R"({"weight_map":{"a":"/etc/passwd","b":"model-00002-of-00002.safetensors"}})", StatusCode::Corrupt,
         "contains a path separator"},
        {"missing shard file",
         R"({"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00009-of-00009.safetensors"}})",
         StatusCode::NotFound, "does not exist"},
        {"tensor named in the wrong shard",
         R"({"weight_map":{"a":"model-00002-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})",
         StatusCode::Corrupt, "index names the tensor but"},
        {"index names a tensor no shard holds",
         R"({"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}})",
         StatusCode::Corrupt, "does not hold it"},
        {"shard tensor missing from the index", R"({"weight_map":{"b":"model-00001-of-00002.safetensors"}})",
         StatusCode::Corrupt, "is missing from the index"},
        {"total_size disagrees",
         R"({"metadata":{"total_size":999},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})",
         StatusCode::Corrupt, "total_size is 999 but the tensors hold 20 bytes"},
        {"weight_map value not a string",
         R"({"weight_map":{"a":7,"b":"model-00002-of-00002.safetensors"}})", StatusCode::Corrupt,
         "weight_map value is not a file name"},
    };
    for (const auto& c : cases) {
        SECTION(c.label) {
            test::TempDir dir;
            write_shards(dir.path());
            test::write_file(dir / "model.safetensors.index.json", c.index);
            auto r = open_checkpoint(dir.path());
            REQUIRE_FALSE(r.is_ok());
            INFO(r.status().to_string());
            CHECK(r.status().code() == c.code);
            CHECK_THAT(r.status().to_string(), Catch::Contains(c.fragment));
            CHECK_THAT(r.status().to_string(), Catch::Contains("model.safetensors.index.json"));
        }
    }
}

TEST_CASE("a symlinked shard that leaves the folder is rejected", "[safetensors][index][corrupt]") {
    test::TempDir dir;
    fs::create_directories(dir / "ckpt");
    write_shards(dir.path());
    fs::rename(dir / "model-00002-of-00002.safetensors", dir / "outside.safetensors");
    fs::rename(dir / "model-00001-of-00002.safetensors", dir / "ckpt" / "model-00001-of-00002.safetensors");
    fs::create_symlink(dir / "outside.safetensors", dir / "ckpt" / "model-00002-of-00002.safetensors");
    test::write_file(dir / "ckpt" / "model.safetensors.index.json", std::string(kIndexGood));
    auto r = open_checkpoint(dir / "ckpt");
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().to_string(), Catch::Contains("symlink that leaves the checkpoint folder"));
}
