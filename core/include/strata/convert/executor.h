// Executor: streams a ConversionPlan. N worker threads take output tensors in plan
// order, each assembled in one buffer from the memory-mapped source under a memory
// budget, hashed (xxh3-64) and handed to that file's CheckpointWriter. Progress is
// in bytes; cancel is checked per tensor. The caller owns the output folder (an
// AtomicOutput temporary) and the writers (one per PlannedFile).
// Usage: STRATA_TRY(auto run, execute_plan(ckpt, plan, writers, {.threads = 4}, progress, cancel));
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "strata/convert/conversion_plan.h"
#include "strata/formats/checkpoint_writer.h"
#include "strata/kernels/backend.h"
#include "strata/progress.h"
#include "strata/status.h"

namespace strata {

struct ExecutorOptions {
    int threads = 0;                   // 0 = min(hardware threads, 8)
    uint64_t max_memory = 1ull << 30;  // bytes of tensor buffers in flight (one tensor always fits)
    // When set, tensors that need rearranging or casting are built on this backend
    // (DeviceAssembler); plain copies still go straight from the mapped source to the writer.
    kernels::Backend* device = nullptr;
};

struct ExecutionResult {
    std::vector<uint64_t> hashes;  // xxh3-64 of each planned tensor's bytes
    uint64_t bytes_written = 0;
    uint64_t peak_buffer_bytes = 0;  // most bytes of buffers held at once
    int threads = 0;
    uint64_t device_tensors = 0;  // tensors built on ExecutorOptions::device
};

// Entries (name, dtype, shape) of one planned file, in its write order.
std::vector<TensorEntry> planned_entries(const ConversionPlan& plan, const PlannedFile& file);

// Io error naming the first source file whose device, inode, size or mtime differ from
// when it was opened; a generic source-changed error when none does (any longer).
Status source_changed(const Checkpoint& source);

// writers[f] receives file f's tensors (its begin() must already have been called
// with planned_entries(plan, plan.files[f])); finish() is left to the caller.
Result<ExecutionResult> execute_plan(const Checkpoint& source, const ConversionPlan& plan,
                                     const std::vector<CheckpointWriter*>& writers, const ExecutorOptions& options,
                                     ProgressSink& progress, const CancelToken& cancel);

}  // namespace strata
