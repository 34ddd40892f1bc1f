#include "strata/dtype.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace strata {
namespace {

struct DTypeRow {
    DType dtype;
    std::string_view name;
    uint32_t bits;
    bool is_float;
    std::string_view storage;  // torch legacy storage class, empty = UntypedStorage
    std::string_view torch;    // torch dtype attribute name
};

// Names and widths: huggingface/safetensors safetensors/src/tensor.rs `enum Dtype`.
// Storage classes: torch/storage.py legacy typed storages; torch names: torch dtypes.
constexpr std::array<DTypeRow, 22> kRows{{
    {DType::Bool, "BOOL", 8, false, "BoolStorage", "bool"},
    {DType::U8, "U8", 8, false, "ByteStorage", "uint8"},
    {DType::I8, "I8", 8, false, "CharStorage", "int8"},
    {DType::I16, "I16", 16, false, "ShortStorage", "int16"},
    {DType::U16, "U16", 16, false, "", "uint16"},
    {DType::F16, "F16", 16, true, "HalfStorage", "float16"},
    {DType::BF16, "BF16", 16, true, "BFloat16Storage", "bfloat16"},
    {DType::I32, "I32", 32, false, "IntStorage", "int32"},
    {DType::U32, "U32", 32, false, "", "uint32"},
    {DType::F32, "F32", 32, true, "FloatStorage", "float32"},
    {DType::F64, "F64", 64, true, "DoubleStorage", "float64"},
    {DType::I64, "I64", 64, false, "LongStorage", "int64"},
    {DType::U64, "U64", 64, false, "", "uint64"},
    {DType::C64, "C64", 64, true, "ComplexFloatStorage", "complex64"},
    {DType::F8_E4M3, "F8_E4M3", 8, true, "", "float8_e4m3fn"},
    {DType::F8_E5M2, "F8_E5M2", 8, true, "", "float8_e5m2"},
    {DType::F8_E8M0, "F8_E8M0", 8, true, "", "float8_e8m0fnu"},
    {DType::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8, true, "", "float8_e4m3fnuz"},
    {DType::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8, true, "", "float8_e5m2fnuz"},
    {DType::F4, "F4", 4, true, "", "float4_e2m1fn_x2"},
    {DType::F6_E2M3, "F6_E2M3", 6, true, "", ""},
    {DType::F6_E3M2, "F6_E3M2", 6, true, "", ""},
}};

const DTypeRow& row(DType dtype) { return kRows[static_cast<size_t>(dtype)]; }

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

}  // namespace

const std::vector<DType>& all_dtypes() {
    static const std::vector<DType> kAll = [] {
        std::vector<DType> v;
        for (const auto& r : kRows) v.push_back(r.dtype);
        return v;
    }();
    return kAll;
}

std::string_view dtype_name(DType dtype) { return row(dtype).name; }
uint32_t dtype_bits(DType dtype) { return row(dtype).bits; }
uint32_t dtype_size(DType dtype) { return row(dtype).bits % 8 == 0 ? row(dtype).bits / 8 : 0; }
bool dtype_is_float(DType dtype) { return row(dtype).is_float; }
std::string_view torch_storage_class(DType dtype) { return row(dtype).storage; }
std::string_view torch_dtype_name(DType dtype) { return row(dtype).torch; }

std::optional<DType> parse_dtype(std::string_view name) {
    for (const auto& r : kRows)
        if (r.name == name) return r.dtype;
    return std::nullopt;
}

std::optional<DType> parse_dtype_loose(std::string_view name) {
    if (auto exact = parse_dtype(name)) return exact;
    const std::string l = lower(name);
    struct Alias { std::string_view alias; DType dtype; };
    static constexpr Alias kAliases[] = {
        {"bf16", DType::BF16}, {"bfloat16", DType::BF16}, {"f16", DType::F16}, {"fp16", DType::F16},
        {"half", DType::F16}, {"float16", DType::F16}, {"f32", DType::F32}, {"fp32", DType::F32},
        {"float", DType::F32}, {"float32", DType::F32}, {"f64", DType::F64}, {"float64", DType::F64},
        {"fp8_e4m3", DType::F8_E4M3}, {"f8_e4m3", DType::F8_E4M3}, {"fp8_e5m2", DType::F8_E5M2},
        {"f8_e5m2", DType::F8_E5M2},
    };
    for (const auto& a : kAliases)
        if (a.alias == l) return a.dtype;
    for (const auto& r : kRows)
        if (lower(r.name) == l || r.torch == l) return r.dtype;
    return std::nullopt;
}

Result<uint64_t> bytes_for(DType dtype, uint64_t numel) {
    const uint64_t bits = dtype_bits(dtype);
    if (numel != 0 && numel > UINT64_MAX / bits)
        return Status::corrupt("element count " + std::to_string(numel) + " overflows for dtype " +
                               std::string(dtype_name(dtype)));
    const uint64_t nbits = numel * bits;
    if (nbits % 8 != 0)
        return Status::corrupt(std::to_string(numel) + " elements of " + std::string(dtype_name(dtype)) +
                               " do not fill whole bytes");
    return nbits / 8;
}

std::optional<DType> dtype_from_torch_storage(std::string_view storage_class) {
    for (const auto& r : kRows)
        if (!r.storage.empty() && r.storage == storage_class) return r.dtype;
    return std::nullopt;
}

std::optional<DType> dtype_from_torch_name(std::string_view name) {
    for (const auto& r : kRows)
        if (!r.torch.empty() && r.torch == name) return r.dtype;
    // torch aliases
    if (name == "float") return DType::F32;
    if (name == "half") return DType::F16;
    if (name == "double") return DType::F64;
    if (name == "long") return DType::I64;
    if (name == "int") return DType::I32;
    return std::nullopt;
}

}  // namespace strata
