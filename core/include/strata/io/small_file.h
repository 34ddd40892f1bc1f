// Small files written whole (trackers, metadata.json, .metadata, manifests): created or
// truncated, written, closed, and any failure an Io status naming the file. Inside an
// AtomicOutput temporary, so a failed write leaves nothing that looks finished.
// Usage: STRATA_RETURN_IF_ERROR(write_small_file(dir / "metadata.json", text));
#pragma once

#include <filesystem>
#include <string_view>

#include "strata/status.h"

namespace strata {

Status write_small_file(const std::filesystem::path& path, std::string_view bytes);

}  // namespace strata
