// DeviceAssembler: builds planned tensors on a kernels::Backend (`convert --device cuda`).
// For one tensor, a worker copies the source ranges its ops read from the mapped files
// into its own page-locked staging buffer (outside the device lock, so this read overlaps
// another worker's device work), uploads them in one transfer, rearranges them on the
// device with strided copies and casts, and downloads the result into its page-locked
// output buffer; the executor then hashes and writes it outside the lock. Ops the kernels
// do not cover (a +constant for zero-centred norms, f64 casts) run on the host afterwards.
// The result is byte-identical to assemble_tensor: the same boxes and the same
// round-to-nearest-even casts (kernels/scalar_types.h). Tests check this with the cpu
// backend everywhere and with cuda where a GPU exists.
// Usage: DeviceAssembler dev(*kernels::backend_by_name("cuda")); DeviceAssembler::Worker w(dev);
//        STRATA_TRY(auto bytes, w.assemble(source, plan, plan.tensors[i]));
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>

#include "strata/convert/conversion_plan.h"
#include "strata/formats/checkpoint.h"
#include "strata/kernels/backend.h"
#include "strata/status.h"

namespace strata {

class DeviceAssembler {
public:
    explicit DeviceAssembler(kernels::Backend& backend) : be_(backend) {}
    DeviceAssembler(const DeviceAssembler&) = delete;
    DeviceAssembler& operator=(const DeviceAssembler&) = delete;

    kernels::Backend& backend() const { return be_; }

    // Host bytes a worker stages for `tensor` besides its output (for the memory budget).
    static Result<uint64_t> staged_bytes(const Checkpoint& source, const ConversionPlan& plan,
                                         const PlannedTensor& tensor);

    // One per executor thread: its staging and output buffers.
    class Worker {
    public:
        explicit Worker(DeviceAssembler& owner) : owner_(owner) {}
        // The tensor's bytes, valid until the next call on this worker.
        Result<std::span<const std::byte>> assemble(const Checkpoint& source, const ConversionPlan& plan,
                                                    const PlannedTensor& tensor);
        // Drops buffers above `keep` bytes, so one big tensor is not held for the whole run.
        void trim(uint64_t keep);

    private:
        DeviceAssembler& owner_;
        kernels::BufferPtr staging_;
        kernels::BufferPtr output_;
    };

private:
    struct Staged;
    static Result<Staged> plan_staging(const Checkpoint& source, const ConversionPlan& plan,
                                       const PlannedTensor& tensor);
    Status run_on_device(const Staged& staged, const PlannedTensor& tensor, kernels::Buffer& staging,
                         kernels::Buffer& output);

    kernels::Backend& be_;
    std::mutex mutex_;  // a backend is used by one thread at a time (backend.h)
    kernels::BufferPtr src_, dst_, gathered_, cast_;  // device buffers, grown on demand
};

}  // namespace strata
