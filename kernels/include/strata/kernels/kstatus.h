// KStatus and ScalarType: the kernels library's own error and element types.
// strata_kernels must not depend on strata_core (the core depends on it), so the
// codes mirror strata::StatusCode one for one and the core maps them with a switch.
// Usage: KStatus s = backend.softmax(...); if (!s.ok()) std::puts(s.message().c_str());
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace strata::kernels {

enum class KCode : uint8_t { Ok, InvalidArgument, NotFound, Unsupported, OutOfMemory, Internal };

class [[nodiscard]] KStatus {
public:
    KStatus() = default;
    KStatus(KCode code, std::string message) : code_(code), message_(std::move(message)) {}
    static KStatus ok_status() { return {}; }

    bool ok() const { return code_ == KCode::Ok; }
    KCode code() const { return code_; }
    const std::string& message() const { return message_; }

private:
    KCode code_ = KCode::Ok;
    std::string message_;
};

inline KStatus invalid_argument(std::string m) { return {KCode::InvalidArgument, std::move(m)}; }
inline KStatus unsupported(std::string m) { return {KCode::Unsupported, std::move(m)}; }
inline KStatus internal_error(std::string m) { return {KCode::Internal, std::move(m)}; }

#define STRATA_KTRY(expr)                               \
    do {                                                \
        ::strata::kernels::KStatus strata_ks_ = (expr); \
        if (!strata_ks_.ok()) return strata_ks_;        \
    } while (0)

// Element types the kernels read and write. F8 types are the OCP formats
// (E4M3 finite-only "fn", E5M2 with inf), as safetensors' F8_E4M3 / F8_E5M2.
enum class ScalarType : uint8_t { F32, F16, BF16, F8E4M3, F8E5M2, I32 };

inline size_t scalar_size(ScalarType t) {
    switch (t) {
        case ScalarType::F32:
        case ScalarType::I32:
            return 4;
        case ScalarType::F16:
        case ScalarType::BF16:
            return 2;
        case ScalarType::F8E4M3:
        case ScalarType::F8E5M2:
            return 1;
    }
    return 0;
}

inline std::string_view scalar_name(ScalarType t) {
    switch (t) {
        case ScalarType::F32:
            return "f32";
        case ScalarType::F16:
            return "f16";
        case ScalarType::BF16:
            return "bf16";
        case ScalarType::F8E4M3:
            return "f8e4m3";
        case ScalarType::F8E5M2:
            return "f8e5m2";
        case ScalarType::I32:
            return "i32";
    }
    return "?";
}

inline bool is_float_type(ScalarType t) { return t != ScalarType::I32; }

}  // namespace strata::kernels
