// Output safety (issue 16): --force never replaces the source or a folder related to it,
// only a previous Strata output; temporaries name their owner and a later run removes
// the dead ones; a source changed or truncated during a conversion fails it cleanly.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <xxhash.h>

#include <csignal>
#include <fstream>
#include <functional>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/io/atomic_output.h"
#include "strata/io/output_guard.h"
#include "strata/io/sigbus_guard.h"
#include "strata/io/temp_sweep.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

uint64_t tree_hash(const fs::path& folder) {
    uint64_t h = 0;
    for (const auto& name : test::list_tree(folder)) {
        if (fs::is_directory(folder / name)) continue;
        const auto bytes = test::read_file(folder / name);
        h = h * 31 + XXH3_64bits(bytes.data(), bytes.size()) + XXH3_64bits(name.data(), name.size());
    }
    return h;
}

ConvertOptions to_megatron(const fs::path& src, const fs::path& out, bool force = false) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target.kind = LayoutKind::Megatron;
    o.overwrite = force;
    return o;
}

Result<ConvertReport> run(const ConvertOptions& o, ProgressSink& p) {
    CancelToken c;
    return convert_checkpoint(o, p, c);
}

// The pid of a process that has exited (and been reaped): no process owns it now.
long dead_pid() {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return pid;
}

struct Lines final : ProgressSink {
    std::vector<std::string> lines;
    std::function<void()> on_begin;
    void begin(std::string_view label, uint64_t) override {
        if (label == "convert" && on_begin) on_begin();
    }
    void advance(uint64_t) override {}
    void log(std::string_view line) override { lines.emplace_back(line); }
};

}  // namespace

TEST_CASE("output: --force never replaces the source or a folder that contains it or lies inside it",
          "[output][force]") {
    test::TempDir dir;
    fs::create_directories(dir / "parent");
    const fs::path src = test::synth_ok(dir / "parent/tiny");
    const uint64_t before = tree_hash(src);
    NullProgress p;
    // The issue's repro: strata convert t --to megatron --tp 1 --out t --force deleted t.
    for (const fs::path& out : {src, dir / "parent", src / "mg", fs::path(src.string() + "/"), src / ".." / "tiny"}) {
        INFO(out.string());
        auto r = run(to_megatron(src, out, /*force=*/true), p);
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().code() == StatusCode::InvalidArgument);
        CHECK_THAT(r.status().message(), Catch::Contains("source"));
    }
    CHECK(tree_hash(src) == before);
    // A source given as one of its files: the folders holding it are protected too.
    for (const auto& e : fs::directory_iterator(src)) {
        CHECK_FALSE(check_output_target(dir / "parent", {e.path()}, true, true).is_ok());
        CHECK_FALSE(check_output_target(e.path(), {e.path()}, true, false).is_ok());
    }
    CHECK(check_output_target(dir / "elsewhere", {src}, true, true).is_ok());
    CHECK(tree_hash(src) == before);
}

TEST_CASE("output: --force replaces a previous Strata output, and nothing else", "[output][force]") {
    test::TempDir dir;
    const fs::path src = test::synth_ok(dir / "tiny");
    NullProgress p;
    REQUIRE(run(to_megatron(src, dir / "mg"), p).is_ok());
    CHECK(is_strata_output(dir / "mg"));
    CHECK(is_strata_output(src));  // synth outputs carry a manifest too
    // Without --force: refused; with it: replaced.
    CHECK_FALSE(run(to_megatron(src, dir / "mg"), p).is_ok());
    REQUIRE(run(to_megatron(src, dir / "mg", true), p).is_ok());
    // A folder Strata did not write is never replaced, even with --force.
    fs::create_directories(dir / "mine");
    test::write_file(dir / "mine/notes.txt", std::string("keep me"));
    auto r = run(to_megatron(src, dir / "mine", true), p);
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Catch::Contains("not a Strata output"));
    CHECK(fs::exists(dir / "mine/notes.txt"));
    // Nor a file.
    test::write_file(dir / "file", std::string("x"));
    CHECK_FALSE(run(to_megatron(src, dir / "file", true), p).is_ok());
    CHECK(fs::exists(dir / "file"));
}

TEST_CASE("temporaries name their owner, a later run removes dead owners' and says so", "[output][temps]") {
    test::TempDir dir;
    const fs::path src = test::synth_ok(dir / "tiny");
    const std::string host = this_host();
    const long dead = dead_pid();
    // What a killed run leaves: a half-written folder and a previous output moved aside.
    const fs::path stale = dir / ("mg.strata-tmp-" + std::to_string(dead) + "-0@" + host);
    fs::create_directories(stale / "release");
    test::write_file(stale / "release/partial", std::string(1000, 'x'));
    const fs::path live = dir / ("other.strata-tmp-" + std::to_string(::getppid()) + "-0@" + host);
    fs::create_directories(live);
    const fs::path foreign = dir / "x.strata-tmp-1-0@some-other-host";
    fs::create_directories(foreign);

    auto owner = parse_temp_name(stale.filename().string());
    REQUIRE(owner);
    CHECK(owner->pid == dead);
    CHECK(owner->host == host);
    CHECK(owner->final_name == "mg");
    CHECK_FALSE(owner_alive(*owner));
    CHECK(parse_temp_name(make_temp_name("out", 7))->pid == ::getpid());
    CHECK_FALSE(parse_temp_name("model.safetensors"));

    // dry run: listed, nothing removed
    auto listed = sweep_stale_temps(dir.path(), true);
    REQUIRE(listed.size() == 3);
    CHECK(fs::exists(stale));

    Lines lines;
    REQUIRE(run(to_megatron(src, dir / "mg"), lines).is_ok());
    CHECK_FALSE(fs::exists(stale));
    CHECK(fs::exists(live));     // its owner (our parent) is alive
    CHECK(fs::exists(foreign));  // cannot tell on another host
    REQUIRE(lines.lines.size() >= 1);
    CHECK_THAT(lines.lines[0], Catch::Contains("removed stale temporary") && Catch::Contains(stale.string()) &&
                                   Catch::Contains("process " + std::to_string(dead)) && Catch::Contains("is gone"));
    // The run's own temporary carries pid and host; none is left once it is done.
    for (const auto& e : fs::directory_iterator(dir.path())) {
        const auto o = parse_temp_name(e.path().filename().string());
        if (o) CHECK(o->pid != ::getpid());
    }
}

TEST_CASE("a previous output moved aside by a killed --force is put back", "[output][temps]") {
    test::TempDir dir;
    const long dead = dead_pid();
    const fs::path old = dir / ("mg.strata-tmp-" + std::to_string(dead) + "-3@" + this_host() + ".old");
    fs::create_directories(old);
    test::write_file(old / kStrataManifestName, std::string("{\"strata_manifest\": 1}"));
    auto swept = sweep_stale_temps(dir.path(), false);
    REQUIRE(swept.size() == 1);
    CHECK(swept[0].action == SweptTemp::Action::Restored);
    CHECK(is_strata_output(dir / "mg"));
    CHECK_FALSE(fs::exists(old));
}

TEST_CASE("a source that changes during a conversion fails it cleanly", "[output][source]") {
    test::TempDir dir;
    const fs::path src = test::synth_ok(dir / "tiny");
    fs::path shard;
    for (const auto& e : fs::directory_iterator(src))
        if (e.path().extension() == ".safetensors") shard = e.path();
    REQUIRE_FALSE(shard.empty());
    Lines grow;
    grow.on_begin = [&] {  // appended to once the source is open: size and mtime change
        std::ofstream f(shard, std::ios::app | std::ios::binary);
        f << "x";
    };
    auto r = run(to_megatron(src, dir / "mg"), grow);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::Io);
    CHECK_THAT(r.status().to_string(), Catch::Contains(shard.filename().string()) && Catch::Contains("changed size"));
    CHECK_FALSE(fs::exists(dir / "mg"));
}

TEST_CASE("a source truncated during a conversion is the same clean error, not SIGBUS", "[output][source][sigbus]") {
    test::TempDir dir;
    for (int threads : {1, 4}) {
        INFO("threads " << threads);
        const fs::path src = test::synth_ok(dir / ("tiny" + std::to_string(threads)));
        fs::path shard;
        for (const auto& e : fs::directory_iterator(src))
            if (e.path().extension() == ".safetensors") shard = e.path();
        REQUIRE_FALSE(shard.empty());
        Lines cut;
        cut.on_begin = [&] { fs::resize_file(shard, 4096); };  // its mapped pages past 4 KiB now raise SIGBUS
        auto o = to_megatron(src, dir / "mg");
        o.executor.threads = threads;
        auto r = run(o, cut);
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().code() == StatusCode::Io);
        CHECK_THAT(r.status().to_string(), Catch::Contains("changed size"));
        CHECK_FALSE(fs::exists(dir / "mg"));
    }
    // Outside a guard nothing changes; inside, a SIGBUS returns false.
    CHECK(catching_sigbus([] {}));
    CHECK_FALSE(catching_sigbus([] { ::raise(SIGBUS); }));
}

TEST_CASE("reading a tensor of a source truncated after open is an error, not SIGBUS", "[output][source][sigbus]") {
    test::TempDir dir;
    const fs::path src = test::synth_ok(dir / "tiny");
    auto ckpt = open_checkpoint(src);
    REQUIRE(ckpt.is_ok());
    const TensorInfo* last = &ckpt->tensors.front();
    for (const auto& t : ckpt->tensors)
        if (t.location.offset > last->location.offset) last = &t;
    fs::resize_file(ckpt->file_of(*last).path, 4096);  // diff, forward and stats read through here too
    auto bytes = ckpt->read(*last);
    REQUIRE_FALSE(bytes.is_ok());
    CHECK(bytes.status().code() == StatusCode::Io);
    CHECK_THAT(bytes.status().to_string(), Catch::Contains("changed size"));
}
