// convert_bench: a Qwen3-MoE-shaped checkpoint at real Qwen3-30B-A3B dims (fewer
// layers, >= 2 GB) converted HF -> Megatron TP2 PP2 EP4. Prints Strata's time divided
// by `cp -r` of the same source bytes (page cache warm, same run) and Strata's peak RSS;
// where Debian's torch is installed, also divided by bench/torch_convert.py doing the same
// conversion the way the Python converters do (load all, chunk/cat, torch.save), whose
// output is then diffed against the source through Strata's canonical view. For context
// it also times `dd oflag=direct` writing as many bytes as Strata wrote: the disk's speed.
// Usage: convert_bench [--layers 2] [--dir /tmp] [--threads 0] [--max-memory-mb 1024] [--torch 0|1]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "strata/convert/convert.h"
#include "strata/diff/diff.h"
#include "strata/formats/format_registry.h"
#include "bench_util.h"

namespace fs = std::filesystem;
using namespace strata;

using namespace strata::bench;

namespace {

// Whether `b` holds exactly the tensors of `a`, read through both canonical views.
std::string same_model(const fs::path& a, const fs::path& b) {
    auto ca = open_checkpoint(a);
    auto cb = open_checkpoint(b);
    if (!ca || !cb) return "cannot open: " + (ca ? cb.status() : ca.status()).to_string();
    auto va = CanonicalView::open(*ca, {});
    auto vb = CanonicalView::open(*cb, {});
    if (!va || !vb) return "cannot read: " + (va ? vb.status() : va.status()).to_string();
    NullProgress p;
    CancelToken c;
    auto report = diff_views(*va, *vb, {}, p, c);
    if (!report) return report.status().to_string();
    if (report->equal()) return "yes, " + std::to_string(report->compared) + " tensors bit-identical";
    return "NO: " + diff_to_text(*report);
}

}  // namespace

int main(int argc, char** argv) {
    int layers = 2, threads = 0;
    bool with_torch = true;
    uint64_t max_memory_mb = 1024;
    fs::path base = fs::temp_directory_path();
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--layers")
            layers = std::atoi(argv[i + 1]);
        else if (a == "--dir")
            base = argv[i + 1];
        else if (a == "--threads")
            threads = std::atoi(argv[i + 1]);
        else if (a == "--torch")
            with_torch = std::atoi(argv[i + 1]) != 0;
        else if (a == "--max-memory-mb")
            max_memory_mb = std::strtoull(argv[i + 1], nullptr, 10);
    }
    const fs::path root = base / ("strata-convert-bench-" + std::to_string(::getpid()));
    fs::create_directories(root);
    const fs::path src = root / "src", cp_out = root / "cp", mg = root / "mg";

    // Synthesize in a child process so its memory does not count in our peak RSS.
    if (!synth_in_child("qwen3-30b-a3b", layers, false, src)) return 1;
    const uint64_t src_bytes = folder_bytes(src);
    std::printf("source: qwen3-30b-a3b dims, %d layers, %.2f GB\n", layers, static_cast<double>(src_bytes) / 1e9);

    warm(src);
    double t0 = now();
    if (run("cp -r '" + src.string() + "' '" + cp_out.string() + "' && sync -f '" + cp_out.string() + "'") != 0)
        return 1;
    const double cp_s = now() - t0;
    fs::remove_all(cp_out);

    warm(src);
    ConvertOptions o;
    o.source = src;
    o.out = mg;
    o.target.kind = LayoutKind::Megatron;
    o.target.plan.tp = 2;
    o.target.plan.pp = 2;
    o.target.plan.ep = 4;
    o.executor.threads = threads;
    o.executor.max_memory = max_memory_mb << 20;
    NullProgress progress;
    CancelToken cancel;
    t0 = now();
    auto report = convert_checkpoint(o, progress, cancel);
    if (report) run("sync -f '" + mg.string() + "'");
    const double strata_s = now() - t0;
    if (!report) {
        std::fprintf(stderr, "convert failed: %s\n", report.status().to_string().c_str());
        fs::remove_all(root);
        return 1;
    }
    const uint64_t out_bytes = folder_bytes(mg);
    const double peak_mb = peak_rss_mb();
    const double largest_mb = static_cast<double>(report->plan.largest_tensor_bytes()) / 1e6;
    std::printf("cp -r source:                 %.2f s (%.0f MB/s)\n", cp_s,
                static_cast<double>(src_bytes) / 1e6 / cp_s);
    std::printf(
        "strata convert tp2 pp2 ep4:   %.2f s, wrote %.2f GB in %zu files (%d threads, verify + manifest incl.)\n",
        strata_s, static_cast<double>(out_bytes) / 1e9, report->plan.files.size(), report->execution.threads);
    std::printf("ratio strata / cp:            %.2f  (per byte written: %.2f)\n", strata_s / cp_s,
                (strata_s / static_cast<double>(out_bytes)) / (cp_s / static_cast<double>(src_bytes)));
    std::printf("peak RSS:                     %.0f MB (largest tensor %.0f MB, budget %llu MB)\n", peak_mb, largest_mb,
                static_cast<unsigned long long>(max_memory_mb));
    // Context for the cp ratio: the disk's own speed for the bytes Strata wrote, page
    // cache bypassed as Strata's big writes bypass it.
    {
        const fs::path dd = root / "dd.bin";
        t0 = now();
        const int rc = run("dd if=/dev/zero of='" + dd.string() + "' bs=16M count=" +
                           std::to_string((out_bytes + (16u << 20) - 1) / (16u << 20)) +
                           " oflag=direct conv=fdatasync status=none 2>/dev/null");
        const double dd_s = now() - t0;
        fs::remove(dd);
        if (rc == 0)
            std::printf("dd oflag=direct, bytes written: %.2f s (%.0f MB/s): strata / dd %.2f\n", dd_s,
                        static_cast<double>(out_bytes) / 1e6 / dd_s, strata_s / dd_s);
    }
    const std::string py = with_torch ? torch_python() : "";
    if (py.empty()) {
        std::printf("torch baseline: skipped (%s)\n", with_torch ? "no python3 with torch and numpy" : "--torch 0");
    } else {
        const fs::path tmg = root / "torch-mg";
        warm(src);
        t0 = now();
        const int rc = run(py + " '" STRATA_BENCH_DIR "/torch_convert.py' '" + src.string() + "' '" + tmg.string() +
                           "' --tp 2 --pp 2 --ep 4 --args-from '" + mg.string() + "'");
        const double torch_s = now() - t0;
        if (rc != 0) {
            std::fprintf(stderr, "torch baseline failed\n");
        } else {
            std::printf("torch load/cat/save:          %.2f s, wrote %.2f GB\n", torch_s,
                        static_cast<double>(folder_bytes(tmg)) / 1e9);
            std::printf("ratio strata / torch:         %.2f\n", strata_s / torch_s);
            std::printf("torch output == source:       %s\n", same_model(src, tmg).c_str());
        }
    }
    fs::remove_all(root);
    return 0;
}
