// Round trips through every layout must reproduce every tensor's bytes exactly.
#include <catch2/catch.hpp>

#include <xxhash.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/synth/synth.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

fs::path synth_tiny(const test::TempDir& dir, const char* preset = "tiny") {
    return test::synth_ok(dir / preset, preset);
}

// name -> xxh3 of the tensor's bytes.
std::map<std::string, uint64_t> tensor_hashes(const fs::path& path) {
    auto ckpt = open_checkpoint(path);
    if (!ckpt) FAIL(ckpt.status().to_string());
    std::map<std::string, uint64_t> out;
    for (const auto& t : ckpt->tensors) {
        auto bytes = ckpt->read(t);
        REQUIRE(bytes.is_ok());
        out[t.name] = XXH3_64bits(bytes->data(), bytes->size());
    }
    return out;
}

ConvertReport convert(const fs::path& src, const fs::path& out, LayoutOptions target) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target = target;
    o.executor.threads = 2;
    NullProgress p;
    CancelToken c;
    auto r = convert_checkpoint(o, p, c);
    if (!r) FAIL(r.status().to_string());
    return std::move(*r);
}

// `strata reshard`: Megatron -> Megatron, refusing any other source.
Result<ConvertReport> reshard(const fs::path& src, const fs::path& out, LayoutOptions target) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target = target;
    o.require_source = LayoutKind::Megatron;
    NullProgress p;
    CancelToken c;
    return convert_checkpoint(o, p, c);
}

LayoutOptions megatron(int tp, int pp, int ep, int etp) {
    LayoutOptions o;
    o.kind = LayoutKind::Megatron;
    o.plan.tp = tp;
    o.plan.pp = pp;
    o.plan.ep = ep;
    o.plan.etp = etp;
    return o;
}

LayoutOptions hf(LayoutKind kind = LayoutKind::Hf) {
    LayoutOptions o;
    o.kind = kind;
    return o;
}

// Runs the 72-conversion matrix in RAM when /dev/shm exists: the time of a tiny
// conversion is the fsync of AtomicOutput::commit, which tmpfs makes free.
class RamTempDir {
public:
    RamTempDir() {
        const char* old = std::getenv("TMPDIR");
        if (old) old_ = old;
        if (fs::is_directory("/dev/shm")) ::setenv("TMPDIR", "/dev/shm", 1);
        dir_ = std::make_unique<test::TempDir>();
        if (old)
            ::setenv("TMPDIR", old_.c_str(), 1);
        else
            ::unsetenv("TMPDIR");
    }
    const test::TempDir& dir() const { return *dir_; }

private:
    std::string old_;
    std::unique_ptr<test::TempDir> dir_;
};

}  // namespace

TEST_CASE("HF -> Megatron -> HF is bit-identical over TP, PP, EP, ETP", "[convert]") {
    RamTempDir ram;
    const test::TempDir& dir = ram.dir();
    const fs::path src = synth_tiny(dir);
    const auto want = tensor_hashes(src);
    int n = 0;
    for (int tp : {1, 2})
        for (int pp : {1, 2, 4})
            for (int ep : {1, 2, 4, 8})
                for (int etp : {1, 2}) {
                    if (etp > tp) continue;  // legacy files are named by TP rank (see the unsupported test)
                    const std::string tag = std::to_string(tp) + "-" + std::to_string(pp) + "-" + std::to_string(ep) +
                                            "-" + std::to_string(etp);
                    INFO("tp-pp-ep-etp " << tag);
                    const fs::path mg = dir / ("mg-" + tag), back = dir / ("hf-" + tag);
                    const auto report = convert(src, mg, megatron(tp, pp, ep, etp));
                    CHECK(report.plan.files.size() == static_cast<size_t>(tp * pp * ep));
                    CHECK(fs::exists(mg / "latest_checkpointed_iteration.txt"));
                    CHECK(fs::exists(mg / kManifestName));
                    convert(mg, back, hf());
                    CHECK(tensor_hashes(back) == want);
                    fs::remove_all(mg);
                    fs::remove_all(back);
                    ++n;
                }
    CHECK(n == 36);
}

TEST_CASE("Megatron module layouts round-trip: legacy GroupedMLP, SequentialMLP, local norms", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir);
    const auto want = tensor_hashes(src);
    for (auto experts : {ExpertLayout::LegacyGrouped, ExpertLayout::Sequential}) {
        auto o = megatron(2, 2, 2, 2);
        o.experts = experts;
        o.norms = NormLayout::Local;
        const fs::path mg = dir / (std::string("mg-") + expert_layout_name(experts));
        convert(src, mg, o);
        auto ckpt = open_checkpoint(mg);
        REQUIRE(ckpt.is_ok());
        CHECK(ckpt->find("decoder.layers.0.input_layernorm.weight"));
        if (experts == ExpertLayout::LegacyGrouped)
            CHECK(ckpt->find("decoder.layers.0.mlp.experts.weight1"));
        else
            CHECK(ckpt->find("decoder.layers.0.mlp.experts.local_experts.3.linear_fc1.weight"));
        const fs::path back = dir / (std::string("hf-") + expert_layout_name(experts));
        convert(mg, back, hf());
        CHECK(tensor_hashes(back) == want);
    }
}

TEST_CASE("dense Qwen3 round-trips through Megatron", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir, "tiny-dense");
    const auto want = tensor_hashes(src);
    convert(src, dir / "mg", megatron(2, 2, 1, 0));
    auto ckpt = open_checkpoint(dir / "mg");
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->find("decoder.layers.1.mlp.linear_fc1.layer_norm_weight"));
    convert(dir / "mg", dir / "back", hf());
    CHECK(tensor_hashes(dir / "back") == want);
}

TEST_CASE("vocab padding rows are written as zeros even when a worker's buffer is reused", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir);
    auto target = megatron(2, 1, 1, 0);
    target.plan.make_vocab_size_divisible_by = 96;  // 256 -> 384 rows: rank 1 holds 64 real + 128 padding
    ConvertOptions o;
    o.source = src;
    o.out = dir / "mg";
    o.target = target;
    o.executor.threads = 1;  // one buffer: rank 0's output layer (all real rows) is in it before rank 1's embedding
    NullProgress p;
    CancelToken c;
    REQUIRE(convert_checkpoint(o, p, c).is_ok());
    auto ckpt = open_checkpoint(dir / "mg");
    REQUIRE(ckpt.is_ok());
    for (const char* name : {"embedding.word_embeddings.weight", "output_layer.weight"}) {
        INFO(name);
        const TensorInfo* t = ckpt->find(name, RankCoord{1, 0, 0});
        REQUIRE(t);
        REQUIRE(t->shape == Shape{192, 64});
        auto bytes = ckpt->read(*t);
        REQUIRE(bytes.is_ok());
        const size_t row_bytes = 64 * 2, real = 64 * row_bytes;
        size_t nonzero_real = 0, nonzero_padding = 0;
        for (size_t i = 0; i < bytes->size(); ++i)
            (i < real ? nonzero_real : nonzero_padding) += (*bytes)[i] != std::byte{0};
        CHECK(nonzero_real > real / 2);
        CHECK(nonzero_padding == 0);
    }
}

TEST_CASE("tied embeddings: PP > 1 puts the embedding's copy on the last stage as output_layer.weight", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir, "tiny-dense-tied");
    const auto want = tensor_hashes(src);
    REQUIRE(want.count("model.embed_tokens.weight"));
    REQUIRE_FALSE(want.count("lm_head.weight"));

    // One stage: Megatron skips the output layer's weight, so nothing is stored twice.
    convert(src, dir / "pp1", megatron(2, 1, 1, 0));
    for (const auto& [name, hash] : tensor_hashes(dir / "pp1")) CHECK(name.find("output_layer") == std::string::npos);

    convert(src, dir / "mg", megatron(2, 2, 1, 0));
    auto ckpt = open_checkpoint(dir / "mg");
    REQUIRE(ckpt.is_ok());
    for (int tp = 0; tp < 2; ++tp) {
        INFO("TP rank " << tp);
        const TensorInfo* first = ckpt->find("embedding.word_embeddings.weight", RankCoord{tp, 0, 0});
        const TensorInfo* last = ckpt->find("output_layer.weight", RankCoord{tp, 1, 0});
        REQUIRE(first);
        REQUIRE(last);
        CHECK_FALSE(ckpt->find("output_layer.weight", RankCoord{tp, 0, 0}));
        CHECK_FALSE(ckpt->find("embedding.word_embeddings.weight", RankCoord{tp, 1, 0}));
        CHECK(last->shape == first->shape);
        CHECK(*ckpt->read(*last) == *ckpt->read(*first));
    }
    convert(dir / "mg", dir / "back", hf());
    CHECK(tensor_hashes(dir / "back") == want);

    // Reshard to more stages keeps the copy on the new last stage; back to HF is exact.
    REQUIRE(reshard(dir / "mg", dir / "pp4", megatron(1, 4, 1, 0)).is_ok());
    auto pp4 = open_checkpoint(dir / "pp4");
    REQUIRE(pp4.is_ok());
    CHECK(pp4->find("output_layer.weight", RankCoord{0, 3, 0}));
    convert(dir / "pp4", dir / "back4", hf());
    CHECK(tensor_hashes(dir / "back4") == want);
}

TEST_CASE("HF -> fused -> HF and HF -> fused-v5 -> HF are bit-identical", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir);
    const auto want = tensor_hashes(src);
    convert(src, dir / "fused", hf(LayoutKind::HfFused));
    auto fused = open_checkpoint(dir / "fused");
    REQUIRE(fused.is_ok());
    const TensorInfo* g = fused->find("model.layers.0.mlp.experts.gate_proj");
    REQUIRE(g);
    CHECK(g->shape == Shape{8, 32, 64});
    REQUIRE(fused->find("model.layers.0.mlp.experts.down_proj"));
    CHECK(fused->find("model.layers.0.mlp.experts.down_proj")->shape == Shape{8, 64, 32});
    convert(dir / "fused", dir / "back1", hf());
    CHECK(tensor_hashes(dir / "back1") == want);

    convert(src, dir / "v5", hf(LayoutKind::HfFusedV5));
    auto v5 = open_checkpoint(dir / "v5");
    REQUIRE(v5.is_ok());
    const TensorInfo* gu = v5->find("model.layers.0.mlp.experts.gate_up_proj");
    REQUIRE(gu);
    CHECK(gu->shape == Shape{8, 64, 64});
    // gate_up[e] = [gate_e ; up_e]: check expert 3's up half against the source's up_proj bytes.
    auto src_ckpt = open_checkpoint(src);
    auto up = src_ckpt->read(*src_ckpt->find("model.layers.0.mlp.experts.3.up_proj.weight"));
    auto all = v5->read(*gu);
    REQUIRE(up.is_ok());
    REQUIRE(all.is_ok());
    const size_t expert_bytes = 64 * 64 * 2, half = 32 * 64 * 2;
    CHECK(std::equal(up->begin(), up->end(), all->begin() + 3 * expert_bytes + half));
    convert(dir / "v5", dir / "back2", hf());
    CHECK(tensor_hashes(dir / "back2") == want);
    // Fused straight to Megatron and back.
    convert(dir / "v5", dir / "mg", megatron(1, 1, 4, 1));
    convert(dir / "mg", dir / "back3", hf());
    CHECK(tensor_hashes(dir / "back3") == want);
}

TEST_CASE("reshard TP2 PP2 EP4 -> TP1 PP4 EP2 -> HF is bit-identical", "[convert]") {
    test::TempDir dir;
    const fs::path src = synth_tiny(dir);
    const auto want = tensor_hashes(src);
    convert(src, dir / "a", megatron(2, 2, 4, 2));
    auto r = reshard(dir / "a", dir / "b", megatron(1, 4, 2, 1));
    REQUIRE(r.is_ok());
    CHECK(r->plan.files.size() == 8);
    // A reshard reads Megatron tensors directly: no source is an HF name.
    for (const auto& s : r->plan.sources) CHECK(s.name.rfind("model.", 0) != 0);
    convert(dir / "b", dir / "hf", hf());
    CHECK(tensor_hashes(dir / "hf") == want);
    // reshard refuses an HF source.
    auto bad = reshard(src, dir / "c", megatron(1, 4, 2, 1));
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.status().message(), Catch::Contains("needs megatron"));
}
