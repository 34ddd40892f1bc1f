// StatusError: a failed core Status on its way to Python. Bindings call unwrap()/check() on
// every core Result/Status; the translator registered by bind_errors raises the strata.Error
// subclass of the status code, with Strata's one-line message and the file, tensor and byte
// offset as attributes.
// Usage: Checkpoint c = unwrap(open_checkpoint(path)); check(view.read_canonical(name, out));
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "strata/status.h"

namespace strata::python {

class StatusError : public std::exception {
public:
    explicit StatusError(Status status) : status_(std::move(status)), line_(status_.to_string()) {}
    const Status& status() const { return status_; }
    const char* what() const noexcept override { return line_.c_str(); }

private:
    Status status_;
    std::string line_;
};

inline void check(const Status& status) {
    if (!status.is_ok()) throw StatusError(status);
}

template <typename T>
T unwrap(Result<T>&& result) {
    if (!result.is_ok()) throw StatusError(result.status());
    return std::move(result).value();
}

}  // namespace strata::python
