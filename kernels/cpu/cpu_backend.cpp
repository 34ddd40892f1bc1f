// The CPU Backend object: host memory, and dispatch to the per-family functions.
#include "cpu/cpu_backend.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "cpu/thread_pool.h"

namespace strata::kernels {

namespace {

class HostBuffer final : public Buffer {
public:
    HostBuffer(void* p, size_t n) : Buffer(p, n) {}
    ~HostBuffer() override { ::operator delete (data_, std::align_val_t{64}); }
};

KStatus range_check(const Buffer& b, size_t bytes, size_t offset, const char* what) {
    if (offset > b.size() || bytes > b.size() - offset)
        return invalid_argument(std::string(what) + ": " + std::to_string(bytes) + " bytes at offset " +
                                std::to_string(offset) + " exceed the buffer's " + std::to_string(b.size()));
    return {};
}

class CpuBackend final : public Backend {
public:
    std::string_view name() const override { return "cpu"; }
    std::string description() const override { return "cpu (" + std::to_string(cpu::num_threads()) + " threads)"; }
    bool supports(Op) const override { return true; }

    BufferPtr alloc(size_t bytes) override {
        void* p = ::operator new (bytes ? bytes : 1, std::align_val_t{64}, std::nothrow);
        if (!p) return nullptr;
        return std::make_unique<HostBuffer>(p, bytes);
    }
    BufferPtr alloc_host(size_t bytes) override { return alloc(bytes); }
    KStatus upload(Buffer& dst, const void* host, size_t bytes, size_t off) override {
        STRATA_KTRY(range_check(dst, bytes, off, "upload"));
        if (bytes) std::memcpy(static_cast<char*>(dst.data()) + off, host, bytes);
        return {};
    }
    KStatus download(const Buffer& src, void* host, size_t bytes, size_t off) override {
        STRATA_KTRY(range_check(src, bytes, off, "download"));
        if (bytes) std::memcpy(host, static_cast<const char*>(src.data()) + off, bytes);
        return {};
    }
    KStatus synchronize() override { return {}; }

    KStatus cast(const void* s, ScalarType st, void* d, ScalarType dt, size_t n) override {
        return cpu::cast(s, st, d, dt, n);
    }
    KStatus strided_copy(const void* s, void* d, size_t es, const StridedLayout& l) override {
        return cpu::strided_copy(s, d, es, l);
    }
    KStatus stats(const void* s, ScalarType t, size_t n, const StatsOptions& o, TensorStats* out) override {
        return cpu::stats(s, t, n, o, out);
    }
    KStatus matmul(const MatmulArgs& a) override { return cpu::matmul(a); }
    KStatus rms_norm(const RmsNormArgs& a) override { return cpu::rms_norm(a); }
    KStatus rope(const RopeArgs& a) override { return cpu::rope(a); }
    KStatus attention(const AttentionArgs& a) override { return cpu::attention(a); }
    KStatus softmax(const SoftmaxArgs& a) override { return cpu::softmax(a); }
    KStatus silu_gate(const SiluGateArgs& a) override { return cpu::silu_gate(a); }
    KStatus topk_routing(const TopKArgs& a) override { return cpu::topk_routing(a); }
    KStatus conv1d(const Conv1dArgs& a) override { return cpu::conv1d(a); }
    KStatus ssm_scan(const SsmScanArgs& a) override { return cpu::ssm_scan(a); }
    KStatus gated_rms_norm(const GatedRmsNormArgs& a) override { return cpu::gated_rms_norm(a); }
    KStatus gated_delta(const GatedDeltaArgs& a) override { return cpu::gated_delta(a); }
};

}  // namespace

Backend& cpu_backend() {
    static CpuBackend backend;
    return backend;
}

}  // namespace strata::kernels
