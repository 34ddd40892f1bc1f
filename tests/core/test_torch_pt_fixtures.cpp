// Files written by real torch.save (torch 1.13, tests/reference/make_pt_fixtures.py)
// read correctly: names, dtypes, shapes, views over shared storages, transposed
// (strided) tensors, nested containers, Megatron-style args; values compared by an
// FNV-1a checksum the script computed from torch's own bytes.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "strata/formats/format_registry.h"
#include "strata/formats/torch_pt.h"
#include "support/temp_dir.h"

using namespace strata;

namespace {

const std::filesystem::path kFixtures = std::filesystem::path(STRATA_SOURCE_DIR) / "tests/reference/fixtures/torch";

std::string fnv1a64(const std::vector<std::byte>& bytes) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (auto b : bytes) {
        h ^= static_cast<uint8_t>(b);
        h *= 0x100000001B3ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

nlohmann::json expected() {
    std::ifstream in(kFixtures / "expected.json");
    return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("torch.save fixtures read with the expected names, dtypes, shapes and values", "[torch_pt][reference]") {
    const auto exp = expected();
    REQUIRE(exp.size() == 4);
    for (auto it = exp.begin(); it != exp.end(); ++it) {
        INFO(it.key());
        auto ckpt = open_checkpoint(kFixtures / it.key());
        INFO(ckpt.status().to_string());
        REQUIRE(ckpt.is_ok());
        CHECK(ckpt->format == "torch");
        const auto& tensors = it.value()["tensors"];
        CHECK(ckpt->tensors.size() == tensors.size());
        for (auto t = tensors.begin(); t != tensors.end(); ++t) {
            INFO(t.key());
            const TensorInfo* info = ckpt->find(t.key());
            REQUIRE(info != nullptr);
            CHECK(dtype_name(info->dtype) == t.value()["dtype"].get<std::string>());
            CHECK(info->shape == t.value()["shape"].get<Shape>());
            CHECK(info->location.is_contiguous() == t.value()["contiguous"].get<bool>());
            auto bytes = ckpt->read(*info);
            REQUIRE(bytes.is_ok());
            CHECK(fnv1a64(*bytes) == t.value()["fnv1a64"].get<std::string>());
        }
    }
}

TEST_CASE("views share their storage record: offsets and strides point into it", "[torch_pt][reference]") {
    auto ckpt = open_torch_pt(kFixtures / "state_dict.pt");
    REQUIRE(ckpt.is_ok());
    const TensorInfo* base = ckpt->find("layer.0.weight");
    const TensorInfo* view = ckpt->find("layer.0.view");
    const TensorInfo* tr = ckpt->find("layer.0.weight_t");
    REQUIRE(base != nullptr);
    REQUIRE(view != nullptr);
    REQUIRE(tr != nullptr);
    CHECK(view->location.offset == base->location.offset + 6 * 4);  // base[1:3]: storage_offset 6 floats
    CHECK(tr->location.offset == base->location.offset);
    CHECK(tr->location.strides == std::vector<int64_t>{1, 6});
    CHECK(base->location.offset % 64 == 0);
}

TEST_CASE("a torch-written Megatron-like dict gives config, metadata and tied weights", "[torch_pt][reference]") {
    const auto exp = expected()["megatron_like.pt"];
    auto ckpt = open_checkpoint(kFixtures / "megatron_like.pt");
    INFO(ckpt.status().to_string());
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->metadata["iteration"] == exp["iteration"]);
    CHECK(ckpt->metadata["checkpoint_version"] == exp["checkpoint_version"]);
    for (auto it = exp["args"].begin(); it != exp["args"].end(); ++it) {
        INFO(it.key());
        CHECK(ckpt->config[it.key()] == it.value());
    }
    const TensorInfo* emb = ckpt->find("embedding.word_embeddings.weight");
    const TensorInfo* out = ckpt->find("output_layer.weight");
    REQUIRE(emb != nullptr);
    REQUIRE(out != nullptr);
    CHECK(emb->location.offset == out->location.offset);  // same storage record
}

TEST_CASE("Strata writes the same bytes torch.save wrote for the same state dict", "[torch_pt][reference]") {
    // Re-write state_dict.pt's contiguous tensors under torch 1.13's settings (no
    // byteorder record) and compare with a torch.save of exactly those tensors.
    auto src = open_torch_pt(kFixtures / "plain.pt");
    INFO(src.status().to_string());
    REQUIRE(src.is_ok());
    std::vector<TensorEntry> entries;
    for (const auto& t : src->tensors) entries.push_back({t.name, t.dtype, t.shape});
    test::TempDir dir;
    TorchPtWriterOptions opts;  // torch 1.13: a bare OrderedDict, no byteorder record
    opts.tensors_key = "";
    opts.write_byteorder = false;
    TorchPtWriter w(dir / "plain.pt", opts);
    REQUIRE(w.begin(entries).is_ok());
    for (size_t i = 0; i < entries.size(); ++i) REQUIRE(w.write(i, *src->read(src->tensors[i])).is_ok());
    REQUIRE(w.finish().is_ok());
    CHECK(test::read_file(dir / "plain.pt") == test::read_file(kFixtures / "plain.pt"));
}
