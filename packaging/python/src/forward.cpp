// strata.forward: the reference forward pass (run_forward, what `strata forward` runs) on
// any layout; the logits come back as a float32 NumPy array [tokens, vocab] that owns the
// core's buffer (no copy).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "bindings.h"
#include "checkpoint.h"
#include "errors.h"
#include "progress_bridge.h"
#include "strata/forward/forward.h"

namespace strata::python {
namespace {

ForwardPrecision parse_precision(const std::string& text) {
    if (text == "f32" || text == "fp32" || text == "float32") return ForwardPrecision::F32;
    if (text == "bf16" || text == "bfloat16") return ForwardPrecision::BF16;
    throw StatusError(Status::invalid_argument("precision must be f32 or bf16, not '" + text + "'"));
}

py::array_t<float> forward(const py::object& model, const std::vector<int32_t>& tokens, const std::string& device,
                           const std::string& precision, bool allow_unmapped, const py::object& progress) {
    ForwardOptions options;
    options.device = device;
    options.precision = parse_precision(precision);
    options.allow_unmapped = allow_unmapped;
    std::shared_ptr<OpenedCheckpoint> ckpt =
        py::isinstance<OpenedCheckpoint>(model)
            ? model.cast<std::shared_ptr<OpenedCheckpoint>>()
            : OpenedCheckpoint::open(model.cast<std::filesystem::path>(), allow_unmapped);
    ForwardResult result = run_with_progress<ForwardResult>(progress, [&](ProgressSink& p, const CancelToken& c) {
        return run_forward(ckpt->checkpoint(), tokens, options, p, c);
    });
    auto* logits = new std::vector<float>(std::move(result.logits));
    py::capsule owner(logits, [](void* p) { delete static_cast<std::vector<float>*>(p); });
    return py::array_t<float>({static_cast<py::ssize_t>(result.tokens), static_cast<py::ssize_t>(result.vocab)},
                              logits->data(), owner);
}

}  // namespace

void bind_forward(py::module_& m) {
    m.def("_forward", &forward, py::arg("model"), py::arg("tokens"), py::arg("device") = "cpu",
          py::arg("precision") = "f32", py::arg("allow_unmapped") = false, py::arg("progress") = py::none());
}

}  // namespace strata::python
