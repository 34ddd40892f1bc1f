// Helpers the benchmarks share: wall time, folder sizes, warming the page cache,
// synthesizing a source in a child process (so its memory stays out of the bench's
// peak RSS), peak RSS, and finding the Debian torch the baselines run with.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace strata::bench {

double now();
uint64_t folder_bytes(const std::filesystem::path& p);
// Reads every file with read() (not mmap, so this process's RSS stays small).
void warm(const std::filesystem::path& p);
int run(const std::string& cmd);
// `strata synth --preset P --layers L --dtype D` into `out`, in a child process.
bool synth_in_child(const std::string& preset, int layers, bool f32, const std::filesystem::path& out);
double peak_rss_mb();
// The python with torch the baselines use ("/usr/bin/python3": Debian's torch works only
// there), or "" when torch is not importable, so the bench prints the Strata figure alone.
std::string torch_python();

}  // namespace strata::bench
