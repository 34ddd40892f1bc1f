#include "arrays.h"

#include <array>

#include "bindings.h"
#include "errors.h"

namespace strata::python {
namespace {

// NumPy names of each dtype; ml_dtypes supplies the ones NumPy lacks
// (https://github.com/jax-ml/ml_dtypes#ml_dtypes). Sub-byte dtypes are packed in files
// and have no one-element-per-byte form here: raw only.
struct NumpyName {
    DType dtype;
    const char* numpy;      // a NumPy dtype name, or null
    const char* ml_dtypes;  // an ml_dtypes attribute, or null
};
constexpr std::array<NumpyName, 22> kNumpyNames{{
    {DType::Bool, "bool", nullptr},
    {DType::U8, "uint8", nullptr},
    {DType::I8, "int8", nullptr},
    {DType::I16, "int16", nullptr},
    {DType::U16, "uint16", nullptr},
    {DType::F16, "float16", nullptr},
    {DType::BF16, nullptr, "bfloat16"},
    {DType::I32, "int32", nullptr},
    {DType::U32, "uint32", nullptr},
    {DType::F32, "float32", nullptr},
    {DType::F64, "float64", nullptr},
    {DType::I64, "int64", nullptr},
    {DType::U64, "uint64", nullptr},
    {DType::C64, "complex64", nullptr},
    {DType::F8_E4M3, nullptr, "float8_e4m3fn"},
    {DType::F8_E5M2, nullptr, "float8_e5m2"},
    {DType::F8_E8M0, nullptr, "float8_e8m0fnu"},
    {DType::F8_E4M3FNUZ, nullptr, "float8_e4m3fnuz"},
    {DType::F8_E5M2FNUZ, nullptr, "float8_e5m2fnuz"},
    {DType::F4, nullptr, nullptr},
    {DType::F6_E2M3, nullptr, nullptr},
    {DType::F6_E3M2, nullptr, nullptr},
}};

const NumpyName& numpy_name(DType dtype) {
    for (const auto& n : kNumpyNames)
        if (n.dtype == dtype) return n;
    throw StatusError(Status::internal("no NumPy name for dtype " + std::string(dtype_name(dtype))));
}

py::dtype raw_dtype(DType dtype, std::string_view tensor) {
    switch (dtype_size(dtype)) {
        case 1:
            return py::dtype("uint8");
        case 2:
            return py::dtype("uint16");
        case 4:
            return py::dtype("uint32");
        case 8:
            return py::dtype("uint64");
        default:
            throw StatusError(Status::unsupported(std::string(dtype_name(dtype)) +
                                                  " is packed below one byte per element; no array form yet")
                                  .in_tensor(std::string(tensor)));
    }
}

// DLPack's ABI (dlpack.h v0.8, https://github.com/dmlc/dlpack), written out so the module
// needs no extra header: the struct layouts and the capsule protocol are stable.
struct DLDevice {
    int32_t device_type;  // 1 = kDLCPU
    int32_t device_id;
};
struct DLDataType {
    uint8_t code;  // 0 int, 1 uint, 2 float, 4 bfloat, 5 complex, 6 bool
    uint8_t bits;
    uint16_t lanes;
};
struct DLTensor {
    void* data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t* shape;
    int64_t* strides;  // in elements
    uint64_t byte_offset;
};
struct DLManagedTensor {
    DLTensor dl_tensor;
    void* manager_ctx;
    void (*deleter)(DLManagedTensor* self);
};
constexpr int32_t kDLCPU = 1;

DLDataType dlpack_dtype(DType dtype, bool raw, std::string_view tensor) {
    const auto bits = static_cast<uint8_t>(dtype_bits(dtype));
    if (raw) return {1, static_cast<uint8_t>(raw_dtype(dtype, tensor).itemsize() * 8), 1};
    switch (dtype) {
        case DType::Bool:
            return {6, 8, 1};
        case DType::U8:
        case DType::U16:
        case DType::U32:
        case DType::U64:
            return {1, bits, 1};
        case DType::I8:
        case DType::I16:
        case DType::I32:
        case DType::I64:
            return {0, bits, 1};
        case DType::F16:
        case DType::F32:
        case DType::F64:
            return {2, bits, 1};
        case DType::BF16:
            return {4, 16, 1};
        case DType::C64:
            return {5, 64, 1};
        default:
            throw StatusError(Status::unsupported(std::string(dtype_name(dtype)) +
                                                  " has no DLPack type code: pass raw=True for its bits")
                                  .in_tensor(std::string(tensor)));
    }
}

// Owns what a DLManagedTensor points at; the consumer calls deleter when done with it.
struct DLPackHolder {
    DLManagedTensor managed{};
    std::vector<int64_t> shape, strides;
    PyObject* owner = nullptr;  // a strong reference to the bytes' owner
};

void delete_holder(DLManagedTensor* self) {
    auto* holder = static_cast<DLPackHolder*>(self->manager_ctx);
    // Consumers may release the tensor from any thread, with or without the GIL.
    PyGILState_STATE gil = PyGILState_Ensure();
    Py_XDECREF(holder->owner);
    PyGILState_Release(gil);
    delete holder;
}

// A capsule nobody consumed (its name is still "dltensor") frees the tensor itself.
void capsule_destructor(PyObject* capsule) {
    if (!PyCapsule_IsValid(capsule, "dltensor")) return;
    auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
    if (managed && managed->deleter) managed->deleter(managed);
}

std::vector<int64_t> row_major_strides(const Shape& shape) {
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * static_cast<int64_t>(shape[i]);
    return strides;
}

}  // namespace

TensorView owned_view(std::vector<std::byte> bytes, Shape shape, DType dtype) {
    auto* buffer = new std::vector<std::byte>(std::move(bytes));
    py::capsule owner(buffer, [](void* p) { delete static_cast<std::vector<std::byte>*>(p); });
    return TensorView{buffer->data(), std::move(shape), {}, dtype, std::move(owner), false};
}

TensorView mapped_view(std::shared_ptr<const MappedFile> map, const std::byte* data, uint64_t span_bytes, Shape shape,
                       std::vector<int64_t> strides, DType dtype) {
    struct MappedRange {
        std::shared_ptr<const MappedFile> map;
        uint64_t offset = 0, length = 0;
    };
    auto* range = new MappedRange{std::move(map), 0, span_bytes};
    range->offset = static_cast<uint64_t>(data - range->map->data());
    py::capsule owner(range, [](void* p) {
        auto* r = static_cast<MappedRange*>(p);
        r->map->advise_done(r->offset, r->length);
        delete r;
    });
    return TensorView{data, std::move(shape), std::move(strides), dtype, std::move(owner), true};
}

py::dtype numpy_dtype(DType dtype, bool raw, std::string_view tensor) {
    if (raw) return raw_dtype(dtype, tensor);
    const NumpyName& name = numpy_name(dtype);
    if (name.numpy) return py::dtype(name.numpy);
    const std::string what = std::string(dtype_name(dtype));
    if (!name.ml_dtypes)
        throw StatusError(Status::unsupported(what + " is packed below one byte per element; no array form yet")
                              .in_tensor(std::string(tensor)));
    try {
        return py::dtype::from_args(py::module_::import("ml_dtypes").attr(name.ml_dtypes));
    } catch (py::error_already_set& e) {
        if (!e.matches(PyExc_ImportError) && !e.matches(PyExc_AttributeError)) throw;
        throw StatusError(Status::unsupported(what +
                                              " has no NumPy dtype without ml_dtypes: `pip install ml_dtypes`"
                                              " (ml_dtypes." +
                                              name.ml_dtypes + "), or pass raw=True for the " +
                                              std::to_string(dtype_bits(dtype)) + "-bit patterns as unsigned integers")
                              .in_tensor(std::string(tensor)));
    }
}

py::array to_numpy(const TensorView& view, bool raw, std::string_view tensor) {
    py::dtype dt = numpy_dtype(view.dtype, raw, tensor);
    const auto item = static_cast<int64_t>(dt.itemsize());
    const std::vector<int64_t> elements = view.strides.empty() ? row_major_strides(view.shape) : view.strides;
    std::vector<py::ssize_t> shape(view.shape.begin(), view.shape.end());
    std::vector<py::ssize_t> strides;
    for (int64_t s : elements) strides.push_back(static_cast<py::ssize_t>(s * item));
    py::array array(dt, shape, strides, view.data, view.owner);
    if (view.read_only) array.attr("setflags")(py::arg("write") = false);
    return array;
}

DLPackTensor::DLPackTensor(TensorView view, bool raw, std::string name)
    : view_(std::move(view)), raw_(raw), name_(std::move(name)) {
    (void)dlpack_dtype(view_.dtype, raw_, name_);  // fail at creation, not when a consumer asks
}

py::capsule DLPackTensor::dlpack(py::object /*stream: CPU memory needs no synchronisation*/) const {
    auto* holder = new DLPackHolder;
    holder->shape.assign(view_.shape.begin(), view_.shape.end());
    holder->strides = view_.strides.empty() ? row_major_strides(view_.shape) : view_.strides;
    holder->owner = view_.owner.ptr();
    Py_XINCREF(holder->owner);
    DLTensor& t = holder->managed.dl_tensor;
    t.data = const_cast<std::byte*>(view_.data);  // DLPack has no const; see the read-only note in the docs
    t.device = {kDLCPU, 0};
    t.ndim = static_cast<int32_t>(holder->shape.size());
    t.dtype = dlpack_dtype(view_.dtype, raw_, name_);
    t.shape = holder->shape.data();
    t.strides = holder->strides.data();
    t.byte_offset = 0;
    holder->managed.manager_ctx = holder;
    holder->managed.deleter = delete_holder;
    PyObject* capsule = PyCapsule_New(&holder->managed, "dltensor", capsule_destructor);
    if (!capsule) {
        delete_holder(&holder->managed);
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::capsule>(capsule);
}

py::tuple DLPackTensor::dlpack_device() const { return py::make_tuple(kDLCPU, 0); }

void bind_arrays(py::module_& m) {
    py::class_<DLPackTensor>(m, "DLPackTensor",
                             "A tensor exported through DLPack: torch.from_dlpack(t), np.from_dlpack(t) and\n"
                             "other consumers share its memory. Memory-mapped tensors are read-only: a\n"
                             "consumer that writes to them (torch has no read-only flag) crashes the process;\n"
                             "clone() first to modify.")
        .def("__dlpack__", &DLPackTensor::dlpack, py::arg("stream") = py::none())
        .def("__dlpack_device__", &DLPackTensor::dlpack_device)
        .def_property_readonly("shape",
                               [](const DLPackTensor& t) {
                                   py::tuple shape(t.view().shape.size());
                                   for (size_t i = 0; i < t.view().shape.size(); ++i) shape[i] = t.view().shape[i];
                                   return shape;
                               })
        .def_property_readonly("dtype", [](const DLPackTensor& t) { return std::string(dtype_name(t.view().dtype)); })
        .def_property_readonly("data_ptr",
                               [](const DLPackTensor& t) { return reinterpret_cast<uintptr_t>(t.view().data); });
}

}  // namespace strata::python
