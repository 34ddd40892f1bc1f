// Tensor bytes as NumPy arrays and DLPack capsules. A TensorView names bytes that live
// elsewhere (a checkpoint's memory map, or a buffer it owns) plus the Python object that keeps
// them alive; to_numpy() wraps them without copying, with that object as the array's base.
// Dtypes NumPy lacks (bf16, fp8) come from ml_dtypes when it is importable; raw=True gives
// the same bytes as unsigned integers of the element width instead.
// Usage: TensorView v{ptr, shape, {}, DType::BF16, owner, true}; py::array a = to_numpy(v, false, name);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "strata/dtype.h"
#include "strata/io/mapped_file.h"
#include "strata/tensor_info.h"

namespace strata::python {

namespace py = pybind11;

struct TensorView {
    const std::byte* data = nullptr;
    Shape shape;
    std::vector<int64_t> strides;  // in elements, one per dimension; empty = row-major
    DType dtype = DType::F32;
    py::object owner;       // keeps `data` alive: a capsule over the mapped file or over a copy
    bool read_only = true;  // memory maps are read-only; copies may be written
};

// A view over a freshly read buffer (the copy path): the capsule owns the bytes.
TensorView owned_view(std::vector<std::byte> bytes, Shape shape, DType dtype);

// A view over `span_bytes` bytes of a memory map from `data`. Its owner keeps the map alive
// and, when the last array or DLPack consumer over it is gone, tells the kernel the pages are
// done (MappedFile::advise_done): reading a whole checkpoint tensor by tensor then holds at
// most the tensors still referenced in RSS, not every page ever touched. The pages stay in
// the page cache, so reading the tensor again costs minor faults only.
TensorView mapped_view(std::shared_ptr<const MappedFile> map, const std::byte* data, uint64_t span_bytes, Shape shape,
                       std::vector<int64_t> strides, DType dtype);

// The NumPy dtype of `dtype` (ml_dtypes for bf16/fp8), or with raw the unsigned integer
// of its width. Raises strata.UnsupportedError naming the fix when neither applies.
py::dtype numpy_dtype(DType dtype, bool raw, std::string_view tensor);

py::array to_numpy(const TensorView& view, bool raw, std::string_view tensor);

// DLPack producer object: __dlpack__() / __dlpack_device__() for torch.from_dlpack & co.
class DLPackTensor {
public:
    DLPackTensor(TensorView view, bool raw, std::string name);
    py::capsule dlpack(py::object stream) const;
    py::tuple dlpack_device() const;
    const TensorView& view() const { return view_; }

private:
    TensorView view_;
    bool raw_ = false;
    std::string name_;
};

}  // namespace strata::python
