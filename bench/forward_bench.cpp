// forward_bench: Strata's CPU reference forward against a plain-torch forward of the
// same checkpoint and tokens (bench/torch_forward.py, run with Debian's torch when it is
// installed), measured in the same run. The model is Qwen3-30B-A3B at real dims with
// fewer layers (bf16 on disk, fp32 compute); the torch script also reports the max abs
// difference of its logits from Strata's, so both are shown to compute the same model.
// Strata streams one layer at a time from the mapped file; torch loads everything first,
// so both "forward only" and "load + forward" ratios are printed.
// Usage: forward_bench [--layers 1] [--tokens 32] [--threads 0] [--dir /tmp]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "strata/forward/forward.h"
#include "strata/forward/npy.h"

namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

int main(int argc, char** argv) {
    int layers = 1, tokens = 32, threads = 0;
    fs::path base = fs::temp_directory_path();
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--layers")
            layers = std::atoi(argv[i + 1]);
        else if (a == "--tokens")
            tokens = std::atoi(argv[i + 1]);
        else if (a == "--threads")
            threads = std::atoi(argv[i + 1]);
        else if (a == "--dir")
            base = argv[i + 1];
    }
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const fs::path root = base / ("strata-forward-bench-" + std::to_string(::getpid()));
    fs::create_directories(root);
    const fs::path src = root / "src", logits = root / "strata-logits.npy", result = root / "torch.json";
    if (!synth_in_child("qwen3-30b-a3b", layers, false, src)) return 1;
    std::printf("model: qwen3-30b-a3b dims, %d layer(s), %.2f GB bf16; %d tokens; %d threads\n", layers,
                static_cast<double>(folder_bytes(src)) / 1e9, tokens, threads);

    std::vector<int32_t> ids;
    std::string id_list;
    for (int t = 0; t < tokens; ++t) {
        ids.push_back(static_cast<int32_t>((t * 7919 + 13) % 151936));
        id_list += (t ? "," : "") + std::to_string(ids.back());
    }
    warm(src);
    NullProgress progress;
    CancelToken cancel;
    const double t0 = now();
    auto r = run_forward(src, ids, ForwardOptions{}, progress, cancel);
    const double strata_s = now() - t0;
    if (!r) {
        std::fprintf(stderr, "forward failed: %s\n", r.status().to_string().c_str());
        fs::remove_all(root);
        return 1;
    }
    if (auto st = write_npy_f32(logits, r->logits, {r->tokens, r->vocab}); !st) return 1;
    std::printf("strata forward (cpu, f32):    %.2f s, %.0f MB weights peak resident, peak RSS %.0f MB\n", strata_s,
                static_cast<double>(r->peak_resident_bytes) / 1e6, peak_rss_mb());

    const std::string py = torch_python();
    if (py.empty()) {
        std::printf("torch baseline: skipped (no python3 with torch and numpy)\n");
    } else {
        warm(src);
        const std::string cmd = py + " '" STRATA_BENCH_DIR "/torch_forward.py' '" + src.string() + "' --tokens " +
                                id_list + " --threads " + std::to_string(threads) + " --out '" + result.string() +
                                "' --compare '" + logits.string() + "'";
        if (run(cmd) != 0) {
            std::fprintf(stderr, "torch baseline failed: %s\n", cmd.c_str());
            fs::remove_all(root);
            return 1;
        }
        std::ifstream in(result);
        const auto j = nlohmann::json::parse(in);
        const double load = j["load_s"], fwd = j["forward_s"];
        std::printf("torch (load all, then fp32):  load %.2f s + forward %.2f s, %d threads\n", load, fwd,
                    j["threads"].get<int>());
        std::printf("max |strata - torch| logit:   %.3g\n", j["max_abs_diff"].get<double>());
        std::printf("ratio strata / torch forward: %.2f   (strata / torch load + forward: %.2f)\n", strata_s / fwd,
                    strata_s / (load + fwd));
    }
    fs::remove_all(root);
    return 0;
}
