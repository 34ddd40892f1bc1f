// Backend: one interface over the places kernels run (DESIGN.md "Kernels").
// "cpu" is the reference and always present; "cuda" exists when built with nvcc
// and reports itself unavailable at run time when no device is present. Memory
// is a Buffer owned by a backend; ops take pointers into such buffers.
// Usage: Backend* be = backend_by_name("cpu"); auto buf = be->alloc(n * 4); be->upload(*buf, host, n * 4);
//        KStatus s = be->softmax({.x = p, .y = p, .rows = r, .cols = c});
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/kernels/kstatus.h"
#include "strata/kernels/op_args.h"

namespace strata::kernels {

enum class Op : uint8_t {
    Cast,
    StridedCopy,
    Stats,
    Matmul,
    RmsNorm,
    Rope,
    Attention,
    Softmax,
    SiluGate,
    TopK,
    Conv1d,
    SsmScan,
    GatedRmsNorm,
    GatedDelta,
};
inline constexpr int kOpCount = static_cast<int>(Op::GatedDelta) + 1;
std::string_view op_name(Op op);

class Backend;

// Memory owned by one backend: host memory for "cpu", device memory for "cuda".
// Freed by the destructor. data() is only dereferenceable on that backend.
class Buffer {
public:
    virtual ~Buffer() = default;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    void* data() { return data_; }
    const void* data() const { return data_; }
    template <class T>
    T* as() {
        return static_cast<T*>(data_);
    }
    template <class T>
    const T* as() const {
        return static_cast<const T*>(data_);
    }
    size_t size() const { return size_; }

protected:
    Buffer(void* data, size_t size) : data_(data), size_(size) {}
    void* data_;
    size_t size_;
};
using BufferPtr = std::unique_ptr<Buffer>;

// Backends are process-lifetime singletons. The CPU backend may be called from any
// thread; the CUDA backend owns one stream and one scratch area, so callers use it
// from one thread at a time (the forward pass and the converter each hold it alone).
class Backend {
public:
    virtual ~Backend() = default;

    virtual std::string_view name() const = 0;
    // One line: "cpu (16 threads)", "cuda: NVIDIA H100 80GB HBM3 (sm_90)".
    virtual std::string description() const = 0;
    virtual bool supports(Op op) const = 0;

    // ---- memory. alloc returns null on failure (out of memory); size 0 is allowed.
    virtual BufferPtr alloc(size_t bytes) = 0;
    // Host memory this backend transfers at full speed: page-locked for cuda, ordinary for
    // cpu; data() is host memory. An upload from it may be asynchronous, so the caller
    // leaves it unchanged until synchronize(); a download into it is complete on return.
    virtual BufferPtr alloc_host(size_t bytes) = 0;
    virtual KStatus upload(Buffer& dst, const void* host, size_t bytes, size_t dst_offset = 0) = 0;
    virtual KStatus download(const Buffer& src, void* host, size_t bytes, size_t src_offset = 0) = 0;
    // Waits for queued work; ops may run asynchronously until a download or this.
    virtual KStatus synchronize() = 0;

    // ---- ops (op_args.h documents each). Unsupported dtype pairs return Unsupported.
    // dst[i] = convert(src[i]) for n elements between F32, F16, BF16, F8E4M3, F8E5M2
    // with scalar_types.h rounding (RNE; E4M3 saturates; NaN stays NaN).
    virtual KStatus cast(const void* src, ScalarType src_type, void* dst, ScalarType dst_type, size_t n) = 0;
    virtual KStatus strided_copy(const void* src, void* dst, size_t elem_size, const StridedLayout& layout) = 0;
    // Results come back on the host in *out.
    virtual KStatus stats(const void* src, ScalarType type, size_t n, const StatsOptions& options,
                          TensorStats* out) = 0;
    virtual KStatus matmul(const MatmulArgs& args) = 0;
    virtual KStatus rms_norm(const RmsNormArgs& args) = 0;
    virtual KStatus rope(const RopeArgs& args) = 0;
    virtual KStatus attention(const AttentionArgs& args) = 0;
    virtual KStatus softmax(const SoftmaxArgs& args) = 0;
    virtual KStatus silu_gate(const SiluGateArgs& args) = 0;
    virtual KStatus topk_routing(const TopKArgs& args) = 0;
    virtual KStatus conv1d(const Conv1dArgs& args) = 0;
    virtual KStatus ssm_scan(const SsmScanArgs& args) = 0;
    virtual KStatus gated_rms_norm(const GatedRmsNormArgs& args) = 0;
    virtual KStatus gated_delta(const GatedDeltaArgs& args) = 0;
};

// The CPU backend (always available; process-lifetime singleton).
Backend& cpu_backend();
// "cpu" or "cuda"; null when unknown, not built, or (cuda) no device at run time.
// *why, when given, says which.
Backend* backend_by_name(std::string_view name, std::string* why = nullptr);
// Names of the backends usable now, "cpu" first.
std::vector<std::string> available_backends();
// Whether this build contains the CUDA backend plug-in (independent of a device being present).
bool cuda_compiled_in();
// One line for --version: built or not, and whether it loads and finds a device here (and why not).
std::string describe_cuda_backend();

// Shared argument checks, so every backend rejects the same inputs the same way.
KStatus validate(const MatmulArgs& a);
KStatus validate(const RmsNormArgs& a);
KStatus validate(const RopeArgs& a);
KStatus validate(const AttentionArgs& a);
KStatus validate(const SoftmaxArgs& a);
KStatus validate(const SiluGateArgs& a);
KStatus validate(const TopKArgs& a);
KStatus validate(const Conv1dArgs& a);
KStatus validate(const SsmScanArgs& a);
KStatus validate(const GatedRmsNormArgs& a);
KStatus validate(const GatedDeltaArgs& a);
KStatus validate(const StridedLayout& l, size_t elem_size);
KStatus validate_cast(ScalarType src, ScalarType dst);

}  // namespace strata::kernels
