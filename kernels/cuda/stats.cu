// Tensor stats on the GPU in three grid-stride passes: counts/min/max/sum, then the
// centred sum of squares (two-pass variance, in double), then the histogram with
// shared-memory bins. Per-block partials are merged on the host in block order, so
// a run is deterministic. Bin edges use the CPU's formula in double, so histograms
// agree with the CPU exactly.
#include <cmath>
#include <vector>

#include "cuda/cuda_common.h"
#include "cuda/device_util.cuh"

namespace strata::kernels::cuda {

namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 2048;

struct BlockPartial {
    unsigned long long finite, nan, inf;
    float mn, mx;
    double sum;
};

__global__ void pass1(const void* src, ScalarType t, size_t n, BlockPartial* out) {
    __shared__ double shd[32];
    __shared__ float shf[32];
    __shared__ unsigned long long shu[32];
    unsigned long long fin = 0, nan = 0, inf = 0;
    float mn = INFINITY, mx = -INFINITY;
    double sum = 0;
    for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const float v = d_load(src, t, i);
        if (isnan(v))
            ++nan;
        else if (isinf(v))
            ++inf;
        else {
            ++fin;
            mn = fminf(mn, v);
            mx = fmaxf(mx, v);
            sum += v;
        }
    }
    fin = block_reduce(fin, shu, SumOp{});
    nan = block_reduce(nan, shu, SumOp{});
    inf = block_reduce(inf, shu, SumOp{});
    mn = block_reduce(mn, shf, MinOp{});
    mx = block_reduce(mx, shf, MaxOp{});
    sum = block_reduce(sum, shd, SumOp{});
    if (threadIdx.x == 0) out[blockIdx.x] = {fin, nan, inf, mn, mx, sum};
}

__global__ void pass2(const void* src, ScalarType t, size_t n, double mean, double* out) {
    __shared__ double shd[32];
    double m2 = 0;
    for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const float v = d_load(src, t, i);
        if (isfinite(v)) {
            const double d = static_cast<double>(v) - mean;
            m2 += d * d;
        }
    }
    m2 = block_reduce(m2, shd, SumOp{});
    if (threadIdx.x == 0) out[blockIdx.x] = m2;
}

__global__ void hist_kernel(const void* src, ScalarType t, size_t n, double lo, double hi, double scale, int bins,
                            bool shared_bins, unsigned long long* hist) {
    extern __shared__ unsigned long long sh_hist[];
    if (shared_bins)
        for (int b = threadIdx.x; b < bins; b += blockDim.x) sh_hist[b] = 0;
    __syncthreads();
    for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const double v = d_load(src, t, i);
        if (!(v >= lo && v <= hi)) continue;
        size_t b = static_cast<size_t>(__dmul_rn(__dsub_rn(v, lo), scale));
        if (b >= static_cast<size_t>(bins)) b = static_cast<size_t>(bins) - 1;
        atomicAdd(shared_bins ? &sh_hist[b] : &hist[b], 1ull);
    }
    if (!shared_bins) return;
    __syncthreads();
    for (int b = threadIdx.x; b < bins; b += blockDim.x)
        if (sh_hist[b]) atomicAdd(&hist[b], sh_hist[b]);
}

}  // namespace

KStatus stats(Context& cx, const void* src, ScalarType t, size_t n, const StatsOptions& opt, TensorStats* out) {
    if (!is_float_type(t)) return unsupported("stats: float types only (got " + std::string(scalar_name(t)) + ")");
    if (!out) return invalid_argument("stats: null output");
    if (opt.bins < 0 || opt.bins > (1 << 20)) return invalid_argument("stats: bins must be in [0, 2^20]");
    const unsigned blocks = std::min<unsigned>(blocks_for(n, kThreads), kMaxBlocks);
    const size_t bins = static_cast<size_t>(opt.bins);
    const size_t need = blocks * (sizeof(BlockPartial) + sizeof(double)) + bins * sizeof(unsigned long long);
    STRATA_KTRY(cx.ensure_scratch(need));
    auto* p1 = static_cast<BlockPartial*>(cx.scratch);
    auto* p2 = reinterpret_cast<double*>(p1 + blocks);
    auto* hist = reinterpret_cast<unsigned long long*>(p2 + blocks);

    std::vector<BlockPartial> h1(blocks);
    pass1<<<blocks, kThreads, 0, cx.stream>>>(src, t, n, p1);
    STRATA_KTRY(launch_check("stats"));
    STRATA_KTRY(cuda_error(
        cudaMemcpyAsync(h1.data(), p1, blocks * sizeof(BlockPartial), cudaMemcpyDeviceToHost, cx.stream), "stats"));
    STRATA_KTRY(cuda_error(cudaStreamSynchronize(cx.stream), "stats"));
    TensorStats s;
    s.count = n;
    double sum = 0;
    float mn = INFINITY, mx = -INFINITY;
    for (const auto& b : h1) {
        s.finite += b.finite, s.nan_count += b.nan, s.inf_count += b.inf, sum += b.sum;
        if (b.finite) mn = std::min(mn, b.mn), mx = std::max(mx, b.mx);
    }
    if (s.finite) {
        s.min = mn, s.max = mx;
        s.abs_max = std::max(std::fabs(s.min), std::fabs(s.max));
        s.mean = sum / static_cast<double>(s.finite);
        std::vector<double> h2(blocks);
        pass2<<<blocks, kThreads, 0, cx.stream>>>(src, t, n, s.mean, p2);
        STRATA_KTRY(launch_check("stats"));
        STRATA_KTRY(cuda_error(
            cudaMemcpyAsync(h2.data(), p2, blocks * sizeof(double), cudaMemcpyDeviceToHost, cx.stream), "stats"));
        STRATA_KTRY(cuda_error(cudaStreamSynchronize(cx.stream), "stats"));
        double m2 = 0;
        for (double v : h2) m2 += v;
        s.std = std::sqrt(m2 / static_cast<double>(s.finite));
    }
    const bool given = std::isfinite(opt.hist_lo) && std::isfinite(opt.hist_hi) && opt.hist_hi > opt.hist_lo;
    s.hist_lo = given ? opt.hist_lo : s.min;
    s.hist_hi = given ? opt.hist_hi : s.max;
    if (bins > 0) {
        s.histogram.assign(bins, 0);
        const double scale = s.hist_hi > s.hist_lo ? static_cast<double>(bins) / (s.hist_hi - s.hist_lo) : 0.0;
        const bool shared_bins = bins <= 4096;
        STRATA_KTRY(cuda_error(cudaMemsetAsync(hist, 0, bins * sizeof(unsigned long long), cx.stream), "stats"));
        hist_kernel<<<blocks, kThreads, shared_bins ? bins * sizeof(unsigned long long) : 0, cx.stream>>>(
            src, t, n, s.hist_lo, s.hist_hi, scale, opt.bins, shared_bins, hist);
        STRATA_KTRY(launch_check("stats"));
        STRATA_KTRY(cuda_error(cudaMemcpyAsync(s.histogram.data(), hist, bins * sizeof(unsigned long long),
                                               cudaMemcpyDeviceToHost, cx.stream),
                               "stats"));
        STRATA_KTRY(cuda_error(cudaStreamSynchronize(cx.stream), "stats"));
    }
    *out = std::move(s);
    return {};
}

}  // namespace strata::kernels::cuda
