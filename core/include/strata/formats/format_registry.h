// FormatRegistry: the formats Strata reads. A format is one file implementing a
// FormatHandler (sniff + open) and one line in register_builtin_formats().
// open_checkpoint() asks each handler in turn whether it recognises the path.
// Usage: STRATA_TRY(auto ckpt, open_checkpoint("model/"));
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "strata/formats/checkpoint.h"
#include "strata/status.h"

namespace strata {

struct FormatHandler {
    std::string name;         // "safetensors"
    std::string description;  // "safetensors file or sharded folder"
    // Cheap check of a file or folder (magic bytes, file names); never fails loudly.
    std::function<bool(const std::filesystem::path&)> sniff;
    std::function<Result<Checkpoint>(const std::filesystem::path&)> open;
};

class FormatRegistry {
public:
    // The registry with every built-in format.
    static const FormatRegistry& builtin();

    void add(FormatHandler handler) { handlers_.push_back(std::move(handler)); }
    const std::vector<FormatHandler>& handlers() const { return handlers_; }
    const FormatHandler* find(const std::string& name) const;
    Result<Checkpoint> open(const std::filesystem::path& path) const;

private:
    std::vector<FormatHandler> handlers_;
};

// Opens a file or folder in whichever built-in format recognises it.
Result<Checkpoint> open_checkpoint(const std::filesystem::path& path);

}  // namespace strata
