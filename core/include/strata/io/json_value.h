// Reading one field of a JSON object (config.json, Megatron args) with a fallback, and a positive
// dimension with an error that names the field: the helpers every family and rule shared as copies.
// Usage: const bool tied = json_value_or<bool>(cfg, "tie_word_embeddings", false);
//        STRATA_TRY(uint64_t hidden, json_positive_dim(cfg, "hidden_size", "config.json"));
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "strata/status.h"

namespace strata {

// The field's value, or `fallback` when it is absent, null, of another type, or `c` is no object.
template <typename T>
T json_value_or(const nlohmann::json& c, const char* key, T fallback) {
    if (!c.is_object() || !c.contains(key) || c[key].is_null()) return fallback;
    try {
        return c[key].get<T>();
    } catch (const nlohmann::json::exception&) {
        return fallback;
    }
}

// A field that must be a positive integer; InvalidArgument names `where` and the key otherwise.
inline Result<uint64_t> json_positive_dim(const nlohmann::json& c, const char* key, const char* where) {
    if (!c.is_object() || !c.contains(key) || !c[key].is_number_integer() || c[key].get<int64_t>() <= 0)
        return Status::invalid_argument(std::string(where) + ": '" + key + "' must be a positive integer");
    return c[key].get<uint64_t>();
}

}  // namespace strata
