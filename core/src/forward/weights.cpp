// Weights of the forward pass: read canonical tensors, convert to the compute type, and
// place them on the backend, counting resident bytes.
#include <cstring>

#include "forward/forward_internal.h"
#include "strata/kernels/bulk_convert.h"
#include "strata/model/architecture.h"

namespace strata::fwd {

using kernels::ScalarType;

Status from_kstatus(const kernels::KStatus& s, const char* op) {
    return to_status(s, std::string("forward: ") + op);
}

Weight::Weight(kernels::BufferPtr buf, ScalarType type, Shape shape, Residency* res)
    : buf_(std::move(buf)), type_(type), shape_(std::move(shape)), res_(res) {
    if (res_ && buf_) {
        res_->now += buf_->size();
        res_->peak = std::max(res_->peak, res_->now);
    }
}

Weight::Weight(Weight&& o) noexcept
    : buf_(std::move(o.buf_)), type_(o.type_), shape_(std::move(o.shape_)), res_(o.res_) {
    o.res_ = nullptr;
}

Weight& Weight::operator=(Weight&& o) noexcept {
    if (this != &o) {
        release();
        buf_ = std::move(o.buf_);
        type_ = o.type_;
        shape_ = std::move(o.shape_);
        res_ = o.res_;
        o.res_ = nullptr;
    }
    return *this;
}

Weight::~Weight() { release(); }

void Weight::release() {
    if (res_ && buf_) res_->now -= buf_->size();
    buf_.reset();
    res_ = nullptr;
}

namespace {

// Stored shape equals the wanted one once size-1 dims are dropped from both
// (conv1d weights are [C, 1, W] in HF and [C, W] to the kernel).
bool same_shape(const Shape& stored, const Shape& want) {
    if (stored == want) return true;
    Shape a, b;
    for (auto d : stored)
        if (d != 1) a.push_back(d);
    for (auto d : want)
        if (d != 1) b.push_back(d);
    return a == b;
}

// Decodes src (dtype) into out, which holds exactly its element count.
Status to_f32(std::span<const std::byte> src, DType dtype, std::span<float> out, const std::string& name) {
    switch (dtype) {
        case DType::F32:
            std::memcpy(out.data(), src.data(), out.size() * 4);
            return Status::ok();
        case DType::BF16:
            kernels::bf16_to_f32(reinterpret_cast<const uint16_t*>(src.data()), out.data(), out.size());
            return Status::ok();
        case DType::F16:
            kernels::f16_to_f32(reinterpret_cast<const uint16_t*>(src.data()), out.data(), out.size());
            return Status::ok();
        default:
            return Status::unsupported("forward reads F32, BF16 and F16 weights; this one is " +
                                       std::string(dtype_name(dtype)))
                .in_tensor(name);
    }
}

}  // namespace

Result<WeightSource> WeightSource::open(const Checkpoint& ckpt, const ModelSpec& spec, bool allow_unmapped) {
    WeightSource src;
    src.ckpt_ = &ckpt;
    auto view = CanonicalView::open(ckpt, {.allow_unmapped = allow_unmapped});
    if (view) {
        src.view_ = std::move(view).value();
        return src;
    }
    // An M1 hybrid whose CanonicalView cannot be built (a mamba_config the m1_hybrid table
    // rejects, stray tensors) is still an HF folder: read its HF names as stored, so the
    // forward can show what such a checkpoint computes. Megatron layouts have no such fallback.
    auto arch = architecture_for_model_type(spec.model_type);
    if (arch && (*arch)->forward_traits(spec).hf_names_fallback && ckpt.format != "megatron") return src;
    return view.status();
}

std::string WeightSource::layout_name() const {
    return view_ ? layout_kind_name(view_->layout().options.kind) : "hf (names as stored)";
}

bool WeightSource::has(const std::string& name) const {
    return view_ ? view_->find(name) != nullptr : ckpt_->find(name) != nullptr;
}

Result<std::vector<std::byte>> WeightSource::read_bytes(const std::string& name, const Shape& shape, DType* dtype,
                                                       Residency& res) const {
    Shape stored;
    if (view_) {
        const TensorEntry* e = view_->find(name);
        if (!e) return Status::not_found("the model needs this tensor; the checkpoint has none").in_tensor(name);
        *dtype = e->dtype;
        stored = e->shape;
    } else {
        const TensorInfo* info = ckpt_->find(name);
        if (!info) return Status::not_found("the model needs this tensor; the checkpoint has none").in_tensor(name);
        *dtype = info->dtype;
        stored = info->shape;
    }
    if (!same_shape(stored, shape))
        return Status::corrupt("shape " + shape_to_string(stored) + ", the config implies " + shape_to_string(shape))
            .in_tensor(name);
    std::vector<std::byte> bytes;
    if (view_) {
        STRATA_TRY(bytes, view_->read_canonical(name));
    } else {
        STRATA_TRY(bytes, ckpt_->read(*ckpt_->find(name)));
    }
    res.read += bytes.size();
    return bytes;
}

Result<std::vector<float>> WeightSource::read_f32(const std::string& name, const Shape& shape, Residency& res) const {
    DType dtype;
    STRATA_TRY(std::vector<std::byte> bytes, read_bytes(name, shape, &dtype, res));
    STRATA_TRY(const uint64_t n, numel(shape));
    std::vector<float> out(n);
    STRATA_RETURN_IF_ERROR(to_f32(bytes, dtype, out, name));
    return out;
}

Result<Weight> WeightSource::load(const std::string& name, const Shape& shape, kernels::Backend& be, bool bf16,
                                  Residency& res) const {
    DType dtype;
    STRATA_TRY(std::vector<std::byte> bytes, read_bytes(name, shape, &dtype, res));
    STRATA_TRY(const uint64_t n, numel(shape));
    const ScalarType type = bf16 ? ScalarType::BF16 : ScalarType::F32;
    kernels::BufferPtr buf = be.alloc(n * kernels::scalar_size(type));
    if (!buf)
        return Status::io("forward: out of " + std::string(be.name()) + " memory for this tensor").in_tensor(name);
    // On the cpu backend an f32 weight is decoded straight into its buffer: no second
    // full-size f32 copy (the lm_head of a 150k vocab is 1.2 GB at hidden 2048).
    if (!bf16 && be.name() == "cpu") {
        STRATA_RETURN_IF_ERROR(to_f32(bytes, dtype, std::span<float>(buf->as<float>(), n), name));
        return Weight(std::move(buf), type, shape, &res);
    }
    std::vector<float> values(n);
    STRATA_RETURN_IF_ERROR(to_f32(bytes, dtype, values, name));
    bytes = {};
    kernels::KStatus ks;
    if (bf16) {
        std::vector<uint16_t> half(n);
        kernels::f32_to_bf16(values.data(), half.data(), n);
        ks = be.upload(*buf, half.data(), half.size() * 2);
    } else {
        ks = be.upload(*buf, values.data(), n * 4);
    }
    STRATA_RETURN_IF_ERROR(from_kstatus(ks, "upload"));
    return Weight(std::move(buf), type, shape, &res);
}

}  // namespace strata::fwd
