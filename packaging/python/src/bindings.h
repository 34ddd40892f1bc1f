// The bindings of strata._core, one function per concept, each in its own source file:
// errors (status codes -> exception classes), arrays (NumPy views, DLPack), checkpoint,
// plan (plan checks and layer patterns), convert, diff, forward.
// Usage: PYBIND11_MODULE(_core, m) { bind_errors(m); bind_checkpoint(m); ... }
#pragma once

#include <pybind11/pybind11.h>

namespace strata::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_arrays(py::module_& m);
void bind_checkpoint(py::module_& m);
void bind_plan(py::module_& m);
void bind_convert(py::module_& m);
void bind_diff(py::module_& m);
void bind_forward(py::module_& m);

}  // namespace strata::python
