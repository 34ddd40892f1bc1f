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
    virtual void advance(uint64_t units) = 0;
    virtual void log(std::string_view line) = 0;
};

class NullProgress final : public ProgressSink {
public:
    void begin(std::string_view, uint64_t) override {}
    void advance(uint64_t) override {}
    void log(std::string_view) override {}
};

// Progress kept in atomics so another thread (a GUI timer, a CLI ticker) can poll it.
class AtomicProgress : public ProgressSink {
public:
    void begin(std::string_view label, uint64_t total) override;
    void advance(uint64_t units) override { done_.fetch_add(units, std::memory_order_relaxed); }
    void log(std::string_view line) override;

    uint64_t done() const { return done_.load(std::memory_order_relaxed); }
    uint64_t total() const { return total_.load(std::memory_order_relaxed); }
    double fraction() const;
    std::string label() const;
    // Log lines not yet taken; clears them.
    std::vector<std::string> take_log();

private:
    std::atomic<uint64_t> done_{0};
    std::atomic<uint64_t> total_{0};
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
