// Internal: the CPU backend's small persistent thread pool.
// parallel_for(n, grain, fn) calls fn(begin, end) over [0, n) in chunks of >= grain,
// on the pool's workers plus the caller. Nested or concurrent calls run inline
// (serially) instead of deadlocking. STRATA_THREADS overrides the thread count.
// Usage: parallel_for(rows, 16, [&](size_t b, size_t e) { for (size_t r = b; r < e; ++r) ...; });
#pragma once

#include <cstddef>
#include <functional>

namespace strata::kernels::cpu {

size_t num_threads();
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

}  // namespace strata::kernels::cpu
