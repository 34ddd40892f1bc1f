#include "bench_util.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "strata/synth/synth.h"

namespace fs = std::filesystem;

namespace strata::bench {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

uint64_t folder_bytes(const fs::path& p) {
    uint64_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) n += e.file_size();
    return n;
}

void warm(const fs::path& p) {
    std::vector<char> buf(1 << 20);
    for (const auto& e : fs::recursive_directory_iterator(p)) {
        if (!e.is_regular_file()) continue;
        std::ifstream f(e.path(), std::ios::binary);
        while (f.read(buf.data(), static_cast<std::streamsize>(buf.size())) || f.gcount() > 0) {
        }
    }
}

int run(const std::string& cmd) {
    std::fflush(stdout);  // our lines first, then the child's
    return std::system(cmd.c_str());
}

bool synth_in_child(const std::string& preset, int layers, bool f32, const fs::path& out) {
    const pid_t child = ::fork();
    if (child == 0) {
        SynthOptions o;
        o.preset = preset;
        o.layers = layers;
        o.dtype = f32 ? DType::F32 : DType::BF16;
        o.out = out;
        NullProgress p;
        CancelToken c;
        auto st = synthesize(o, p, c);
        if (!st) std::fprintf(stderr, "synth failed: %s\n", st.to_string().c_str());
        ::_exit(st.is_ok() ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

double peak_rss_mb() {
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

std::string torch_python() {
    const std::string py = "/usr/bin/python3";
    if (run(py + " -c 'import torch, numpy' >/dev/null 2>&1") == 0) return py;
    return "";
}

}  // namespace strata::bench
