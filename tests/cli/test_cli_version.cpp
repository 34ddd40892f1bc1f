// strata --version, and what the CUDA plug-in loader says when the plug-in is missing or foreign.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "strata/kernels/backend.h"
#include "support/temp_dir.h"

using strata::test::run_cli;

namespace {

// Sets an environment variable for the CLI runs of one test case, and restores it.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old, had_ = true;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() { had_ ? ::setenv(name_, old_.c_str(), 1) : ::unsetenv(name_); }

private:
    const char* name_;
    std::string old_;
    bool had_ = false;
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    for (std::string l; std::getline(ss, l);) out.push_back(l);
    return out;
}

}  // namespace

TEST_CASE("strata --version names the version, the commit and the CUDA backend", "[cli][version]") {
    std::string out;
    REQUIRE(run_cli("--version", &out) == 0);
    const auto l = lines(out);
    REQUIRE(l.size() == 3);
    CHECK(l[0] == "strata 0.1.0");
    CHECK_THAT(l[1], Catch::StartsWith("commit "));
    CHECK(l[1].size() > 7);
    CHECK_THAT(l[2], Catch::StartsWith(strata::kernels::cuda_compiled_in() ? "CUDA backend: built"
                                                                           : "CUDA backend: not built"));
}

TEST_CASE("a missing CUDA plug-in is named, and --device cuda refuses without writing", "[cli][version][cuda]") {
    strata::test::TempDir dir;
    const std::string missing = (dir / "nowhere" / "libstrata_cuda.so").string();
    ScopedEnv env("STRATA_CUDA_PLUGIN", missing);
    std::string out, err;
    REQUIRE(run_cli("--version", &out) == 0);
    if (strata::kernels::cuda_compiled_in())
        CHECK_THAT(out, Catch::Contains("plug-in libstrata_cuda.so is not installed (looked in " + missing + ")"));

    REQUIRE(run_cli("synth --preset tiny --out " + (dir / "tiny").string()) == 0);
    const int rc = run_cli(
        "convert " + (dir / "tiny").string() + " --to megatron --tp 1 --device cuda --out " + (dir / "out").string(),
        &out, &err);
    CHECK(rc != 0);
    CHECK_THAT(err, Catch::Contains("--device cuda"));
    if (strata::kernels::cuda_compiled_in()) CHECK_THAT(err, Catch::Contains(missing));
    CHECK_FALSE(std::filesystem::exists(dir / "out"));
}

TEST_CASE("a shared library that is not Strata's CUDA plug-in is refused by name", "[cli][version][cuda]") {
    if (!strata::kernels::cuda_compiled_in()) return;
    const std::string foreign = "/lib/x86_64-linux-gnu/libm.so.6";
    if (!std::filesystem::exists(foreign)) return;
    ScopedEnv env("STRATA_CUDA_PLUGIN", foreign);
    std::string out;
    REQUIRE(run_cli("--version", &out) == 0);
    CHECK_THAT(out, Catch::Contains("the CUDA backend plug-in " + foreign + " belongs to another build of Strata"));
}
