// diff settles tensors by the Strata manifests on both sides (diff/manifest_hashes.h): equal
// conversions in the same layout are found equal without reading, and anything that makes the
// hashes untrustworthy or different (a data file rewritten after the manifest, another layout,
// other values) falls back to reading and still finds the difference.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "strata/convert/convert.h"
#include "strata/diff/diff.h"
#include "strata/formats/format_registry.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
using namespace strata::test;
namespace fs = std::filesystem;

namespace {

void convert_ok(const fs::path& src, const fs::path& out, LayoutKind kind, int tp = 1, int ep = 1) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target.kind = kind;
    o.target.plan.tp = tp;
    o.target.plan.ep = ep;
    NullProgress p;
    CancelToken c;
    auto r = convert_checkpoint(o, p, c);
    if (!r) FAIL(r.status().to_string());
}

DiffReport diff(const fs::path& a, const fs::path& b, bool use_manifests = true) {
    const Checkpoint ca = open_ok(a), cb = open_ok(b);
    auto va = CanonicalView::open(ca, {});
    auto vb = CanonicalView::open(cb, {});
    REQUIRE(va.is_ok());
    REQUIRE(vb.is_ok());
    NullProgress p;
    CancelToken c;
    auto r = diff_views(*va, *vb, {0.0, 2, use_manifests}, p, c);
    REQUIRE(r.is_ok());
    return std::move(*r);
}

}  // namespace

TEST_CASE("diff settles equal tensors by both manifests, and reads whatever they cannot vouch for", "[diff]") {
    TempDir dir;
    const fs::path src = synth_ok(dir / "tiny", "tiny");
    convert_ok(src, dir / "a", LayoutKind::Megatron, 2, 2);
    convert_ok(src, dir / "b", LayoutKind::Megatron, 2, 2);
    convert_ok(src, dir / "c", LayoutKind::Megatron, 2, 4);
    convert_ok(src, dir / "h", LayoutKind::Hf);

    DiffReport r = diff(dir / "a", dir / "b");
    CHECK(r.equal());
    CHECK(r.settled_by_manifests == r.compared);
    CHECK(diff(dir / "a", dir / "b", false).settled_by_manifests == 0);
    CHECK(diff(dir / "a", dir / "c").settled_by_manifests == 0);  // another layout: read
    CHECK(diff(dir / "a", dir / "h").settled_by_manifests == 0);  // HF on one side: read
    CHECK(diff(dir / "a", src).settled_by_manifests == 0);        // no manifest on one side

    // A rank file rewritten after the conversion (one value changed): its manifest is stale,
    // so everything is read and the change is found.
    const fs::path rank = dir / "b/iter_0000001/mp_rank_01_001/model_optim_rng.pt";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    {
        std::fstream f(rank, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(fs::file_size(rank) / 2));
        f.put('\x5a');
    }
    fs::last_write_time(rank, fs::last_write_time(dir / "b" / kManifestName) + std::chrono::seconds(1));
    r = diff(dir / "a", dir / "b");
    CHECK(r.settled_by_manifests == 0);
    CHECK_FALSE(r.equal());
}
