// Per-position logits statistics for `strata compare`.
#include "strata/forward/logits_compare.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace strata {
namespace {

int32_t argmax(std::span<const float> row) {
    int32_t best = 0;
    for (size_t i = 1; i < row.size(); ++i)
        if (row[i] > row[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
    return best;
}

// log-softmax in f64 so a KL of identical rows is exactly 0 and tiny differences survive.
void log_softmax(std::span<const float> row, std::vector<double>& out) {
    double mx = -INFINITY;
    for (float v : row) mx = std::max(mx, static_cast<double>(v));
    double sum = 0.0;
    for (float v : row) sum += std::exp(static_cast<double>(v) - mx);
    const double lse = mx + std::log(sum);
    out.resize(row.size());
    for (size_t i = 0; i < row.size(); ++i) out[i] = static_cast<double>(row[i]) - lse;
}

}  // namespace

std::optional<uint64_t> LogitsComparison::first_divergent(double tolerance) const {
    for (uint64_t t = 0; t < positions.size(); ++t)
        if (!positions[t].finite || positions[t].max_abs > tolerance) return t;
    return std::nullopt;
}

Result<LogitsComparison> compare_logits(std::span<const float> a, std::span<const float> b, uint64_t tokens,
                                        uint64_t vocab) {
    if (vocab == 0) return Status::invalid_argument("compare: vocab is 0");
    if (a.size() != tokens * vocab || b.size() != tokens * vocab)
        return Status::invalid_argument("compare: logits of " + std::to_string(a.size()) + " and " +
                                        std::to_string(b.size()) + " values for " + std::to_string(tokens) +
                                        " positions x " + std::to_string(vocab) + " vocab");
    LogitsComparison c;
    c.tokens = tokens;
    c.vocab = vocab;
    c.positions.resize(tokens);
    double total_abs = 0.0;
    uint64_t agree = 0;
    std::vector<double> la, lb;
    for (uint64_t t = 0; t < tokens; ++t) {
        const auto ra = a.subspan(t * vocab, vocab);
        const auto rb = b.subspan(t * vocab, vocab);
        PositionDiff& p = c.positions[t];
        double sum = 0.0;
        for (uint64_t i = 0; i < vocab; ++i) {
            if (!std::isfinite(ra[i]) || !std::isfinite(rb[i])) p.finite = false;
            const double d = std::fabs(static_cast<double>(ra[i]) - static_cast<double>(rb[i]));
            p.max_abs = std::max(p.max_abs, d);
            sum += d;
        }
        if (!p.finite) p.max_abs = INFINITY;
        p.mean_abs = sum / static_cast<double>(vocab);
        total_abs += sum;
        p.top1_a = argmax(ra);
        p.top1_b = argmax(rb);
        if (p.top1_a == p.top1_b) ++agree;
        if (p.finite) {
            log_softmax(ra, la);
            log_softmax(rb, lb);
            double kl = 0.0;
            for (uint64_t i = 0; i < vocab; ++i) kl += std::exp(la[i]) * (la[i] - lb[i]);
            p.kl = std::max(0.0, kl);  // rounding can make a tiny KL negative
        } else {
            p.kl = INFINITY;
        }
        c.max_abs = std::max(c.max_abs, p.max_abs);
        c.max_kl = std::max(c.max_kl, p.kl);
    }
    c.mean_abs = tokens ? total_abs / static_cast<double>(tokens * vocab) : 0.0;
    c.top1_agreement = tokens ? static_cast<double>(agree) / static_cast<double>(tokens) : 1.0;
    return c;
}

}  // namespace strata
