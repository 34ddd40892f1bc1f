// SIGBUS guard: reading a mapped source file that another process truncates raises
// SIGBUS on the pages past the new end, which would kill the process (rc 135). Reads
// of mapped memory that can meet such pages run inside catching_sigbus(); a SIGBUS on
// this thread during it jumps back and the call returns false, so the caller can fail
// cleanly (MappedFile::check_unchanged() then names the file). Only plain reads and
// copies belong inside: locals of the guarded code are not destroyed when it jumps.
// Usage: if (!catching_sigbus([&] { hash = XXH3_64bits(p, n); })) return source_changed_error();
#pragma once

#include <type_traits>
#include <utility>

namespace strata {

// Runs fn(ctx); false when a SIGBUS arrived on this thread while it ran.
bool run_catching_sigbus(void (*fn)(void*), void* ctx);

template <class F>
bool catching_sigbus(F&& f) {
    return run_catching_sigbus([](void* c) { (*static_cast<std::remove_reference_t<F>*>(c))(); },
                               const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace strata
