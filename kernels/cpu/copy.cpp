// N-d strided copy (gather/scatter) on the CPU. The innermost dimension is copied
// as a run; when both inner strides are 1 that run is one memcpy.
#include <cstring>

#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"

namespace strata::kernels::cpu {

namespace {

template <size_t E>
void copy_run(const char* s, char* d, int64_t n, int64_t ss, int64_t ds) {
    if (ss == 1 && ds == 1) {
        std::memcpy(d, s, static_cast<size_t>(n) * E);
        return;
    }
    for (int64_t i = 0; i < n; ++i)
        std::memcpy(d + i * ds * static_cast<int64_t>(E), s + i * ss * static_cast<int64_t>(E), E);
}

void copy_run_any(size_t e, const char* s, char* d, int64_t n, int64_t ss, int64_t ds) {
    switch (e) {
        case 1:
            return copy_run<1>(s, d, n, ss, ds);
        case 2:
            return copy_run<2>(s, d, n, ss, ds);
        case 4:
            return copy_run<4>(s, d, n, ss, ds);
        case 8:
            return copy_run<8>(s, d, n, ss, ds);
        default:
            for (int64_t i = 0; i < n; ++i)
                std::memcpy(d + i * ds * static_cast<int64_t>(e), s + i * ss * static_cast<int64_t>(e), e);
    }
}

}  // namespace

KStatus strided_copy(const void* src, void* dst, size_t elem_size, const StridedLayout& l) {
    STRATA_KTRY(validate(l, elem_size));
    if (l.rank == 0) {
        std::memcpy(dst, src, elem_size);
        return {};
    }
    int64_t outer = 1;
    for (int i = 0; i + 1 < l.rank; ++i) outer *= l.shape[i];
    const int64_t inner = l.shape[l.rank - 1];
    if (outer == 0 || inner == 0) return {};
    const auto e = static_cast<int64_t>(elem_size);
    parallel_for(static_cast<size_t>(outer), 64, [&](size_t b, size_t end) {
        for (size_t r = b; r < end; ++r) {
            // Unravel the row index into the outer coordinates.
            int64_t rem = static_cast<int64_t>(r), so = 0, dof = 0;
            for (int i = l.rank - 2; i >= 0; --i) {
                const int64_t c = rem % l.shape[i];
                rem /= l.shape[i];
                so += c * l.src_stride[i];
                dof += c * l.dst_stride[i];
            }
            copy_run_any(elem_size, static_cast<const char*>(src) + so * e, static_cast<char*>(dst) + dof * e, inner,
                         l.src_stride[l.rank - 1], l.dst_stride[l.rank - 1]);
        }
    });
    return {};
}

}  // namespace strata::kernels::cpu
