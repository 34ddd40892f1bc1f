// The CLI's command plumbing: each command is one file that adds a CLI11
// subcommand. Commands print results to stdout, errors as one line to stderr,
// and exit non-zero on failure (see exit_code()).
// Usage (in commands/foo.cpp): void add_foo_command(CLI::App& app) { ... }
#pragma once

#include <CLI/CLI.hpp>

#include "strata/progress.h"
#include "strata/status.h"

namespace strata::cli {

// Prints "strata: error: <status line>" and returns the process exit code for it.
int report(const Status& status);
// Throws CLI::RuntimeError(code) so CLI11 exits with it; used inside callbacks.
[[noreturn]] void exit_with(int code);
// Reports and exits if the status is an error.
void check(const Status& status);

// A ProgressSink that draws a one-line bar on stderr when it is a terminal.
class TerminalProgress final : public AtomicProgress {
public:
    explicit TerminalProgress(bool enabled);
    ~TerminalProgress() override;
    void begin(std::string_view label, uint64_t total) override;
    void advance(uint64_t units) override;
    void log(std::string_view line) override;

private:
    void draw(bool final);
    bool enabled_;
    uint64_t last_drawn_ = 0;
};

void add_inspect_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_pattern_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_hybridize_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_reshard_command(CLI::App& app);
void add_diff_command(CLI::App& app);
void add_forward_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_clean_command(CLI::App& app);

}  // namespace strata::cli
