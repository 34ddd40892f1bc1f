// Reliability from the command line (issue 16): hostile inputs exit non-zero below 124
// with one line; --force never eats the source; `strata clean`; and the crash-safety
// trial: conversions killed with SIGKILL at random points leave either nothing or a
// complete output that its manifest verifies, the source unchanged, and no temporary
// after the next run.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "strata/formats/format_registry.h"
#include "strata/io/atomic_output.h"
#include "strata/io/temp_sweep.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using strata::test::run_cli;
using strata::test::TempDir;
namespace fs = std::filesystem;

namespace {

uint64_t tree_hash(const fs::path& folder) {
    uint64_t h = 0;
    for (const auto& name : strata::test::list_tree(folder)) {
        if (fs::is_directory(folder / name)) continue;
        const auto bytes = strata::test::read_file(folder / name);
        h = h * 31 + XXH3_64bits(bytes.data(), bytes.size()) + XXH3_64bits(name.data(), name.size());
    }
    return h;
}

int temps_in(const fs::path& folder) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(folder)) n += strata::is_atomic_temp_name(e.path().filename().string());
    return n;
}

// True when `out` opens and every tensor its manifest lists has the recorded xxh3.
bool verified_by_manifest(const fs::path& out, std::string* why) {
    const auto text = strata::test::read_file(out / "strata-manifest.json");
    auto manifest = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (manifest.is_discarded() || !manifest.contains("tensors")) return *why = "no manifest", false;
    auto ckpt = strata::open_checkpoint(out);
    if (!ckpt) return *why = ckpt.status().to_string(), false;
    std::map<std::pair<std::string, std::string>, const strata::TensorInfo*> by_file;
    for (const auto& t : ckpt->tensors) by_file[{ckpt->file_of(t).display_name, t.name}] = &t;
    if (manifest["tensors"].size() != ckpt->tensors.size()) return *why = "tensor count differs", false;
    for (const auto& m : manifest["tensors"]) {
        auto it = by_file.find({m["file"].get<std::string>(), m["name"].get<std::string>()});
        if (it == by_file.end()) return *why = "missing " + m["name"].get<std::string>(), false;
        auto bytes = ckpt->read(*it->second);
        if (!bytes) return *why = bytes.status().to_string(), false;
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx",
                      static_cast<unsigned long long>(XXH3_64bits(bytes->data(), bytes->size())));
        if (m["xxh3"].get<std::string>() != hex)
            return *why = "hash differs for " + m["name"].get<std::string>(), false;
    }
    return true;
}

// Starts `strata args...` with stdout/stderr to /dev/null; returns its pid.
pid_t spawn_cli(const std::vector<std::string>& args) {
    std::fflush(nullptr);  // nothing buffered here may be written twice by the child
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::dup2(null, 2);
        std::vector<char*> argv;
        std::string prog = STRATA_CLI_PATH;
        argv.push_back(prog.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(prog.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

}  // namespace

TEST_CASE("cli: convert --out SOURCE --force refuses and keeps the source", "[cli][reliability][force]") {
    TempDir dir;
    const std::string d = dir.path().string();
    REQUIRE(run_cli("synth --preset tiny --out " + d + "/t") == 0);
    const uint64_t before = tree_hash(dir / "t");
    std::string out, err;
    const int rc = run_cli("convert " + d + "/t --to megatron --tp 1 --out " + d + "/t --force", &out, &err);
    CHECK(rc > 0);
    CHECK(rc < 124);
    CHECK_THAT(err, Catch::Contains("never replaces its input"));
    CHECK(tree_hash(dir / "t") == before);
    CHECK(run_cli("convert " + d + "/t --to megatron --tp 1 --out " + d + " --force") != 0);
    CHECK(tree_hash(dir / "t") == before);
}

TEST_CASE("cli: hostile inputs exit non-zero below 124 with one line", "[cli][reliability][hostile]") {
    TempDir dir;
    const std::string d = dir.path().string();
    REQUIRE(run_cli("synth --preset tiny --out " + d + "/m") == 0);
    strata::test::write_file(dir / "m/config.json", std::string(R"({"num_hidden_layers":1e400})"));
    std::string out, err;
    int rc = run_cli("inspect " + d + "/m", &out, &err);
    CHECK(rc > 0);
    CHECK(rc < 124);
    CHECK_THAT(err, Catch::Contains("config.json"));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    const auto t0 = std::chrono::steady_clock::now();
    rc = run_cli("pattern --attn-layers 0-99999999 --layers 25", &out, &err);
    CHECK(rc > 0);
    CHECK(rc < 124);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    CHECK_THAT(err, Catch::Contains("runs past the last layer"));
    rc = run_cli("pattern --ratios 0.5,0.5 --layers 2000000000", &out, &err);
    CHECK(rc > 0);
    CHECK(rc < 124);
}

TEST_CASE("cli: strata clean removes dead runs' temporaries and says so", "[cli][reliability][clean]") {
    TempDir dir;
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    const std::string name = "mg.strata-tmp-" + std::to_string(child) + "-0@" + strata::this_host();
    fs::create_directories(dir / name / "release");
    strata::test::write_file(dir / name / "release/x", std::string(2048, 'x'));
    std::string out, err;
    REQUIRE(run_cli("clean " + dir.path().string() + " --dry-run", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("would remove stale temporary") && Catch::Contains(name));
    CHECK(fs::exists(dir / name));
    REQUIRE(run_cli("clean " + dir.path().string(), &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("removed stale temporary") && Catch::Contains("process " + std::to_string(child)) &&
                        Catch::Contains("is gone"));
    CHECK_FALSE(fs::exists(dir / name));
    REQUIRE(run_cli("clean " + dir.path().string(), &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("no Strata temporaries"));
    CHECK(run_cli("clean " + dir.path().string() + "/nope", &out, &err) != 0);
}

TEST_CASE("cli: kill -9 at random points never leaves a finished-looking partial output", "[cli][reliability][crash]") {
    TempDir dir;
    const fs::path src = strata::test::synth_ok(dir / "src");
    const uint64_t source_hash = tree_hash(src);
    const fs::path out = dir / "out";
    const std::vector<std::string> convert = {"convert", src.string(), "--to",       "megatron", "--tp",
                                              "2",       "--out",      out.string(), "--force"};
    // How long one conversion takes here (process start included), to spread the kills over it.
    const auto t0 = std::chrono::steady_clock::now();
    {
        const pid_t pid = spawn_cli(convert);
        int status = 0;
        ::waitpid(pid, &status, 0);
        REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    }
    const auto full = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    fs::remove_all(out);

    std::mt19937 rng(16);
    const int trials = 20;
    int killed = 0, finished = 0, partial = 0, temps_after_next = 0, absent = 0;
    for (int trial = 0; trial < trials; ++trial) {
        INFO("trial " << trial);
        const auto delay = std::chrono::microseconds(
            std::uniform_int_distribution<long>(0, static_cast<long>(full.count() * 11 / 10))(rng));
        const pid_t pid = spawn_cli(convert);
        std::this_thread::sleep_for(delay);
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (WIFSIGNALED(status))
            ++killed;
        else
            ++finished;
        // The output is absent or complete and verified by its manifest (a --force killed while
        // replacing may leave the previous output aside; the next run puts it back).
        if (fs::exists(out)) {
            std::string why;
            const bool ok = verified_by_manifest(out, &why);
            INFO(why);
            CHECK(ok);
            partial += !ok;
        } else {
            ++absent;
        }
        CHECK(tree_hash(src) == source_hash);
        // The next run removes what the killed one left, and succeeds.
        const pid_t next = spawn_cli(convert);
        int next_status = 0;
        ::waitpid(next, &next_status, 0);
        CHECK((WIFEXITED(next_status) && WEXITSTATUS(next_status) == 0));
        const int left = temps_in(dir.path());
        CHECK(left == 0);
        temps_after_next += left;
        std::string why;
        CHECK(verified_by_manifest(out, &why));
        if (trial % 2 == 0) fs::remove_all(out);  // odd trials kill a --force that replaces a previous output
    }
    std::cout << "kill -9 trials: " << trials << " (killed mid-run " << killed << ", finished first " << finished
              << "; output absent " << absent << "), finished-looking partial outputs: " << partial
              << ", temporaries left after the next run: " << temps_after_next << "\n";
    CHECK(partial == 0);
    CHECK(temps_after_next == 0);
    CHECK(killed >= trials / 2);
}
