// Internal to the parity harness: deterministic inputs and an arena of backend buffers.
#pragma once

#include <random>
#include <vector>

#include "strata/kernels/backend.h"

namespace strata::kernels::test {

inline std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// Backend copies of host arrays, freed together.
struct Arena {
    Backend& be;
    std::vector<BufferPtr> bufs;
    KStatus status;
    template <class T>
    T* put(const std::vector<T>& host) {
        auto b = be.alloc(host.size() * sizeof(T));
        if (!b) {
            status = {KCode::OutOfMemory, "alloc failed"};
            return nullptr;
        }
        if (status.ok()) status = be.upload(*b, host.data(), host.size() * sizeof(T));
        bufs.push_back(std::move(b));
        return bufs.back()->as<T>();
    }
    template <class T>
    T* zeros(size_t n) {
        return put(std::vector<T>(n, T{}));
    }
    // Appends n elements of `p` (a pointer from this arena) to out as floats.
    template <class T>
    KStatus get(const T* p, size_t n, std::vector<float>& out) {
        for (auto& b : bufs)
            if (b->data() == p) {
                std::vector<T> host(n);
                STRATA_KTRY(be.download(*b, host.data(), n * sizeof(T)));
                for (T v : host) out.push_back(static_cast<float>(v));
                return {};
            }
        return internal_error("arena: unknown pointer");
    }
};

}  // namespace strata::kernels::test
