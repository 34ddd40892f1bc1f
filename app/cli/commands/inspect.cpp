// strata inspect PATH [--json] [--filter GLOB]
#include <chrono>
#include <cstdio>
#include <iostream>

#include "command.h"
#include "strata/formats/checkpoint_summary.h"
#include "strata/formats/format_registry.h"

namespace strata::cli {
namespace {

std::string human_bytes(uint64_t b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
    return buf;
}

std::string with_commas(uint64_t n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
    return s;
}

void print_text(const Checkpoint& ckpt, const std::string& filter) {
    const auto s = summarize(ckpt);
    std::cout << "format:      " << s.format << "\n"
              << "path:        " << ckpt.path.string() << "\n"
              << "files:       " << s.file_count << "\n"
              << "tensors:     " << with_commas(s.tensor_count) << "\n"
              << "parameters:  " << with_commas(s.parameter_count) << "\n"
              << "bytes:       " << with_commas(s.total_bytes) << " (" << human_bytes(s.total_bytes) << ")\n";
    for (const auto& [dt, n] : s.parameters_by_dtype) std::cout << "  " << dt << ": " << with_commas(n) << " parameters\n";
    if (!s.config_summary.empty()) {
        std::cout << "config:\n";
        for (auto it = s.config_summary.begin(); it != s.config_summary.end(); ++it)
            std::cout << "  " << it.key() << ": " << it.value().dump() << "\n";
    }
    // torch_dist: what the reader saw but does not list as tensors.
    const auto& md = ckpt.metadata;
    if (md.is_object() && md.contains("optimizer_state") && md["optimizer_state"].value("items", 0) > 0)
        std::cout << "optimizer:   " << md["optimizer_state"]["items"].dump() << " items present, not read\n";
    if (md.is_object() && md.contains("skipped_objects") && md["skipped_objects"].is_object())
        for (auto it = md["skipped_objects"].begin(); it != md["skipped_objects"].end(); ++it)
            std::cout << "skipped:     " << it.value().dump() << " " << it.key() << " objects\n";
    std::cout << "\n";
    std::printf("%-64s %-8s %-22s %14s  %s\n", "name", "dtype", "shape", "bytes", "file");
    for (const auto& t : ckpt.tensors) {
        if (!filter.empty() && !glob_match(filter, t.name)) continue;
        std::string file = ckpt.file_of(t).display_name;
        if (t.location.is_chunked()) file += " (+" + std::to_string(t.location.chunks.size() - 1) + " more chunks)";
        std::printf("%-64s %-8s %-22s %14s  %s\n", t.name.c_str(), std::string(dtype_name(t.dtype)).c_str(),
                    shape_to_string(t.shape).c_str(), with_commas(t.byte_size()).c_str(), file.c_str());
    }
}

}  // namespace

void add_inspect_command(CLI::App& app) {
    struct Args {
        std::string path;
        bool json = false;
        std::string filter;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("inspect", "Show a checkpoint's format, totals, config and tensor table");
    cmd->add_option("path", args->path, "checkpoint file or folder (safetensors, torch .pt, Megatron, PyTorch DCP / torch_dist)")->required();
    cmd->add_flag("--json", args->json, "print one JSON document (format, tensor_count, parameter_count, ...)");
    cmd->add_option("--filter", args->filter, "only list tensors whose name matches this glob");
    cmd->callback([args] {
        auto ckpt = open_checkpoint(args->path);
        check(ckpt.status());
        if (args->json) {
            std::cout << inspect_json(*ckpt, args->filter).dump(2) << "\n";
        } else {
            print_text(*ckpt, args->filter);
        }
    });
}

}  // namespace strata::cli
