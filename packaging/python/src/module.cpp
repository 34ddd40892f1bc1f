// The `strata._core` extension module: one bind_* function per concept (bindings.h).
#include "bindings.h"

PYBIND11_MODULE(_core, m) {
    m.doc() = "Strata's core as a Python module (see the strata package for the documented API).";
    strata::python::bind_errors(m);
    strata::python::bind_arrays(m);
    strata::python::bind_checkpoint(m);
    strata::python::bind_plan(m);
    strata::python::bind_convert(m);
    strata::python::bind_diff(m);
    strata::python::bind_forward(m);
}
