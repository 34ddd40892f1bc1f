#include "command.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace strata::cli {

int report(const Status& status) {
    if (status.is_ok()) return 0;
    std::cerr << "strata: error: " << status.to_string() << "\n";
    switch (status.code()) {
        case StatusCode::InvalidArgument: return 2;
        case StatusCode::Cancelled: return 130;
        default: return 1;
    }
}

void exit_with(int code) { throw CLI::RuntimeError(code); }

void check(const Status& status) {
    if (!status.is_ok()) exit_with(report(status));
}

TerminalProgress::TerminalProgress(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}

TerminalProgress::~TerminalProgress() {
    if (enabled_ && total() > 0) draw(true);
}

void TerminalProgress::begin(std::string_view label, uint64_t total) {
    AtomicProgress::begin(label, total);
    last_drawn_ = 0;
}

void TerminalProgress::advance(uint64_t units) {
    AtomicProgress::advance(units);
    if (!enabled_) return;
    const uint64_t t = total();
    if (t == 0) return;
    const uint64_t step = t / 200 + 1;
    if (done() - last_drawn_ >= step || done() >= t) draw(done() >= t);
}

void TerminalProgress::log(std::string_view line) {
    AtomicProgress::log(line);
    std::cerr << line << "\n";
}

void TerminalProgress::draw(bool final) {
    last_drawn_ = done();
    // Padded so a shorter line (a lower rate) overwrites the previous one.
    std::fprintf(stderr, "\r%-78s%s", describe_progress(reading()).c_str(), final ? "\n" : "");
    std::fflush(stderr);
}

}  // namespace strata::cli
