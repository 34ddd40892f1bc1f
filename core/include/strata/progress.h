// ProgressSink and CancelToken: how long operations report progress and learn
// that the user wants them to stop. Both are thread-safe; long operations check
// the token at least once per tensor and return Status::cancelled().
// Usage: AtomicProgress p; CancelToken c; run(..., p, c); p.fraction();
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata {

class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    // Starts a phase of `total` units (bytes, tensors...) described by `label`.
    virtual void begin(std::string_view label, uint64_t total) = 0;
    // Starts a phase counted in bytes (what a writer writes), so a reader can show sizes,
    // a rate and an ETA. Sinks that do not care treat it as begin().
    virtual void begin_bytes(std::string_view label, uint64_t total_bytes) { begin(label, total_bytes); }
    virtual void advance(uint64_t units) = 0;
    virtual void log(std::string_view line) = 0;
};

class NullProgress final : public ProgressSink {
public:
    void begin(std::string_view, uint64_t) override {}
    void advance(uint64_t) override {}
    void log(std::string_view) override {}
};

// One look at a phase: what a progress line is made of.
struct ProgressReading {
    std::string label;
    uint64_t done = 0;
    uint64_t total = 0;
    double seconds = 0.0;  // since the phase began
    bool bytes = false;    // begun with begin_bytes
};

// "convert: 412.3 MB of 70.4 GB (0.6%), 95.1 MB/s, ETA 12 min 10 s" for a byte phase;
// "statistics: 37 of 120 (30.8%)" otherwise. The CLI and the Studio print this same line.
std::string describe_progress(const ProgressReading& reading);
// "70.4 GB", "512.0 MB", "900 B" (decimal units, as disk sizes are sold and `df -H` shows them).
std::string format_byte_size(uint64_t bytes);

// Progress kept in atomics so another thread (a GUI timer, a CLI ticker) can poll it.
class AtomicProgress : public ProgressSink {
public:
    void begin(std::string_view label, uint64_t total) override;
    void begin_bytes(std::string_view label, uint64_t total_bytes) override;
    void advance(uint64_t units) override { done_.fetch_add(units, std::memory_order_relaxed); }
    void log(std::string_view line) override;

    uint64_t done() const { return done_.load(std::memory_order_relaxed); }
    uint64_t total() const { return total_.load(std::memory_order_relaxed); }
    double fraction() const;
    std::string label() const;
    ProgressReading reading() const;
    // Log lines not yet taken; clears them.
    std::vector<std::string> take_log();

private:
    std::atomic<uint64_t> done_{0};
    std::atomic<uint64_t> total_{0};
    std::atomic<bool> bytes_{false};
    std::atomic<int64_t> began_ns_{0};  // steady_clock, when the phase began
    mutable std::mutex mutex_;
    std::string label_;
    std::vector<std::string> log_;
};

class CancelToken {
public:
    void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
    bool is_cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
    Status check() const { return is_cancelled() ? Status::cancelled() : Status::ok(); }

private:
    std::atomic<bool> cancelled_{false};
};

}  // namespace strata
