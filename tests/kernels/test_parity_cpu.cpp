// The parity harness checked on the CPU alone: every case runs (CPU against itself must
// agree exactly: the CPU backend is deterministic), and the comparison catches errors.
// The CUDA comparison is the separate kernels_cuda_parity test (SKIPPED without a GPU).
#include <catch2/catch.hpp>

#include <cmath>

#include "parity/parity_cases.h"

using namespace strata::kernels;

TEST_CASE("parity harness: every op has a case and cpu agrees with itself", "[kernels][parity]") {
    bool covered[kOpCount] = {};
    for (const auto& c : test::parity_cases()) {
        covered[static_cast<int>(c.op)] = true;
        const auto r = test::run_parity(c, cpu_backend());
        INFO(c.name << ": " << r.detail);
        CHECK(r.ok);
        CHECK(r.max_error == 0.0);
    }
    for (int i = 0; i < kOpCount; ++i) {
        INFO("op " << op_name(static_cast<Op>(i)));
        CHECK(covered[i]);
    }
}

TEST_CASE("parity harness: compare_outputs flags what it should", "[kernels][parity]") {
    CHECK(test::compare_outputs({1.0f, NAN}, {1.0f, NAN}, 0.0).ok);
    auto r = test::compare_outputs({1.0f, 2.0f + 1e-3f}, {1.0f, 2.0f}, 1e-5);
    CHECK_FALSE(r.ok);
    CHECK(r.detail.find("element 1") != std::string::npos);
    CHECK_FALSE(test::compare_outputs({NAN}, {1.0f}, 1.0).ok);
    CHECK_FALSE(test::compare_outputs({INFINITY}, {1e30f}, 1.0).ok);
    CHECK_FALSE(test::compare_outputs({1.0f}, {1.0f, 2.0f}, 1.0).ok);
    CHECK(test::compare_outputs({100.0f + 1e-4f}, {100.0f}, 1e-5).ok);  // relative to 1 + |want|
}
