// N-d strided copy on the GPU: one thread per element, the layout passed by value.
#include "cuda/cuda_common.h"
#include "cuda/device_util.cuh"

namespace strata::kernels::cuda {

namespace {
template <class T>
__global__ void strided_kernel(const T* src, T* dst, StridedLayout l, size_t total) {
    for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < total;
         i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        int64_t rem = static_cast<int64_t>(i), so = 0, dof = 0;
        for (int d = l.rank - 1; d >= 0; --d) {
            const int64_t c = rem % l.shape[d];
            rem /= l.shape[d];
            so += c * l.src_stride[d];
            dof += c * l.dst_stride[d];
        }
        dst[dof] = src[so];
    }
}
struct Bytes16 {
    unsigned char b[16];
};
}  // namespace

KStatus strided_copy(Context& cx, const void* src, void* dst, size_t es, const StridedLayout& l) {
    STRATA_KTRY(validate(l, es));
    size_t total = 1;
    for (int d = 0; d < l.rank; ++d) total *= static_cast<size_t>(l.shape[d]);
    if (total == 0) return {};
    const unsigned blocks = blocks_for(total, 256);
    switch (es) {
        case 1:
            strided_kernel<<<blocks, 256, 0, cx.stream>>>(static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst),
                                                          l, total);
            break;
        case 2:
            strided_kernel<<<blocks, 256, 0, cx.stream>>>(static_cast<const uint16_t*>(src),
                                                          static_cast<uint16_t*>(dst), l, total);
            break;
        case 4:
            strided_kernel<<<blocks, 256, 0, cx.stream>>>(static_cast<const uint32_t*>(src),
                                                          static_cast<uint32_t*>(dst), l, total);
            break;
        case 8:
            strided_kernel<<<blocks, 256, 0, cx.stream>>>(static_cast<const uint64_t*>(src),
                                                          static_cast<uint64_t*>(dst), l, total);
            break;
        case 16:
            strided_kernel<<<blocks, 256, 0, cx.stream>>>(static_cast<const Bytes16*>(src), static_cast<Bytes16*>(dst),
                                                          l, total);
            break;
        default: {
            // Odd sizes: treat each element as es one-byte elements with an extra inner dim.
            if (l.rank >= kMaxRank) return unsupported("strided_copy: odd element size needs rank < 8 on cuda");
            StridedLayout b = l;
            const auto e = static_cast<int64_t>(es);
            for (int d = 0; d < l.rank; ++d) b.src_stride[d] *= e, b.dst_stride[d] *= e;
            b.shape[l.rank] = e, b.src_stride[l.rank] = 1, b.dst_stride[l.rank] = 1;
            b.rank = l.rank + 1;
            strided_kernel<<<blocks_for(total * es, 256), 256, 0, cx.stream>>>(
                static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst), b, total * es);
        }
    }
    return launch_check("strided_copy");
}

}  // namespace strata::kernels::cuda
