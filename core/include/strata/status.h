// Status and Result<T>: how every core and kernel call reports failure.
// An error carries a canonical code plus, where they apply, the file, tensor and
// byte offset it concerns, and prints as one line:
//   model-00002.safetensors: tensor 'w': at byte 81920: data_offsets exceed data size
// Usage: STRATA_TRY(auto info, open_file(p));  return Status::corrupt("bad magic").in_file(p);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace strata {

enum class StatusCode { Ok, InvalidArgument, NotFound, Truncated, Corrupt, Unsupported, Io, Cancelled, Internal };

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
public:
    Status() = default;
    Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok() { return {}; }
    static Status invalid_argument(std::string m) { return {StatusCode::InvalidArgument, std::move(m)}; }
    static Status not_found(std::string m) { return {StatusCode::NotFound, std::move(m)}; }
    static Status truncated(std::string m) { return {StatusCode::Truncated, std::move(m)}; }
    static Status corrupt(std::string m) { return {StatusCode::Corrupt, std::move(m)}; }
    static Status unsupported(std::string m) { return {StatusCode::Unsupported, std::move(m)}; }
    static Status io(std::string m) { return {StatusCode::Io, std::move(m)}; }
    static Status cancelled(std::string m = "cancelled") { return {StatusCode::Cancelled, std::move(m)}; }
    static Status internal(std::string m) { return {StatusCode::Internal, std::move(m)}; }

    bool is_ok() const { return code_ == StatusCode::Ok; }
    explicit operator bool() const { return is_ok(); }
    StatusCode code() const { return code_; }
    const std::string& message() const { return message_; }
    const std::string& file() const { return file_; }
    const std::string& tensor() const { return tensor_; }
    std::optional<uint64_t> offset() const { return offset_; }

    // Context setters return a copy so they chain on temporaries. An outer
    // context never overwrites an inner one: the innermost file is the precise one.
    Status in_file(const std::string& file) const;
    Status in_tensor(const std::string& tensor) const;
    Status at_offset(uint64_t offset) const;

    // One line: "file: tensor 'name': at byte N: message".
    std::string to_string() const;

private:
    StatusCode code_ = StatusCode::Ok;
    std::string message_;
    std::string file_;
    std::string tensor_;
    std::optional<uint64_t> offset_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : data_(std::move(value)) {}
    Result(Status status) : data_(std::move(status)) {
        if (std::get<Status>(data_).is_ok()) data_ = Status::internal("Result built from an ok Status");
    }

    bool is_ok() const { return std::holds_alternative<T>(data_); }
    explicit operator bool() const { return is_ok(); }
    const Status& status() const {
        static const Status kOk;
        return is_ok() ? kOk : std::get<Status>(data_);
    }
    T& value() & { return std::get<T>(data_); }
    const T& value() const& { return std::get<T>(data_); }
    T&& value() && { return std::get<T>(std::move(data_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, Status> data_;
};

namespace internal {
inline Status to_status(const Status& s) { return s; }
template <typename T>
Status to_status(const Result<T>& r) { return r.status(); }
inline bool is_ok(const Status& s) { return s.is_ok(); }
template <typename T>
bool is_ok(const Result<T>& r) { return r.is_ok(); }
}  // namespace internal

}  // namespace strata

#define STRATA_CONCAT_INNER(a, b) a##b
#define STRATA_CONCAT(a, b) STRATA_CONCAT_INNER(a, b)

// STRATA_RETURN_IF_ERROR(expr): expr is a Status or Result; returns its Status on failure.
#define STRATA_RETURN_IF_ERROR(expr)                                        \
    do {                                                                    \
        auto&& strata_status_ = (expr);                                     \
        if (!::strata::internal::is_ok(strata_status_))                     \
            return ::strata::internal::to_status(strata_status_);          \
    } while (0)

// STRATA_TRY(decl, expr): expr is a Result<T>; on success binds decl to the value.
#define STRATA_TRY(decl, expr) STRATA_TRY_IMPL(STRATA_CONCAT(strata_result_, __LINE__), decl, expr)
#define STRATA_TRY_IMPL(tmp, decl, expr)                 \
    auto tmp = (expr);                                   \
    if (!tmp.is_ok()) return tmp.status();               \
    decl = std::move(tmp).value()
