// Logits comparison: how far two runs' logits [tokens, vocab] are apart, per position:
// max and mean absolute difference, KL(softmax(a) || softmax(b)) and whether the top-1
// tokens agree. `strata compare` prints it and fails past a tolerance on max abs.
// Usage: STRATA_TRY(auto c, compare_logits(a, b, T, V)); if (auto p = c.first_divergent(1e-4)) ...
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "strata/status.h"

namespace strata {

struct PositionDiff {
    double max_abs = 0.0;
    double mean_abs = 0.0;
    double kl = 0.0;  // KL(P_a || P_b) in nats, softmax in f64
    int32_t top1_a = 0;
    int32_t top1_b = 0;
    bool finite = true;  // both rows free of NaN/Inf
};

struct LogitsComparison {
    uint64_t tokens = 0;
    uint64_t vocab = 0;
    std::vector<PositionDiff> positions;
    double max_abs = 0.0;
    double mean_abs = 0.0;  // over all elements
    double max_kl = 0.0;
    double top1_agreement = 1.0;  // fraction of positions whose top-1 tokens agree

    // First position whose max abs difference exceeds `tolerance` (or that is not finite).
    std::optional<uint64_t> first_divergent(double tolerance) const;
};

// a and b are [tokens, vocab] row-major; sizes must match.
Result<LogitsComparison> compare_logits(std::span<const float> a, std::span<const float> b, uint64_t tokens,
                                        uint64_t vocab);

}  // namespace strata
