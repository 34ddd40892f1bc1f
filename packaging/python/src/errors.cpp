// strata.Error and one subclass per core status code. InvalidArgumentError is also a
// ValueError and NotFoundError a LookupError, so generic Python handlers catch them too.
#include <array>

#include "bindings.h"
#include "errors.h"

namespace strata::python {
namespace {

struct ErrorClass {
    StatusCode code;
    const char* name;
    const char* extra_base;  // a builtin exception it also derives from, or null
    const char* doc;
};

// One row per StatusCode (status.h), in its order; Ok has no class.
constexpr std::array<ErrorClass, 8> kErrorClasses{{
    {StatusCode::InvalidArgument, "InvalidArgumentError", "ValueError", "An argument Strata cannot use."},
    {StatusCode::NotFound, "NotFoundError", "LookupError", "A file, tensor, preset or key that does not exist."},
    {StatusCode::Truncated, "TruncatedError", nullptr, "A file shorter than its header says."},
    {StatusCode::Corrupt, "CorruptError", nullptr, "A file whose header or layout is inconsistent."},
    {StatusCode::Unsupported, "UnsupportedError", nullptr, "Something Strata does not handle (yet)."},
    {StatusCode::Io, "IoError", nullptr, "A read, write or rename that the system refused."},
    {StatusCode::Cancelled, "CancelledError", nullptr, "An operation cancelled by the caller."},
    {StatusCode::Internal, "InternalError", nullptr, "A bug in Strata: please report it."},
}};

// Owned by the module for the life of the interpreter.
PyObject* g_base = nullptr;
std::array<PyObject*, kErrorClasses.size()> g_classes{};

PyObject* class_for(StatusCode code) {
    for (size_t i = 0; i < kErrorClasses.size(); ++i)
        if (kErrorClasses[i].code == code) return g_classes[i];
    return g_base;
}

void raise_status(const Status& status) {
    PyObject* cls = class_for(status.code());
    py::object error = py::reinterpret_borrow<py::object>(cls)(status.to_string());
    error.attr("code") = status_code_name(status.code());
    error.attr("file") = status.file().empty() ? py::none() : py::object(py::str(status.file()));
    error.attr("tensor") = status.tensor().empty() ? py::none() : py::object(py::str(status.tensor()));
    error.attr("offset") = status.offset() ? py::object(py::int_(*status.offset())) : py::none();
    PyErr_SetObject(cls, error.ptr());
}

}  // namespace

void bind_errors(py::module_& m) {
    g_base = PyErr_NewExceptionWithDoc("strata.Error",
                                       "Base class of Strata's errors. str(e) is Strata's one-line message;\n"
                                       "e.code is the status code name, e.file / e.tensor / e.offset the\n"
                                       "file, tensor and byte offset it concerns (None when not known).",
                                       PyExc_Exception, nullptr);
    if (!g_base) throw py::error_already_set();
    m.attr("Error") = py::handle(g_base);
    py::module_ builtins = py::module_::import("builtins");
    for (size_t i = 0; i < kErrorClasses.size(); ++i) {
        const ErrorClass& e = kErrorClasses[i];
        py::tuple bases = e.extra_base ? py::tuple(py::make_tuple(py::handle(g_base), builtins.attr(e.extra_base)))
                                       : py::tuple(py::make_tuple(py::handle(g_base)));
        const std::string qualified = std::string("strata.") + e.name;
        g_classes[i] = PyErr_NewExceptionWithDoc(qualified.c_str(), e.doc, bases.ptr(), nullptr);
        if (!g_classes[i]) throw py::error_already_set();
        m.attr(e.name) = py::handle(g_classes[i]);
    }
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const StatusError& e) {
            raise_status(e.status());
        }
    });
}

}  // namespace strata::python
