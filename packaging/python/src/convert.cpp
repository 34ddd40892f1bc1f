// strata.convert: the core's convert_checkpoint (what `strata convert` runs), with the
// CLI's option names as keyword arguments, the GIL released and progress/cancel bridged
// to Python (progress_bridge.h).
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "bindings.h"
#include "errors.h"
#include "progress_bridge.h"
#include "python_json.h"
#include "strata/convert/convert.h"
#include "convert_request.h"

namespace strata::python {
namespace {

struct ConvertArgs {
    std::filesystem::path source, out;
    std::string to;
    int tp = 1, pp = 1, ep = 1, etp = 0, vpp = 1;
    std::optional<std::string> dtype, expert_layout, norm_layout, mamba_layout, megatron_version, ckpt_format;
    bool vocab_padding = true;
    int make_vocab_size_divisible_by = 128;
    int threads = 0;
    uint64_t max_memory = 1ull << 30;
    bool allow_unmapped = false, dry_run = false, overwrite = false, release = false, verify = true;
    int iteration = 1;
};

// The target options go through the CLI's own apply_convert_target (app/cli/commands/convert_request.h).
ConvertOptions convert_options(const ConvertArgs& a) {
    ConvertOptions o;
    o.source = a.source;
    o.out = a.out;
    cli::ConvertTarget t;
    t.to = a.to;
    t.plan.tp = a.tp;
    t.plan.pp = a.pp;
    t.plan.ep = a.ep;
    t.plan.etp = a.etp;
    t.plan.vpp = a.vpp;
    t.plan.make_vocab_size_divisible_by = a.make_vocab_size_divisible_by;
    t.vocab_padding = a.vocab_padding;
    t.expert_layout = a.expert_layout.value_or("");
    t.norm_layout = a.norm_layout.value_or("");
    t.mamba_layout = a.mamba_layout.value_or("");
    t.megatron_version = a.megatron_version.value_or("");
    t.dtype = a.dtype.value_or("");
    t.ckpt_format = a.ckpt_format.value_or("");
    t.cli_flags = false;
    check(cli::apply_convert_target(t, false, o));
    o.executor.max_memory = a.max_memory;
    o.executor.threads = a.threads;
    o.allow_unmapped = a.allow_unmapped;
    o.dry_run = a.dry_run;
    o.overwrite = a.overwrite;
    o.iteration = a.release ? 0 : a.iteration;
    o.verify = a.verify;
    if (!a.dry_run && a.out.empty()) throw StatusError(Status::invalid_argument("out is required"));
    return o;
}

py::object convert(const ConvertArgs& args, const py::object& progress) {
    const ConvertOptions options = convert_options(args);
    ConvertReport report = run_with_progress<ConvertReport>(
        progress, [&](ProgressSink& p, const CancelToken& c) { return convert_checkpoint(options, p, c); });
    const ConversionPlan& plan = report.plan;
    if (args.dry_run) return to_python(plan_to_json(plan));
    py::dict d;
    d["out"] = args.out;
    d["source_layout"] = plan.source_layout;
    d["target_layout"] = plan.target_layout;
    d["files"] = plan.files.size();
    d["tensors"] = plan.tensors.size();
    d["bytes"] = report.execution.bytes_written;
    d["seconds"] = report.seconds;
    d["threads"] = report.execution.threads;
    d["skipped"] = report.unmapped;
    return d;
}

}  // namespace

void bind_convert(py::module_& m) {
    m.def(
        "_convert",
        [](std::filesystem::path source, std::string to, std::filesystem::path out, int tp, int pp, int ep, int etp,
           int vpp,
           std::optional<std::string> dtype, std::optional<std::string> expert_layout,
           std::optional<std::string> norm_layout, bool vocab_padding, int make_vocab_size_divisible_by,
           std::optional<std::string> mamba_layout, std::optional<std::string> megatron_version,
           std::optional<std::string> ckpt_format, int threads,
           uint64_t max_memory, bool allow_unmapped, bool dry_run, bool overwrite, int iteration, bool release,
           bool verify, py::object progress) {
            ConvertArgs a{std::move(source),
                          std::move(out),
                          std::move(to),
                          tp,
                          pp,
                          ep,
                          etp,
                          vpp,
                          std::move(dtype),
                          std::move(expert_layout),
                          std::move(norm_layout),
                          std::move(mamba_layout),
                          std::move(megatron_version),
                          std::move(ckpt_format),
                          vocab_padding,
                          make_vocab_size_divisible_by,
                          threads,
                          max_memory,
                          allow_unmapped,
                          dry_run,
                          overwrite,
                          release,
                          verify,
                          iteration};
            return convert(a, progress);
        },
        py::arg("source"), py::arg("to"), py::arg("out") = std::filesystem::path(), py::arg("tp") = 1,
        py::arg("pp") = 1, py::arg("ep") = 1, py::arg("etp") = 0, py::arg("vpp") = 1, py::arg("dtype") = py::none(),
        py::arg("expert_layout") = py::none(), py::arg("norm_layout") = py::none(), py::arg("vocab_padding") = true,
        py::arg("make_vocab_size_divisible_by") = 128, py::arg("mamba_layout") = py::none(),
        py::arg("megatron_version") = py::none(), py::arg("ckpt_format") = py::none(), py::arg("threads") = 0, py::arg("max_memory") = 1ull << 30,
        py::arg("allow_unmapped") = false, py::arg("dry_run") = false, py::arg("overwrite") = false,
        py::arg("iteration") = 1, py::arg("release") = false, py::arg("verify") = true,
        py::arg("progress") = py::none());
}

}  // namespace strata::python
