// strata convert / hybridize preflight: a dry run prints the planned bytes against the free
// space; a write that does not fit is refused with both figures before anything is written
// (run under `ulimit -f` so a preflight that let it through could not fill the disk).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

using strata::test::run_cli;
using strata::test::TempDir;
namespace fs = std::filesystem;

namespace {

// run_cli with a 100 MB file-size limit on the process.
int run_cli_limited(const std::string& args, const fs::path& dir, std::string* err) {
    const fs::path err_path = dir / "stderr.txt";
    const std::string cmd =
        "ulimit -f 204800; " + std::string(STRATA_CLI_PATH) + " " + args + " >/dev/null 2>" + err_path.string();
    const int status = std::system(cmd.c_str());
    std::ifstream in(err_path);
    std::stringstream ss;
    ss << in.rdbuf();
    *err = ss.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("strata convert --dry-run reports the preflight with both figures", "[cli][convert][preflight]") {
    TempDir dir;
    const std::string d = dir.path().string();
    std::string out, err;
    REQUIRE(run_cli("synth --preset tiny --out " + d + "/tiny", &out, &err) == 0);
    REQUIRE(run_cli("convert " + d + "/tiny --to megatron --tp 2 --dry-run --out " + d + "/mg", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("preflight: the output needs"));
    CHECK_THAT(out, Catch::Contains(" free"));
    REQUIRE(run_cli("convert " + d + "/tiny --to megatron --tp 2 --dry-run --json --out " + d + "/mg", &out, &err) ==
            0);
    const auto j = nlohmann::json::parse(out);
    REQUIRE(j.contains("preflight"));
    CHECK(j["preflight"]["needed_bytes"].get<uint64_t>() == j["total_bytes"].get<uint64_t>());
    CHECK(j["preflight"]["free_bytes"].get<uint64_t>() <= fs::space(dir.path()).capacity);
    CHECK(j["preflight"]["fits"].get<bool>());
    CHECK_FALSE(fs::exists(dir / "mg"));
}

TEST_CASE("strata convert refuses an output larger than the free space unless --force-space",
          "[cli][convert][preflight]") {
    TempDir dir;
    const std::string d = dir.path().string();
    std::string out, err;
    // Llama-3.1-70B at real dims as a sparse skeleton (no data on disk); cast to F32 it is ~282 GB.
    REQUIRE(run_cli("synth --preset llama3.1-70b --sparse --out " + d + "/big", &out, &err) == 0);
    REQUIRE(run_cli("convert " + d + "/big --to hf --dtype f32 --dry-run --json --out " + d + "/f32", &out, &err) == 0);
    const auto plan = nlohmann::json::parse(out);
    const uint64_t needed = plan["preflight"]["needed_bytes"].get<uint64_t>();
    const uint64_t free_now = plan["preflight"]["free_bytes"].get<uint64_t>();
    if (needed <= free_now * 2) {  // a disk this large would take it: nothing to refuse here
        WARN("the test disk has " << free_now << " bytes free, more than half of " << needed
                                  << "; refusal not checked");
        return;
    }
    CHECK_FALSE(plan["preflight"]["fits"].get<bool>());
    CHECK(run_cli_limited("convert " + d + "/big --to hf --dtype f32 --out " + d + "/f32", dir.path(), &err) == 1);
    CHECK_THAT(err, Catch::Contains("not enough free space"));
    CHECK_THAT(err, Catch::Contains(std::to_string(needed) + " bytes"));
    CHECK_THAT(err, Catch::Contains("--force-space"));
    CHECK_FALSE(fs::exists(dir / "f32"));
}
