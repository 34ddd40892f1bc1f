#include "strata/status.h"

namespace strata {

const char* status_code_name(StatusCode code) {
    switch (code) {
        case StatusCode::Ok: return "ok";
        case StatusCode::InvalidArgument: return "invalid argument";
        case StatusCode::NotFound: return "not found";
        case StatusCode::Truncated: return "truncated";
        case StatusCode::Corrupt: return "corrupt";
        case StatusCode::Unsupported: return "unsupported";
        case StatusCode::Io: return "i/o error";
        case StatusCode::Cancelled: return "cancelled";
        case StatusCode::Internal: return "internal error";
    }
    return "unknown";
}

Status Status::in_file(const std::string& file) const {
    Status s = *this;
    if (s.file_.empty()) s.file_ = file;
    return s;
}

Status Status::in_tensor(const std::string& tensor) const {
    Status s = *this;
    if (s.tensor_.empty()) s.tensor_ = tensor;
    return s;
}

Status Status::at_offset(uint64_t offset) const {
    Status s = *this;
    if (!s.offset_) s.offset_ = offset;
    return s;
}

std::string Status::to_string() const {
    if (is_ok()) return "ok";
    std::string out;
    if (!file_.empty()) out += file_ + ": ";
    if (!tensor_.empty()) out += "tensor '" + tensor_ + "': ";
    if (offset_) out += "at byte " + std::to_string(*offset_) + ": ";
    out += message_;
    return out;
}

}  // namespace strata
