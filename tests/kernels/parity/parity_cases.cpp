#include "parity/parity_cases.h"

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

#include "parity/parity_util.h"
#include "strata/kernels/scalar_types.h"

namespace strata::kernels::test {

namespace {

std::vector<float> special_values(size_t n, uint32_t seed) {
    auto v = randn(n, seed, 30.0f);
    const float specials[] = {0.0f,     -0.0f,    NAN,   INFINITY, -INFINITY, 448.0f,   500.0f,  -1e6f,
                              65504.0f, 65520.0f, 1e-8f, 0x1p-9f,  0x1p-16f,  0x1p-24f, 3.0e38f, 1.0f + 0x1p-8f};
    for (size_t i = 0; i < std::size(specials) && i < n; ++i) v[i * 7] = specials[i];
    return v;
}

void add_cast_cases(std::vector<ParityCase>& cs) {
    const ScalarType types[] = {ScalarType::F32, ScalarType::F16, ScalarType::BF16, ScalarType::F8E4M3,
                                ScalarType::F8E5M2};
    for (ScalarType s : types)
        for (ScalarType d : types) {
            if (s == d) continue;
            cs.push_back({"cast " + std::string(scalar_name(s)) + "->" + std::string(scalar_name(d)), Op::Cast, 0.0,
                          [s, d](Backend& be, std::vector<float>& out) -> KStatus {
                              const auto v = special_values(70001, 11);
                              // Source bytes come from the CPU's encoding so both sides start equal.
                              std::vector<uint8_t> src(v.size() * scalar_size(s));
                              STRATA_KTRY(cpu_backend().cast(v.data(), ScalarType::F32, src.data(), s, v.size()));
                              Arena ar{be, {}, {}};
                              auto* ps = ar.put(src);
                              auto* pd = ar.zeros<uint8_t>(v.size() * scalar_size(d));
                              STRATA_KTRY(ar.status);
                              STRATA_KTRY(be.cast(ps, s, pd, d, v.size()));
                              std::vector<uint8_t> raw(v.size() * scalar_size(d));
                              STRATA_KTRY(be.download(*ar.bufs[1], raw.data(), raw.size()));
                              out.resize(v.size());
                              return cpu_backend().cast(raw.data(), d, out.data(), ScalarType::F32, v.size());
                          }});
        }
}

}  // namespace

ParityResult compare_outputs(const std::vector<float>& got, const std::vector<float>& want, double tol) {
    ParityResult r;
    if (got.size() != want.size()) {
        r.detail = "output sizes differ: " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
        return r;
    }
    size_t first = got.size();
    for (size_t i = 0; i < got.size(); ++i) {
        const double g = got[i], w = want[i];
        double e;
        if (std::isnan(g) || std::isnan(w))
            e = std::isnan(g) && std::isnan(w) ? 0.0 : INFINITY;
        else if (g == w)
            e = 0.0;
        else
            e = std::isinf(g) || std::isinf(w) ? INFINITY : std::fabs(g - w) / (1.0 + std::fabs(w));
        if (e > r.max_error) r.max_error = e;
        if (e > tol && first == got.size()) first = i;
    }
    r.ok = first == got.size();
    if (!r.ok) {
        std::ostringstream os;
        os << "element " << first << ": got " << got[first] << ", want " << want[first] << " (max error " << r.max_error
           << ", tolerance " << tol << ")";
        r.detail = os.str();
    }
    return r;
}

ParityResult run_parity(const ParityCase& c, Backend& be) {
    ParityResult r;
    if (!be.supports(c.op)) {
        r.detail = std::string(be.name()) + " does not support " + std::string(op_name(c.op));
        return r;
    }
    std::vector<float> got, want;
    if (KStatus s = c.run(be, got); !s.ok()) {
        r.detail = std::string(be.name()) + ": " + s.message();
        return r;
    }
    if (KStatus s = c.run(cpu_backend(), want); !s.ok()) {
        r.detail = "cpu: " + s.message();
        return r;
    }
    return compare_outputs(got, want, c.tolerance);
}

void add_op_cases(std::vector<ParityCase>& cs);  // parity_ops.cpp

const std::vector<ParityCase>& parity_cases() {
    static const std::vector<ParityCase> cases = [] {
        std::vector<ParityCase> cs;
        add_cast_cases(cs);
        add_op_cases(cs);
        return cs;
    }();
    return cases;
}

}  // namespace strata::kernels::test
