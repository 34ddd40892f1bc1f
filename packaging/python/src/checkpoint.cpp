// strata._core.Checkpoint: an opened checkpoint's format, config, stored tensors and canonical
// view, with tensors handed out as NumPy arrays over the memory map whenever the stored
// bytes already are the tensor asked for (copied only when pieces must be assembled).
#include "checkpoint.h"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "arrays.h"
#include "bindings.h"
#include "errors.h"
#include "python_json.h"
#include "strata/formats/format_registry.h"

namespace strata::python {

std::shared_ptr<OpenedCheckpoint> OpenedCheckpoint::open(const std::filesystem::path& path, bool allow_unmapped) {
    Checkpoint checkpoint = unwrap(open_checkpoint(path));
    return std::shared_ptr<OpenedCheckpoint>(new OpenedCheckpoint(std::move(checkpoint), allow_unmapped));
}

const CanonicalView& OpenedCheckpoint::canonical() {
    if (!view_) view_ = unwrap(CanonicalView::open(checkpoint_, {.allow_unmapped = allow_unmapped_}));
    return *view_;
}

namespace {

using CheckpointPtr = std::shared_ptr<OpenedCheckpoint>;

// One stored tensor as Python sees it: the core's TensorInfo plus its file's display name.
struct StoredTensor {
    TensorInfo info;
    std::string file;
};

py::tuple shape_tuple(const Shape& shape) {
    py::tuple t(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) t[i] = shape[i];
    return t;
}

// Packed sub-byte tensors read raw come out as their bytes, one dimension.
TensorView raw_bytes_if_packed(TensorView view, bool raw, uint64_t nbytes) {
    if (raw && dtype_size(view.dtype) == 0 && view.strides.empty()) {
        view.shape = {nbytes};
        view.dtype = DType::U8;
    }
    return view;
}

const TensorInfo& stored_info(const Checkpoint& ckpt, const std::string& name,
                              const std::optional<std::vector<int>>& rank) {
    const TensorInfo* info = nullptr;
    if (rank) {
        if (rank->size() != 3) throw StatusError(Status::invalid_argument("rank must be (tp, pp, ep)"));
        info = ckpt.find(name, RankCoord{(*rank)[0], (*rank)[1], (*rank)[2]});
    } else {
        info = ckpt.find(name);
    }
    if (!info)
        throw StatusError(
            Status::not_found("no stored tensor of that name").in_tensor(name).in_file(ckpt.path.string()));
    return *info;
}

// A stored tensor: the mapped bytes when contiguous, else gathered into a fresh buffer.
TensorView stored_view(const CheckpointPtr& c, const TensorInfo& info) {
    const Checkpoint& ckpt = c->checkpoint();
    if (info.location.is_contiguous()) {
        auto bytes = unwrap(ckpt.contiguous_bytes(info));
        return mapped_view(ckpt.file_of(info).map, bytes.data(), bytes.size(), info.shape, {}, info.dtype);
    }
    return owned_view(unwrap(ckpt.read(info)), info.shape, info.dtype);
}

size_t canonical_index(const CanonicalView& view, const std::string& name) {
    const TensorEntry* entry = view.find(name);
    if (!entry) throw StatusError(Status::not_found("no canonical tensor of that name").in_tensor(name));
    return static_cast<size_t>(entry - view.tensors().data());
}

// The canonical tensor in place when one stored tensor holds it whole and unchanged: a single
// primary piece covering the full box, same dtype, no added constant (zero-centred norms), a
// contiguous stored tensor and non-negative strides (any order: transposed storage stays a view).
std::optional<TensorView> canonical_in_place(const CheckpointPtr& c, size_t index) {
    const CanonicalView& view = c->canonical();
    const TensorEntry& entry = view.tensors()[index];
    const auto& primary = view.primary_pieces()[index];
    if (primary.size() != 1 || dtype_size(entry.dtype) == 0) return std::nullopt;
    const Piece& piece = view.layout().pieces[primary[0]];
    const TensorInfo& stored = view.checkpoint().tensors[view.binding()[piece.tensor]];
    if (piece.add != 0.0f || stored.dtype != entry.dtype || !stored.location.is_contiguous()) return std::nullopt;
    if (piece.box.extent != entry.shape || piece.strides.size() != entry.shape.size()) return std::nullopt;
    uint64_t last = piece.offset;  // element index of the box's last element in the stored tensor
    for (size_t d = 0; d < entry.shape.size(); ++d) {
        if (piece.box.start[d] != 0 || piece.strides[d] < 0) return std::nullopt;
        if (entry.shape[d] == 0) return std::nullopt;  // empty tensors: the copy path is simpler
        last += (entry.shape[d] - 1) * static_cast<uint64_t>(piece.strides[d]);
    }
    const uint64_t item = dtype_size(entry.dtype);
    if ((last + 1) * item > stored.byte_size()) return std::nullopt;
    auto bytes = unwrap(view.checkpoint().contiguous_bytes(stored));
    return mapped_view(view.checkpoint().file_of(stored).map, bytes.data() + piece.offset * item,
                       (last + 1 - piece.offset) * item, entry.shape, piece.strides, entry.dtype);
}

TensorView canonical_view(const CheckpointPtr& c, const std::string& name) {
    const CanonicalView& view = c->canonical();
    const size_t index = canonical_index(view, name);
    if (auto in_place = canonical_in_place(c, index)) return *in_place;
    const TensorEntry& entry = view.tensors()[index];
    std::vector<std::byte> bytes;
    {
        py::gil_scoped_release release;  // assembling pieces of a big tensor takes a while
        auto read = view.read_canonical(name);
        if (!read) {
            py::gil_scoped_acquire acquire;
            throw StatusError(read.status());
        }
        bytes = std::move(read).value();
    }
    return owned_view(std::move(bytes), entry.shape, entry.dtype);
}

}  // namespace

void bind_checkpoint(py::module_& m) {
    py::class_<StoredTensor>(m, "TensorInfo", "A stored tensor: name, dtype, shape and where its bytes live.")
        .def_property_readonly("name", [](const StoredTensor& t) { return t.info.name; })
        .def_property_readonly(
            "dtype", [](const StoredTensor& t) { return std::string(dtype_name(t.info.dtype)); },
            "Safetensors spelling: 'BF16', 'F32', 'F8_E4M3'...")
        .def_property_readonly("shape", [](const StoredTensor& t) { return shape_tuple(t.info.shape); })
        .def_property_readonly(
            "file", [](const StoredTensor& t) { return t.file; },
            "The file holding it, relative to the checkpoint root.")
        .def_property_readonly(
            "offset", [](const StoredTensor& t) { return t.info.location.offset; },
            "Byte offset of element 0 in that file (first chunk when chunked).")
        .def_property_readonly("nbytes", [](const StoredTensor& t) { return t.info.byte_size(); })
        .def_property_readonly(
            "rank",
            [](const StoredTensor& t) { return py::make_tuple(t.info.rank.tp, t.info.rank.pp, t.info.rank.ep); },
            "(tp, pp, ep) of the Megatron rank storing it; (0, 0, 0) for unsharded formats.")
        .def_property_readonly("contiguous", [](const StoredTensor& t) { return t.info.location.is_contiguous(); })
        .def_property_readonly(
            "chunks", [](const StoredTensor& t) { return t.info.location.chunks.size(); },
            "Number of pieces it is saved in (torch_dist); 0 when stored whole.")
        .def("__repr__", [](const StoredTensor& t) {
            return "<TensorInfo '" + t.info.name + "' " + std::string(dtype_name(t.info.dtype)) + " " +
                   shape_to_string(t.info.shape) + " in " + t.file + " at " + std::to_string(t.info.location.offset) +
                   ">";
        });

    py::class_<OpenedCheckpoint, CheckpointPtr>(m, "Checkpoint")
        .def_property_readonly("format", [](const CheckpointPtr& c) { return c->checkpoint().format; })
        .def_property_readonly("path", [](const CheckpointPtr& c) { return c->checkpoint().path; })
        .def_property_readonly("config", [](const CheckpointPtr& c) { return to_python(c->checkpoint().config); })
        .def_property_readonly("metadata", [](const CheckpointPtr& c) { return to_python(c->checkpoint().metadata); })
        .def("stored",
             [](const CheckpointPtr& c) {
                 std::vector<StoredTensor> out;
                 const Checkpoint& ckpt = c->checkpoint();
                 out.reserve(ckpt.tensors.size());
                 for (const auto& t : ckpt.tensors) out.push_back({t, ckpt.file_of(t).display_name});
                 return out;
             })
        .def(
            "tensor",
            [](const CheckpointPtr& c, const std::string& name, std::optional<std::vector<int>> rank, bool raw) {
                const TensorInfo& info = stored_info(c->checkpoint(), name, rank);
                return to_numpy(raw_bytes_if_packed(stored_view(c, info), raw, info.byte_size()), raw, name);
            },
            py::arg("name"), py::arg("rank") = py::none(), py::arg("raw") = false)
        .def("canonical_layout",
             [](const CheckpointPtr& c) { return std::string(layout_kind_name(c->canonical().layout().options.kind)); })
        .def("canonical_hf_config", [](const CheckpointPtr& c) { return to_python(c->canonical().hf_config()); })
        .def("canonical_names",
             [](const CheckpointPtr& c) {
                 std::vector<std::string> names;
                 for (const auto& t : c->canonical().tensors()) names.push_back(t.name);
                 return names;
             })
        .def("canonical_info",
             [](const CheckpointPtr& c, const std::string& name) {
                 const CanonicalView& view = c->canonical();
                 const TensorEntry& entry = view.tensors()[canonical_index(view, name)];
                 return py::make_tuple(std::string(dtype_name(entry.dtype)), shape_tuple(entry.shape));
             })
        .def("canonical_unmapped", [](const CheckpointPtr& c) { return c->canonical().unmapped(); })
        .def("canonical_is_view",
             [](const CheckpointPtr& c, const std::string& name) {
                 return canonical_in_place(c, canonical_index(c->canonical(), name)).has_value();
             })
        .def(
            "canonical_tensor",
            [](const CheckpointPtr& c, const std::string& name, bool raw) {
                TensorView view = canonical_view(c, name);
                const uint64_t nbytes = c->canonical().tensors()[canonical_index(c->canonical(), name)].byte_size();
                return to_numpy(raw_bytes_if_packed(std::move(view), raw, nbytes), raw, name);
            },
            py::arg("name"), py::arg("raw") = false)
        .def(
            "dlpack",
            [](const CheckpointPtr& c, const std::string& name, bool canonical, bool raw) {
                TensorView view = canonical ? canonical_view(c, name)
                                            : stored_view(c, stored_info(c->checkpoint(), name, std::nullopt));
                return DLPackTensor(std::move(view), raw, name);
            },
            py::arg("name"), py::arg("canonical") = true, py::arg("raw") = false)
        .def("mapped_files", [](const CheckpointPtr& c) {
            py::list out;
            for (const auto& f : c->checkpoint().files)
                out.append(py::make_tuple(f.display_name, f.path,
                                          reinterpret_cast<uintptr_t>(f.map ? f.map->data() : nullptr),
                                          f.map ? f.map->size() : 0));
            return out;
        });

    m.def("_open", &OpenedCheckpoint::open, py::arg("path"), py::arg("allow_unmapped") = false);
}

}  // namespace strata::python
