// Preflight (convert/preflight.h): planned output bytes against the free space of the
// output's file system. A size no disk has is refused with both figures; forcing passes;
// the nearest existing folder is the one asked; a conversion plan's files sum to its bytes.
#include <catch2/catch.hpp>

#include <filesystem>

#include "strata/convert/convert.h"
#include "strata/convert/preflight.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;

TEST_CASE("preflight refuses an output larger than any disk, with both figures", "[core][preflight]") {
    strata::test::TempDir dir;
    const uint64_t huge = uint64_t(1) << 62;  // 4.6 EB
    const fs::path out = dir / "not" / "yet" / "there";
    auto v = check_free_space(out, {{"a.safetensors", huge / 2}, {"b.safetensors", huge / 2}});
    REQUIRE(v.is_ok());
    CHECK(v->checked == fs::absolute(dir.path()));  // the nearest folder that exists
    CHECK(v->files == 2);
    CHECK(v->needed_bytes == huge);
    CHECK(v->free_bytes > 0);
    CHECK(v->free_bytes <= fs::space(dir.path()).capacity);
    CHECK_FALSE(v->fits());
    const Status refused = require_free_space(*v, false);
    CHECK(refused.code() == StatusCode::Io);
    CHECK_THAT(refused.to_string(), Catch::Contains(std::to_string(huge) + " bytes"));
    CHECK_THAT(refused.to_string(), Catch::Contains(std::to_string(v->free_bytes) + " bytes"));
    CHECK_THAT(refused.to_string(), Catch::Contains("--force-space"));
    CHECK(require_free_space(*v, true).is_ok());

    auto small = check_free_space(out, {{"a.safetensors", 1000}});
    REQUIRE(small.is_ok());
    CHECK(small->fits());
    CHECK(require_free_space(*small, false).is_ok());
}

TEST_CASE("preflight rejects sizes that overflow", "[core][preflight]") {
    strata::test::TempDir dir;
    auto v = check_free_space(dir / "x", {{"a", UINT64_MAX}, {"b", 2}});
    REQUIRE_FALSE(v.is_ok());
    CHECK(v.status().code() == StatusCode::InvalidArgument);
}

TEST_CASE("convert_checkpoint reports the preflight on a dry run, and its files sum to the plan", "[core][preflight]") {
    strata::test::TempDir dir;
    strata::test::synth_ok(dir / "tiny", "tiny");
    ConvertOptions o;
    o.source = dir / "tiny";
    o.out = dir / "mg";
    o.target.kind = LayoutKind::Megatron;
    o.target.plan.tp = 2;
    o.target.plan.ep = 2;
    o.dry_run = true;
    NullProgress p;
    CancelToken c;
    auto r = convert_checkpoint(o, p, c);
    REQUIRE(r.is_ok());
    REQUIRE(r->space);
    CHECK(r->space->needed_bytes == r->plan.total_bytes());
    CHECK(r->space->files == r->plan.files.size());
    CHECK(r->space->fits());
    const auto files = planned_output_files(r->plan);
    REQUIRE(files.size() == 4);  // tp2 x ep2 rank files
    uint64_t sum = 0;
    for (const auto& f : files) {
        CHECK(f.bytes > 0);
        sum += f.bytes;
    }
    CHECK(sum == r->plan.total_bytes());
    CHECK_FALSE(fs::exists(dir / "mg"));
}

TEST_CASE("a byte phase's progress line has sizes, rate and ETA", "[core][preflight][progress]") {
    ProgressReading r{"convert", 400'000'000, 70'400'000'000, 4.0, true};
    CHECK(describe_progress(r) == "convert: 400.0 MB of 70.4 GB (0.6%), 100.0 MB/s, ETA 11 min 40 s");
    r.bytes = false;
    r.done = 37;
    r.total = 120;
    CHECK(describe_progress(r) == "convert: 37 of 120 (30.8%)");
    AtomicProgress p;
    p.begin_bytes("hybridize", 1000);
    p.advance(250);
    const ProgressReading got = p.reading();
    CHECK(got.bytes);
    CHECK(got.done == 250);
    CHECK(got.total == 1000);
    CHECK(got.label == "hybridize");
    p.begin("statistics", 10);
    CHECK_FALSE(p.reading().bytes);
}
