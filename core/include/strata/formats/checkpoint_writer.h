// CheckpointWriter: the interface the executor writes through. A writer plans
// its layout from all TensorEntries in begin(), accepts each tensor's bytes in
// any order from any thread in write(), and seals the files in finish(). It
// writes into a folder the caller owns (an AtomicOutput's temporary).
// Usage: w.begin(entries); w.write(i, bytes) for each i; w.finish();
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "strata/formats/tensor_entry.h"
#include "strata/status.h"

namespace strata {

class CheckpointWriter {
public:
    virtual ~CheckpointWriter() = default;
    virtual Status begin(const std::vector<TensorEntry>& entries) = 0;
    // Whole tensor `index` (its byte_size() bytes). Thread-safe across indices.
    virtual Status write(size_t index, std::span<const std::byte> bytes) = 0;
    virtual Status finish() = 0;
};

}  // namespace strata
