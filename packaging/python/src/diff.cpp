// strata.diff: two checkpoints compared tensor by tensor through their canonical views
// (or by stored name), the same core calls as `strata diff`; the report is diff_to_json's.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "bindings.h"
#include "checkpoint.h"
#include "errors.h"
#include "progress_bridge.h"
#include "python_json.h"
#include "strata/diff/diff.h"
#include "strata/formats/format_registry.h"

namespace strata::python {
namespace {

// A checkpoint argument: a strata.Checkpoint object or a path.
std::shared_ptr<OpenedCheckpoint> as_checkpoint(const py::object& value, bool allow_unmapped) {
    if (py::isinstance<OpenedCheckpoint>(value)) return value.cast<std::shared_ptr<OpenedCheckpoint>>();
    return OpenedCheckpoint::open(value.cast<std::filesystem::path>(), allow_unmapped);
}

py::object diff(const py::object& a, const py::object& b, double tolerance, int threads, bool stored_names,
                bool allow_unmapped, const py::object& progress) {
    auto ca = as_checkpoint(a, allow_unmapped);
    auto cb = as_checkpoint(b, allow_unmapped);
    const DiffOptions options{tolerance, threads};
    DiffReport report;
    if (stored_names) {
        report = run_with_progress<DiffReport>(progress, [&](ProgressSink& p, const CancelToken& c) {
            return diff_checkpoints(ca->checkpoint(), cb->checkpoint(), options, p, c);
        });
    } else {
        const CanonicalView& va = ca->canonical();
        const CanonicalView& vb = cb->canonical();
        report = run_with_progress<DiffReport>(
            progress, [&](ProgressSink& p, const CancelToken& c) { return diff_views(va, vb, options, p, c); });
    }
    py::dict out = to_python(diff_to_json(report, /*all=*/true));
    out["text"] = diff_to_text(report);
    return out;
}

}  // namespace

void bind_diff(py::module_& m) {
    m.def("_diff", &diff, py::arg("a"), py::arg("b"), py::arg("tolerance") = 0.0, py::arg("threads") = 0,
          py::arg("stored_names") = false, py::arg("allow_unmapped") = false, py::arg("progress") = py::none());
}

}  // namespace strata::python
