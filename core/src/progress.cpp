#include "strata/progress.h"

namespace strata {

void AtomicProgress::begin(std::string_view label, uint64_t total) {
    std::lock_guard lock(mutex_);
    label_ = std::string(label);
    done_.store(0, std::memory_order_relaxed);
    total_.store(total, std::memory_order_relaxed);
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
