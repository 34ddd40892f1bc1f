// inspect_bench: opening the full Qwen3-30B-A3B skeleton (18,867 tensors in 13
// shards, written sparse) and summarising it, against a baseline measured in the
// same run: reading every shard's header bytes with plain stdio (the least any
// reader must do). Prints both times and their ratio.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "strata/formats/checkpoint_summary.h"
#include "strata/formats/format_registry.h"
#include "strata/synth/synth.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Baseline: read every shard's 8-byte length and its JSON header into memory.
size_t read_headers(const fs::path& dir) {
    size_t total = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".safetensors") continue;
        std::ifstream in(e.path(), std::ios::binary);
        uint64_t n = 0;
        in.read(reinterpret_cast<char*>(&n), 8);
        std::vector<char> header(n);
        in.read(header.data(), static_cast<std::streamsize>(n));
        total += header.size();
    }
    return total;
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "strata-inspect-bench";
    fs::remove_all(dir);
    SynthOptions o;
    o.preset = "qwen3-30b-a3b";
    o.out = dir;
    o.sparse = true;
    NullProgress progress;
    CancelToken cancel;
    if (auto s = synthesize(o, progress, cancel); !s.is_ok()) {
        std::fprintf(stderr, "%s\n", s.to_string().c_str());
        return 1;
    }
    constexpr int kRuns = 5;
    double best_open = 1e9, best_base = 1e9;
    size_t tensors = 0;
    uint64_t params = 0;
    for (int i = 0; i < kRuns; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        const size_t header_bytes = read_headers(dir);
        best_base = std::min(best_base, seconds_since(t0));
        t0 = std::chrono::steady_clock::now();
        auto ckpt = open_checkpoint(dir);
        if (!ckpt) {
            std::fprintf(stderr, "%s\n", ckpt.status().to_string().c_str());
            return 1;
        }
        const auto summary = summarize(*ckpt);
        best_open = std::min(best_open, seconds_since(t0));
        tensors = summary.tensor_count;
        params = summary.parameter_count;
        (void)header_bytes;
    }
    std::printf("qwen3-30b-a3b skeleton: %zu tensors, %llu parameters\n", tensors,
                static_cast<unsigned long long>(params));
    std::printf("open+validate+summarise: %.1f ms (best of %d)\n", best_open * 1e3, kRuns);
    std::printf("baseline (read headers only): %.1f ms\n", best_base * 1e3);
    std::printf("ratio strata/baseline: %.2f\n", best_open / best_base);
    fs::remove_all(dir);
    return 0;
}
