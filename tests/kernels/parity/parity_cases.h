// The backend parity harness (DESIGN.md "Kernels", after ggml's test-backend-ops): every
// op runs on deterministic inputs on a backend and on the CPU reference, outputs come
// back as f32 and are compared with a per-case tolerance (exact for casts, copies,
// counts and indices; ~1e-5 relative for f32 arithmetic).
// Usage: for (auto& c : parity_cases()) { auto r = run_parity(c, *backend_by_name("cuda")); CHECK(r.ok); }
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "strata/kernels/backend.h"

namespace strata::kernels::test {

struct ParityCase {
    std::string name;
    Op op;
    // Largest allowed |got - want| / (1 + |want|); 0 = bit-equal as floats (NaN == NaN).
    double tolerance;
    // Runs the op on `be` and returns its outputs flattened to f32.
    std::function<KStatus(Backend& be, std::vector<float>& out)> run;
};

struct ParityResult {
    bool ok = false;
    double max_error = 0;  // in the tolerance's metric
    std::string detail;    // first mismatch or the failing status, empty when ok
};

const std::vector<ParityCase>& parity_cases();
ParityResult compare_outputs(const std::vector<float>& got, const std::vector<float>& want, double tolerance);
ParityResult run_parity(const ParityCase& c, Backend& backend);

}  // namespace strata::kernels::test
