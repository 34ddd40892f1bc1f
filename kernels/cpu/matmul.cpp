// C[m,n] = A[m,k] · B[n,k]^T on the CPU with f32 accumulation. Both operands are
// "k-contiguous", so the product is a grid of dot products: tiles of 64 A-rows x
// 64 B-rows are packed (bf16 decoded) into f32 panels of 256 k, zero-padded to a
// multiple of 4, and a 2x4 register microkernel with 4 k-lanes runs over them.
// Tiles are spread over the thread pool; each C element is accumulated in a fixed
// order, so results do not depend on the thread count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"

namespace strata::kernels::cpu {

namespace {

constexpr int64_t kTileM = 64, kTileN = 64, kTileK = 256, kLanes = 4;

// Copies rows [r0, r0+rows) x cols [k0, k0+kb) of a [*, k] matrix into dst[rows][ld] as f32.
void pack(const void* src, ScalarType t, int64_t k, int64_t r0, int64_t rows, int64_t k0, int64_t kb, int64_t ld,
          float* dst) {
    for (int64_t r = 0; r < rows; ++r) {
        float* d = dst + r * ld;
        const int64_t off = (r0 + r) * k + k0;
        if (t == ScalarType::F32)
            std::memcpy(d, static_cast<const float*>(src) + off, static_cast<size_t>(kb) * 4);
        else
            decode_to_f32(static_cast<const uint16_t*>(src) + off, t, d, static_cast<size_t>(kb));
        for (int64_t i = kb; i < ld; ++i) d[i] = 0.0f;
    }
}

template <int R, int C>
inline void micro(const float* a, const float* b, int64_t ld, int64_t kp, float* c, int64_t ldc) {
    float acc[R][C][kLanes] = {};
    for (int64_t k = 0; k < kp; k += kLanes)
        for (int r = 0; r < R; ++r)
            for (int j = 0; j < C; ++j)
                for (int l = 0; l < kLanes; ++l) acc[r][j][l] += a[r * ld + k + l] * b[j * ld + k + l];
    for (int r = 0; r < R; ++r)
        for (int j = 0; j < C; ++j) {
            float s = 0.0f;
            for (int l = 0; l < kLanes; ++l) s += acc[r][j][l];
            c[r * ldc + j] += s;
        }
}

}  // namespace

KStatus matmul(const MatmulArgs& p) {
    STRATA_KTRY(validate(p));
    const int64_t M = p.m, N = p.n, K = p.k;
    if (M == 0 || N == 0) return {};
    const int64_t tiles_m = (M + kTileM - 1) / kTileM, tiles_n = (N + kTileN - 1) / kTileN;
    parallel_for(static_cast<size_t>(tiles_m * tiles_n), 1, [&](size_t t0, size_t t1) {
        std::vector<float> pa(static_cast<size_t>(kTileM * kTileK)), pb(static_cast<size_t>(kTileN * kTileK));
        for (size_t t = t0; t < t1; ++t) {
            // n-major tile order: neighbouring tasks share the same B panel rows less, A more;
            // A is usually the small activation matrix, so this keeps it hot.
            const int64_t i0 = static_cast<int64_t>(t) % tiles_m * kTileM;
            const int64_t j0 = static_cast<int64_t>(t) / tiles_m * kTileN;
            const int64_t mb = std::min(kTileM, M - i0), nb = std::min(kTileN, N - j0);
            for (int64_t i = 0; i < mb; ++i) std::fill_n(p.c + (i0 + i) * N + j0, nb, 0.0f);
            for (int64_t k0 = 0; k0 < K; k0 += kTileK) {
                const int64_t kb = std::min(kTileK, K - k0);
                const int64_t ld = (kb + kLanes - 1) / kLanes * kLanes;
                pack(p.a, p.a_type, K, i0, mb, k0, kb, ld, pa.data());
                pack(p.b, p.b_type, K, j0, nb, k0, kb, ld, pb.data());
                int64_t i = 0;
                for (; i + 2 <= mb; i += 2) {
                    float* c = p.c + (i0 + i) * N + j0;
                    int64_t j = 0;
                    for (; j + 4 <= nb; j += 4) micro<2, 4>(pa.data() + i * ld, pb.data() + j * ld, ld, ld, c + j, N);
                    for (; j < nb; ++j) micro<2, 1>(pa.data() + i * ld, pb.data() + j * ld, ld, ld, c + j, N);
                }
                for (; i < mb; ++i) {
                    float* c = p.c + (i0 + i) * N + j0;
                    int64_t j = 0;
                    for (; j + 4 <= nb; j += 4) micro<1, 4>(pa.data() + i * ld, pb.data() + j * ld, ld, ld, c + j, N);
                    for (; j < nb; ++j) micro<1, 1>(pa.data() + i * ld, pb.data() + j * ld, ld, ld, c + j, N);
                }
            }
        }
    });
    return {};
}

}  // namespace strata::kernels::cpu
