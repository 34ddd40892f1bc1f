// The CUDA Backend object: device detection, device buffers, one stream and one
// cuBLAS handle; the ops live in the .cu files (one per family, cuda_common.h).
#include <memory>
#include <mutex>
#include <string>

#include "cuda/cuda_common.h"
#include "src/cuda_plugin.h"

namespace strata::kernels {

namespace cuda {

KStatus Context::ensure_scratch(size_t bytes) {
    if (bytes <= scratch_size) return {};
    if (scratch) {
        STRATA_KTRY(cuda_error(cudaStreamSynchronize(stream), "synchronize before growing scratch"));
        cudaFree(scratch);
        scratch = nullptr;
        scratch_size = 0;
    }
    STRATA_KTRY(cuda_error(cudaMalloc(&scratch, bytes), "scratch allocation"));
    scratch_size = bytes;
    return {};
}

}  // namespace cuda

namespace {

class DeviceBuffer final : public Buffer {
public:
    DeviceBuffer(void* p, size_t n) : Buffer(p, n) {}
    ~DeviceBuffer() override {
        if (data_) cudaFree(data_);
    }
};

class PinnedBuffer final : public Buffer {
public:
    PinnedBuffer(void* p, size_t n) : Buffer(p, n) {}
    ~PinnedBuffer() override {
        if (data_) cudaFreeHost(data_);
    }
};

// Whether `p` lies in page-locked host memory, so a transfer from it can stay asynchronous.
bool is_pinned(const void* p) {
    cudaPointerAttributes attr{};
    if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
        cudaGetLastError();
        return false;
    }
    return attr.type == cudaMemoryTypeHost;
}

KStatus range_check(const Buffer& b, size_t bytes, size_t offset, const char* what) {
    if (offset > b.size() || bytes > b.size() - offset)
        return invalid_argument(std::string(what) + ": " + std::to_string(bytes) + " bytes at offset " +
                                std::to_string(offset) + " exceed the buffer's " + std::to_string(b.size()));
    return {};
}

class CudaBackend final : public Backend {
public:
    CudaBackend(int device, std::string desc) : device_(device), desc_(std::move(desc)) {}
    ~CudaBackend() override {
        // Process exit may have torn the driver down already; errors are ignored here.
        if (cx_.scratch) cudaFree(cx_.scratch);
        if (cx_.blas) cublasDestroy(cx_.blas);
        if (cx_.stream) cudaStreamDestroy(cx_.stream);
    }
    KStatus init() {
        STRATA_KTRY(cuda::cuda_error(cudaSetDevice(device_), "set device"));
        STRATA_KTRY(cuda::cuda_error(cudaStreamCreateWithFlags(&cx_.stream, cudaStreamNonBlocking), "stream"));
        if (cublasCreate(&cx_.blas) != CUBLAS_STATUS_SUCCESS) return internal_error("cuda: cublasCreate failed");
        if (cublasSetStream(cx_.blas, cx_.stream) != CUBLAS_STATUS_SUCCESS)
            return internal_error("cuda: cublasSetStream failed");
        return {};
    }

    std::string_view name() const override { return "cuda"; }
    std::string description() const override { return desc_; }
    bool supports(Op) const override { return true; }

    BufferPtr alloc(size_t bytes) override {
        void* p = nullptr;
        if (cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess) {
            cudaGetLastError();  // clear the sticky-free error so later calls are not blamed
            return nullptr;
        }
        return std::make_unique<DeviceBuffer>(p, bytes);
    }
    BufferPtr alloc_host(size_t bytes) override {
        void* p = nullptr;
        if (cudaHostAlloc(&p, bytes ? bytes : 1, cudaHostAllocDefault) != cudaSuccess) {
            cudaGetLastError();
            return nullptr;
        }
        return std::make_unique<PinnedBuffer>(p, bytes);
    }
    KStatus upload(Buffer& dst, const void* host, size_t bytes, size_t off) override {
        STRATA_KTRY(range_check(dst, bytes, off, "upload"));
        if (!bytes) return {};
        STRATA_KTRY(cuda::cuda_error(
            cudaMemcpyAsync(static_cast<char*>(dst.data()) + off, host, bytes, cudaMemcpyHostToDevice, cx_.stream),
            "upload"));
        // Pageable memory may be reused by the caller right away; pinned memory (alloc_host)
        // stays untouched until synchronize() by contract, so its copy overlaps later work.
        if (is_pinned(host)) return {};
        return cuda::cuda_error(cudaStreamSynchronize(cx_.stream), "upload");
    }
    KStatus download(const Buffer& src, void* host, size_t bytes, size_t off) override {
        STRATA_KTRY(range_check(src, bytes, off, "download"));
        if (!bytes) return {};
        STRATA_KTRY(cuda::cuda_error(cudaMemcpyAsync(host, static_cast<const char*>(src.data()) + off, bytes,
                                                     cudaMemcpyDeviceToHost, cx_.stream),
                                     "download"));
        return cuda::cuda_error(cudaStreamSynchronize(cx_.stream), "download");
    }
    KStatus synchronize() override { return cuda::cuda_error(cudaStreamSynchronize(cx_.stream), "synchronize"); }

    KStatus cast(const void* s, ScalarType st, void* d, ScalarType dt, size_t n) override {
        return cuda::cast(cx_, s, st, d, dt, n);
    }
    KStatus strided_copy(const void* s, void* d, size_t es, const StridedLayout& l) override {
        return cuda::strided_copy(cx_, s, d, es, l);
    }
    KStatus stats(const void* s, ScalarType t, size_t n, const StatsOptions& o, TensorStats* out) override {
        return cuda::stats(cx_, s, t, n, o, out);
    }
    KStatus matmul(const MatmulArgs& a) override { return cuda::matmul(cx_, a); }
    KStatus rms_norm(const RmsNormArgs& a) override { return cuda::rms_norm(cx_, a); }
    KStatus rope(const RopeArgs& a) override { return cuda::rope(cx_, a); }
    KStatus attention(const AttentionArgs& a) override { return cuda::attention(cx_, a); }
    KStatus softmax(const SoftmaxArgs& a) override { return cuda::softmax(cx_, a); }
    KStatus silu_gate(const SiluGateArgs& a) override { return cuda::silu_gate(cx_, a); }
    KStatus topk_routing(const TopKArgs& a) override { return cuda::topk_routing(cx_, a); }
    KStatus conv1d(const Conv1dArgs& a) override { return cuda::conv1d(cx_, a); }
    KStatus ssm_scan(const SsmScanArgs& a) override { return cuda::ssm_scan(cx_, a); }
    KStatus gated_rms_norm(const GatedRmsNormArgs& a) override { return cuda::gated_rms_norm(cx_, a); }
    KStatus gated_delta(const GatedDeltaArgs& a) override { return cuda::gated_delta(cx_, a); }

private:
    int device_;
    std::string desc_;
    cuda::Context cx_;
};

}  // namespace

namespace {

Backend* cuda_backend_instance(std::string* why) {
    static std::once_flag once;
    static std::unique_ptr<CudaBackend> backend;
    static std::string reason;
    std::call_once(once, [] {
        int count = 0;
        const cudaError_t e = cudaGetDeviceCount(&count);
        if (e != cudaSuccess || count == 0) {
            cudaGetLastError();
            reason = std::string("no CUDA device at run time (") +
                     (e != cudaSuccess ? cudaGetErrorString(e) : "cudaGetDeviceCount returned 0") + ")";
            return;
        }
        cudaDeviceProp prop{};
        if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
            reason = "cuda: cannot query device 0";
            return;
        }
        auto b = std::make_unique<CudaBackend>(0, "cuda: " + std::string(prop.name) + " (sm_" +
                                                      std::to_string(prop.major) + std::to_string(prop.minor) + ")");
        if (KStatus s = b->init(); !s.ok()) {
            reason = s.message();
            return;
        }
        backend = std::move(b);
    });
    if (!backend && why) *why = reason;
    return backend.get();
}

}  // namespace

}  // namespace strata::kernels

// The plug-in's two exported symbols (everything else is hidden): the ABI it was built for,
// and the entry that creates the backend. See src/cuda_plugin.h.
extern "C" __attribute__((visibility("default"))) int strata_cuda_plugin_abi() {
    return strata::kernels::kCudaPluginAbi;
}

extern "C" __attribute__((visibility("default"))) strata::kernels::Backend* strata_cuda_backend_entry(
    int abi, std::string* why) {
    if (abi != strata::kernels::kCudaPluginAbi) {
        if (why) *why = "CUDA plug-in ABI mismatch";
        return nullptr;
    }
    return strata::kernels::cuda_backend_instance(why);
}
