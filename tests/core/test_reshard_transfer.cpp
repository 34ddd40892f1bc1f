// Reshard transfer matrix and change grid (issue 20, Deliver 7). The expected matrix of the
// tiny preset TP2·PP2·EP4 -> TP1·PP4·EP2 is worked out by hand below from the model's
// dimensions, not from the engine.
#include <catch2/catch.hpp>

#include <fstream>

#include "strata/formats/format_registry.h"
#include "strata/parallel/layout_diff.h"
#include "strata/synth/synth.h"
#include "support/temp_dir.h"

using namespace strata;

namespace {

// tiny (qwen3 presets): hidden 64, 4 layers, 8 q heads and 2 kv heads of 16, 8 experts of FFN
// 32, vocab 256, bf16. Elements per decoder layer:
constexpr uint64_t kAttention = 128 * 64 + 2 * 32 * 64 + 64 * 128;  // q, k, v, o: split over TP
constexpr uint64_t kReplicated = 64 + 16 + 16 + 64 + 8 * 64;        // norms, q/k norms, router: on every TP rank
constexpr uint64_t kExpert = 3 * 32 * 64;                           // gate, up, down: split over ETP (= TP)
constexpr uint64_t kVocabRows = 256 * 64;                           // embedding and lm_head: split over TP
constexpr uint64_t kFinalNorm = 64;

LayoutDiff tiny_reshard() {
    NullProgress progress;
    CancelToken cancel;
    auto d = diff_layouts("tiny@tp=2,pp=2,ep=4", "tp=1,pp=4,ep=2", progress, cancel);
    REQUIRE(d.is_ok());
    return std::move(*d);
}

// Source file (tp t, pp p, ep e) holds layers 2p, 2p+1 and experts 2e, 2e+1 (each half, by
// TP rank); target file (pp q, ep f) holds layer q and experts 4f..4f+3 whole. Where copies
// exist, target EP rank f reads source EP rank f (and TP rank 0 for what TP replicates).
uint64_t expected_elements(int t, int p, int e, int q, int f) {
    if (q / 2 != p) return 0;  // another stage: no common layer, embedding or head
    uint64_t n = 0;
    if (e / 2 == f) n += 2 * kExpert / 2;  // two experts, one TP half each
    if (e == f) {
        n += kAttention / 2;                                          // this TP half of q, k, v, o
        if (t == 0) n += kReplicated;                                 // the replicated copy read from TP rank 0
        if (q == 0) n += kVocabRows / 2;                              // embedding rows of this TP half
        if (q == 3) n += kVocabRows / 2 + (t == 0 ? kFinalNorm : 0);  // lm_head half, final norm
    }
    return n;
}

}  // namespace

TEST_CASE("reshard transfer tiny TP2 PP2 EP4 to TP1 PP4 EP2 matches the hand-computed matrix", "[reshard]") {
    const LayoutDiff d = tiny_reshard();
    const ReshardTransfer& t = d.transfer;
    REQUIRE(t.cells.size() == 16);
    REQUIRE(t.cells[0].size() == 8);
    // File order: pp outer, then tp, then ep (as Megatron numbers the rank folders).
    CHECK(rank_file_label(d.a.shards.layout.files[0]) == "mp_rank_00_000_000");
    CHECK(rank_file_label(d.a.shards.layout.files[13]) == "mp_rank_01_001_001");
    CHECK(rank_file_label(d.b.shards.layout.files[7]) == "mp_rank_00_003_001");
    for (int p = 0; p < 2; ++p)
        for (int tp = 0; tp < 2; ++tp)
            for (int e = 0; e < 4; ++e)
                for (int q = 0; q < 4; ++q)
                    for (int f = 0; f < 2; ++f) {
                        INFO("source tp " << tp << " pp " << p << " ep " << e << " -> target pp " << q << " ep " << f);
                        const auto& cell = t.cells[size_t(p * 8 + tp * 4 + e)][size_t(q * 2 + f)];
                        CHECK(cell.elements == expected_elements(tp, p, e, q, f));
                        CHECK(cell.bytes == 2 * cell.elements);  // bf16
                    }
    // A few cells written out: (tp0 pp0 ep0) -> (pp0 ep0) carries experts 0-1, attention,
    // the replicated norms and router, and half the embedding.
    CHECK(t.cells[0][0].bytes == 2 * (6144 + 10240 + 672 + 8192));
    CHECK(t.cells[0][0].bytes == 50496);
    CHECK(t.cells[0][2].bytes == 34112);                          // the same file's layer 1 -> target pp 1
    CHECK(t.cells[5][0].bytes == 12288);                          // tp1 ep1: only its experts 2-3
    CHECK(t.cells[2][0].bytes == 0);                              // tp0 ep2 holds experts 4-5, which target ep 1 keeps
    CHECK(t.cells[9][7].bytes == 2 * (10240 + 672 + 64 + 8192));  // tp0 pp1 ep1 -> pp3 ep1
    CHECK(t.total() == 2 * (4 * 2 * (20480 + 672 + 4 * 6144) + 2 * 16384 + 2 * (16384 + 64)));
}

TEST_CASE("reshard transfer row and column sums equal each rank file's bytes", "[reshard]") {
    const LayoutDiff d = tiny_reshard();
    const ReshardTransfer& t = d.transfer;
    for (size_t s = 0; s < t.cells.size(); ++s) {
        INFO("source file " << s);
        CHECK(t.source_bytes[s] == d.a.shards.ranks[s].bytes);
        // Nothing is sent twice here (the source holds at least as many copies as the target
        // needs), so what a file sends plus what no target needs is the whole file.
        CHECK(t.sent(s) + t.unsent[s] == t.source_bytes[s]);
        CHECK(t.sent(s) > 0);
    }
    for (size_t k = 0; k < t.cells[0].size(); ++k) {
        INFO("target file " << k);
        CHECK(t.target_bytes[k] == d.b.shards.ranks[k].bytes);
        CHECK(t.zero_fill[k] == 0);  // vocab 256 needs no padding at TP1 or TP2
        CHECK(t.received(k) == t.target_bytes[k]);
    }
    // EP ranks 2 and 3 send only experts: their dense copies are not needed by EP2.
    CHECK(t.unsent[2] == 2 * (2 * (kAttention / 2 + kReplicated) + kVocabRows / 2));
    // Target file sizes by hand: layer + 4 experts (+ embedding on pp 0, lm_head and norm on pp 3).
    CHECK(t.target_bytes[0] == 2 * (kAttention + kReplicated + 4 * kExpert + kVocabRows));
    CHECK(t.target_bytes[3] == 2 * (kAttention + kReplicated + 4 * kExpert));
    CHECK(t.target_bytes[6] == 2 * (kAttention + kReplicated + 4 * kExpert + kVocabRows + kFinalNorm));
}

TEST_CASE("reshard transfer slices of a cell add up to its bytes and name both stored tensors", "[reshard]") {
    const LayoutDiff d = tiny_reshard();
    const TransferCell& cell = d.transfer.cells[0][0];
    uint64_t n = 0;
    bool embedding = false;
    for (const auto& s : cell.slices) {
        n += s.box.numel();
        const auto& name = d.b.shards.layout.canonical[s.canonical].name;
        if (name == "model.embed_tokens.weight") {
            embedding = true;
            CHECK(box_to_string(s.box) == "[0:128, 0:64]");
            CHECK(d.a.shards.layout.tensors[s.source_tensor].name == "embedding.word_embeddings.weight");
        }
    }
    CHECK(n == cell.elements);
    CHECK(embedding);
}

TEST_CASE("reshard transfer TP2 to HF reads each replicated tensor once", "[reshard]") {
    NullProgress progress;
    CancelToken cancel;
    auto d = diff_layouts("tiny-dense@tp=2", "tiny-dense", progress, cancel);
    REQUIRE(d.is_ok());
    REQUIRE(d->transfer.cells.size() == 2);
    REQUIRE(d->transfer.cells[0].size() == 1);
    // HF target: one file, everything received, nothing zero-filled; the TP1 side of the
    // replicated norms is read from TP rank 0 only.
    CHECK(d->transfer.received(0) == d->transfer.target_bytes[0]);
    CHECK(d->transfer.unsent[0] == 0);
    CHECK(d->transfer.unsent[1] > 0);
    CHECK(d->transfer.sent(0) + d->transfer.sent(1) == d->transfer.target_bytes[0]);
}

TEST_CASE("layout diff refuses unclear sides with a message naming them", "[reshard]") {
    NullProgress progress;
    CancelToken cancel;
    auto both = diff_layouts("tp=2", "tp=1,pp=4", progress, cancel);
    REQUIRE_FALSE(both.is_ok());
    CHECK_THAT(both.status().message(), Catch::Contains("both layouts are bare plans"));
    auto missing = diff_layouts("/nonexistent/ckpt", "tp=2", progress, cancel);
    REQUIRE_FALSE(missing.is_ok());
    CHECK_THAT(missing.status().message(), Catch::Contains("'/nonexistent/ckpt' is neither a checkpoint path"));
    auto bad_axis = diff_layouts("tiny", "tp=2,qq=3", progress, cancel);
    REQUIRE_FALSE(bad_axis.is_ok());
    CHECK_THAT(bad_axis.status().message(), Catch::Contains("unknown axis 'qq'"));
    auto indivisible = diff_layouts("tiny", "tp=3", progress, cancel);
    REQUIRE_FALSE(indivisible.is_ok());
    CHECK_THAT(indivisible.status().message(), Catch::Contains("plan tp=3: TP 3 must divide"));
}

TEST_CASE("change grid of two checkpoints stored alike marks only the cells that changed", "[reshard]") {
    strata::test::TempDir tmp;
    NullProgress progress;
    CancelToken cancel;
    SynthOptions so;
    so.preset = "tiny";
    so.out = tmp / "a";
    REQUIRE(synthesize(so, progress, cancel).is_ok());
    std::filesystem::copy(tmp / "a", tmp / "b");
    // Flip one element of layer 2's o_proj in B, in place.
    std::filesystem::path file;
    uint64_t offset = 0;
    {  // the checkpoint is unmapped before the write
        auto ckpt = open_checkpoint((tmp / "b").string());
        REQUIRE(ckpt.is_ok());
        const TensorInfo* info = ckpt->find("model.layers.2.self_attn.o_proj.weight");
        REQUIRE(info);
        file = ckpt->file_of(*info).path;
        offset = info->location.offset;
    }
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(offset + 1));  // high byte of the first bf16
        f.put(char(0x40));
    }
    auto same = diff_layouts((tmp / "a").string(), (tmp / "a").string(), progress, cancel);
    REQUIRE(same.is_ok());
    REQUIRE(same->changes);
    CHECK(same->changes->changed_tensors == 0);
    CHECK(same->changes->max_relative_l2 == 0.0);

    auto d = diff_layouts((tmp / "a").string(), (tmp / "b").string(), progress, cancel);
    REQUIRE(d.is_ok());
    REQUIRE(d->changes);
    const ChangeGrid& g = *d->changes;
    REQUIRE(g.rows == std::vector<std::string>{"hf"});
    REQUIRE(g.columns.size() == 6);  // embed, 4 layers, head
    CHECK(g.changed_tensors == 1);
    for (size_t c = 0; c < g.columns.size(); ++c) {
        INFO("column " << g.columns[c]);
        CHECK((g.cells[0][c].changed == (c == 3 ? 1u : 0u)));
    }
    CHECK(g.cells[0][3].relative_l2() > 0.0);
    CHECK(g.max_relative_l2 == g.cells[0][3].relative_l2());
    // A checkpoint against a plan: the transfer matrix, but no change grid.
    auto planned = diff_layouts((tmp / "a").string(), "tp=2,ep=2", progress, cancel);
    REQUIRE(planned.is_ok());
    CHECK_FALSE(planned->changes);
    CHECK_THAT(planned->changes_note, Catch::Contains("compares two checkpoints"));
    CHECK(planned->transfer.cells.size() == 1);
    CHECK(planned->transfer.cells[0].size() == 4);
}
