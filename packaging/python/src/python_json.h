// JSON values (configs, reports) handed to Python as plain dicts and lists, through the
// json module so that numbers, nulls and nesting come out exactly as Python reads JSON.
// Usage: py::object config = to_python(ckpt.config);
#pragma once

#include <pybind11/pybind11.h>
#include <nlohmann/json.hpp>

namespace strata::python {

inline pybind11::object to_python(const nlohmann::json& value) {
    return pybind11::module_::import("json").attr("loads")(value.dump());
}

}  // namespace strata::python
