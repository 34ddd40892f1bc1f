#include "strata/progress.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace strata {

namespace {

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string format_duration(double seconds) {
    const auto s = static_cast<uint64_t>(std::llround(seconds));
    char buf[48];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%llu s", static_cast<unsigned long long>(s));
    else if (s < 3600)
        std::snprintf(buf, sizeof buf, "%llu min %llu s", static_cast<unsigned long long>(s / 60),
                      static_cast<unsigned long long>(s % 60));
    else
        std::snprintf(buf, sizeof buf, "%llu h %llu min", static_cast<unsigned long long>(s / 3600),
                      static_cast<unsigned long long>(s % 3600 / 60));
    return buf;
}

}  // namespace

std::string format_byte_size(uint64_t bytes) {
    static const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
    if (bytes < 1000) return std::to_string(bytes) + " B";
    double v = static_cast<double>(bytes);
    int unit = -1;
    while (v >= 1000.0 && unit < 5) {
        v /= 1000.0;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
    return buf;
}

std::string describe_progress(const ProgressReading& r) {
    std::string line = r.label.empty() ? std::string() : r.label + ": ";
    const double pct = r.total ? 100.0 * static_cast<double>(r.done) / static_cast<double>(r.total) : 0.0;
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.1f%%)", pct);
    if (!r.bytes) return line + std::to_string(r.done) + " of " + std::to_string(r.total) + (r.total ? buf : "");
    line += format_byte_size(r.done) + " of " + format_byte_size(r.total) + (r.total ? buf : "");
    if (r.seconds > 0.5 && r.done > 0) {  // a rate over less than half a second says little
        const double rate = static_cast<double>(r.done) / r.seconds;
        line += ", " + format_byte_size(static_cast<uint64_t>(rate)) + "/s";
        if (r.total > r.done) line += ", ETA " + format_duration(static_cast<double>(r.total - r.done) / rate);
    }
    return line;
}

void AtomicProgress::begin(std::string_view label, uint64_t total) {
    std::lock_guard lock(mutex_);
    label_ = std::string(label);
    done_.store(0, std::memory_order_relaxed);
    total_.store(total, std::memory_order_relaxed);
    bytes_.store(false, std::memory_order_relaxed);
    began_ns_.store(now_ns(), std::memory_order_relaxed);
}

void AtomicProgress::begin_bytes(std::string_view label, uint64_t total_bytes) {
    begin(label, total_bytes);
    bytes_.store(true, std::memory_order_relaxed);
}

ProgressReading AtomicProgress::reading() const {
    ProgressReading r;
    r.label = label();
    r.done = done();
    r.total = total();
    r.bytes = bytes_.load(std::memory_order_relaxed);
    const int64_t began = began_ns_.load(std::memory_order_relaxed);
    r.seconds = began ? static_cast<double>(now_ns() - began) / 1e9 : 0.0;
    return r;
}

void AtomicProgress::log(std::string_view line) {
    std::lock_guard lock(mutex_);
    log_.emplace_back(line);
}

double AtomicProgress::fraction() const {
    const uint64_t t = total();
    return t == 0 ? 0.0 : static_cast<double>(done()) / static_cast<double>(t);
}

std::string AtomicProgress::label() const {
    std::lock_guard lock(mutex_);
    return label_;
}

std::vector<std::string> AtomicProgress::take_log() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.swap(log_);
    return out;
}

}  // namespace strata
