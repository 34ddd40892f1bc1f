// dtype casts on the GPU: one thread per element (grid-stride), decode to f32 and
// encode with the scalar_types.h functions the CPU uses.
#include "cuda/cuda_common.h"
#include "cuda/device_util.cuh"

namespace strata::kernels::cuda {

namespace {
__global__ void cast_kernel(const void* src, ScalarType st, void* dst, ScalarType dt, size_t n) {
    for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x)
        d_store(dst, dt, i, d_load(src, st, i));
}
}  // namespace

KStatus cast(Context& cx, const void* src, ScalarType st, void* dst, ScalarType dt, size_t n) {
    STRATA_KTRY(validate_cast(st, dt));
    if (n == 0) return {};
    if (st == dt)
        return cuda_error(cudaMemcpyAsync(dst, src, n * scalar_size(st), cudaMemcpyDeviceToDevice, cx.stream), "cast");
    cast_kernel<<<blocks_for(n, 256), 256, 0, cx.stream>>>(src, st, dst, dt, n);
    return launch_check("cast");
}

}  // namespace strata::kernels::cuda
