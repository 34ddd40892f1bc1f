// Executor: worker threads stream planned tensors from the mapped source into writers.
#include "strata/convert/executor.h"

#include <sys/mman.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "strata/convert/device_assembler.h"
#include "strata/convert/transforms.h"
#include "strata/io/sigbus_guard.h"

namespace strata {

std::vector<TensorEntry> planned_entries(const ConversionPlan& plan, const PlannedFile& file) {
    std::vector<TensorEntry> entries;
    entries.reserve(file.tensors.size());
    for (uint32_t t : file.tensors)
        entries.push_back({plan.tensors[t].name, plan.tensors[t].dtype, plan.tensors[t].shape});
    return entries;
}

namespace {

// When a planned tensor is one plain run of its source (a TP row block, a whole norm, an
// HF tensor copied as is), its bytes are the mapped source span itself: no buffer, no copy.
std::optional<std::span<const std::byte>> direct_span(const Checkpoint& source, const ConversionPlan& plan,
                                                      const PlannedTensor& t) {
    if (t.ops.size() != 1 || t.zero_fill) return std::nullopt;
    const CopyOp& op = t.ops[0];
    const TensorInfo& info = source.tensors[plan.sources[op.source].tensor];
    if (info.dtype != t.dtype || op.add != 0.0f || op.dst_offset != 0 || !info.location.is_contiguous())
        return std::nullopt;
    // Row-major contiguous on both sides: strides are the suffix products of the extent.
    int64_t step = 1;
    for (size_t d = op.extent.size(); d-- > 0;) {
        if (op.src_strides[d] != step || op.dst_strides[d] != step) return std::nullopt;
        step *= static_cast<int64_t>(op.extent[d]);
    }
    const uint64_t es = dtype_size(t.dtype);
    if (es == 0 || static_cast<uint64_t>(step) * es != t.byte_size()) return std::nullopt;
    auto all = source.contiguous_bytes(info);
    if (!all || (op.src_offset * es + t.byte_size()) > all->size()) return std::nullopt;
    return all->subspan(op.src_offset * es, t.byte_size());
}

// Starts the reads of a tensor a worker will assemble soon: a cold source is then read
// while the tensors before it are written, instead of in turns.
void prefetch_sources(const Checkpoint& source, const ConversionPlan& plan, const PlannedTensor& t) {
    for (const CopyOp& op : t.ops) {
        const TensorInfo& info = source.tensors[plan.sources[op.source].tensor];
        const uint64_t es = dtype_size(info.dtype);
        auto range = op_range(op);
        if (!range || es == 0 || !info.location.is_contiguous()) continue;
        source.file_of(info).map->prefetch(info.location.offset + range->first * es, (range->end - range->first) * es);
    }
}

constexpr uint64_t kKeepBuffer = 64u << 20;  // device buffers above this are freed between tensors

// Bytes of tensor buffers in flight; a request larger than the budget waits until it runs alone.
class MemoryBudget {
public:
    explicit MemoryBudget(uint64_t limit) : limit_(limit) {}
    void acquire(uint64_t bytes, const CancelToken& cancel) {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return used_ == 0 || used_ + bytes <= limit_ || cancel.is_cancelled(); });
        used_ += bytes;
        peak_ = std::max(peak_, used_);
    }
    void release(uint64_t bytes) {
        {
            std::lock_guard lock(mutex_);
            used_ -= bytes;
        }
        cv_.notify_all();
    }
    uint64_t peak() const { return peak_; }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    uint64_t limit_;
    uint64_t used_ = 0;
    uint64_t peak_ = 0;
};

// The host twin of DeviceAssembler::Worker: one reusable buffer per worker thread, kept
// between tensors while it fits the worker's share of the memory budget. Fresh pages cost
// a fault and a kernel clear each, which for 300 MB embedding shards took a third of a
// conversion's CPU time; huge pages and reuse remove both. Page-aligned, so the writer
// can hand it to O_DIRECT as is.
class HostAssembler {
public:
    explicit HostAssembler(uint64_t keep) : keep_(keep) {}
    Result<std::span<const std::byte>> assemble(const Checkpoint& source, const ConversionPlan& plan,
                                                const PlannedTensor& t) {
        const uint64_t size = t.byte_size();
        if (size > capacity_) {
            constexpr uint64_t kHuge = 2u << 20;
            const uint64_t capacity = (size + kHuge - 1) / kHuge * kHuge;
            storage_.reset(static_cast<std::byte*>(std::aligned_alloc(kHuge, capacity)));
            if (!storage_) return Status::io("out of memory for a " + std::to_string(size) + "-byte tensor buffer");
            ::madvise(storage_.get(), capacity, MADV_HUGEPAGE);  // a hint; 4K pages work too
            capacity_ = capacity;
        }
        const std::span<std::byte> buffer(storage_.get(), size);
        STRATA_RETURN_IF_ERROR(assemble_tensor(source, plan, t, buffer));
        return std::span<const std::byte>(buffer);
    }
    void trim() {
        if (capacity_ > keep_) {
            storage_.reset();
            capacity_ = 0;
        }
    }

private:
    struct Free {
        void operator()(std::byte* p) const { std::free(p); }
    };
    std::unique_ptr<std::byte, Free> storage_;
    uint64_t capacity_ = 0;
    uint64_t keep_;
};

}  // namespace

Status source_changed(const Checkpoint& source) {
    for (const auto& f : source.files)
        if (f.map) STRATA_RETURN_IF_ERROR(f.map->check_unchanged());
    return Status::io("a source file changed while it was being read (SIGBUS on its mapping)");
}

Result<ExecutionResult> execute_plan(const Checkpoint& source, const ConversionPlan& plan,
                                     const std::vector<CheckpointWriter*>& writers, const ExecutorOptions& options,
                                     ProgressSink& progress, const CancelToken& cancel) {
    if (writers.size() != plan.files.size()) return Status::internal("executor needs one writer per planned file");
    std::vector<uint32_t> jobs;
    std::vector<size_t> slot(plan.tensors.size(), 0);
    for (const auto& f : plan.files)
        for (size_t k = 0; k < f.tensors.size(); ++k) {
            jobs.push_back(f.tensors[k]);
            slot[f.tensors[k]] = k;
        }
    ExecutionResult result;
    result.hashes.assign(plan.tensors.size(), 0);
    int threads = options.threads > 0
                      ? options.threads
                      : static_cast<int>(std::min(8u, std::max(1u, std::thread::hardware_concurrency())));
    threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<size_t>(1, jobs.size()))));
    result.threads = threads;
    progress.begin_bytes("convert", plan.total_bytes());

    MemoryBudget budget(options.max_memory);
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::atomic<uint64_t> written{0};
    std::atomic<uint64_t> device_tensors{0};
    std::optional<DeviceAssembler> device;
    if (options.device) device.emplace(*options.device);
    std::mutex error_mutex;
    Status error;
    auto fail = [&](Status st) {
        std::lock_guard lock(error_mutex);
        if (error.is_ok()) error = std::move(st);
        failed = true;
    };
    auto worker = [&] {
        HostAssembler host(std::max(kKeepBuffer, options.max_memory / static_cast<uint64_t>(threads)));
        std::optional<DeviceAssembler::Worker> on_device;
        if (device) on_device.emplace(*device);
        while (!failed) {
            const size_t j = next.fetch_add(1);
            if (j >= jobs.size()) return;
            if (cancel.is_cancelled()) return fail(Status::cancelled());
            if (j + threads < jobs.size()) prefetch_sources(source, plan, plan.tensors[jobs[j + threads]]);
            const PlannedTensor& t = plan.tensors[jobs[j]];
            const uint64_t size = t.byte_size();
            if (auto direct = direct_span(source, plan, t)) {
                // The mapped source is read here (hash, then the writer's copy): a file truncated
                // meanwhile raises SIGBUS, which the guard turns into the source-changed error.
                Status st;
                const bool read = catching_sigbus([&] {
                    result.hashes[jobs[j]] = XXH3_64bits(direct->data(), direct->size());
                    st = writers[t.file]->write(slot[jobs[j]], *direct);
                });
                if (!read) return fail(source_changed(source).in_tensor(t.name));
                const TensorInfo& info = source.tensors[plan.sources[t.ops[0].source].tensor];
                source.file_of(info).map->advise_done(info.location.offset, info.location.nbytes);
                if (!st) return fail(st.in_tensor(t.name));
                written += size;
                progress.advance(size);
                continue;
            }
            uint64_t held = size;
            if (on_device) {
                auto staged = DeviceAssembler::staged_bytes(source, plan, t);
                if (!staged) return fail(staged.status());
                held += *staged;
            }
            budget.acquire(held, cancel);
            Result<std::span<const std::byte>> bytes = Status::internal("not assembled");
            if (on_device) {
                bytes = on_device->assemble(source, plan, t);
            } else if (!catching_sigbus([&] { bytes = host.assemble(source, plan, t); })) {
                budget.release(held);
                return fail(source_changed(source).in_tensor(t.name));
            }
            Status st = bytes.status();
            if (bytes) {
                result.hashes[jobs[j]] = XXH3_64bits(bytes->data(), bytes->size());
                st = writers[t.file]->write(slot[jobs[j]], *bytes);
            }
            if (on_device) {
                on_device->trim(kKeepBuffer);
                ++device_tensors;
            } else {
                host.trim();
            }
            budget.release(held);
            if (!st) return fail(st.in_tensor(t.name));
            written += size;
            progress.advance(size);
        }
    };
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();
    if (!error.is_ok()) return error;
    if (cancel.is_cancelled()) return Status::cancelled();
    result.bytes_written = written;
    result.peak_buffer_bytes = budget.peak();
    result.device_tensors = device_tensors;
    return result;
}

}  // namespace strata
