// OpenedCheckpoint: what strata.open() returns to Python: a core Checkpoint (files mapped
// read-only) and, opened on first use, its CanonicalView. Arrays over a mapping hold that
// file's MappedFile (arrays.h mapped_view), so they outlive the checkpoint object safely.
// Usage: auto c = OpenedCheckpoint::open(path); const CanonicalView& v = c->canonical();
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "strata/formats/checkpoint.h"
#include "strata/mapping/canonical_view.h"

namespace strata::python {

class OpenedCheckpoint {
public:
    static std::shared_ptr<OpenedCheckpoint> open(const std::filesystem::path& path, bool allow_unmapped);
    OpenedCheckpoint(const OpenedCheckpoint&) = delete;
    OpenedCheckpoint& operator=(const OpenedCheckpoint&) = delete;

    const Checkpoint& checkpoint() const { return checkpoint_; }
    // The canonical view, opened once; raises the view's error every time it cannot be opened.
    const CanonicalView& canonical();

private:
    explicit OpenedCheckpoint(Checkpoint checkpoint, bool allow_unmapped)
        : checkpoint_(std::move(checkpoint)), allow_unmapped_(allow_unmapped) {}
    Checkpoint checkpoint_;  // never moved after construction: the view points at it
    bool allow_unmapped_ = false;
    std::optional<CanonicalView> view_;
};

}  // namespace strata::python
