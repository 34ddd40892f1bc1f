// Preflight: before anything is written, the planned output (bytes per file and in total)
// against the free space of the file system that will hold it (std::filesystem::space, i.e.
// statvfs's f_bavail, of the output path's nearest existing folder: the temporary sibling
// AtomicOutput writes lives there too). convert_checkpoint and hybridize refuse with both
// figures unless forced; dry runs report the same verdict. One decision, for CLI and Studio.
// (convert/preflight.h lists a conversion plan's files; hybridize lists its shards.)
// Usage: STRATA_TRY(auto v, check_free_space(out, files));
//        STRATA_RETURN_IF_ERROR(require_free_space(v, options.force_space));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata {

struct PlannedOutputFile {
    std::string path;  // relative to the output folder ("" = the HF safetensors shards)
    uint64_t bytes = 0;
};

struct SpaceVerdict {
    std::filesystem::path checked;  // the existing folder whose file system was asked
    size_t files = 0;
    uint64_t needed_bytes = 0;  // tensor bytes of every planned file (headers and JSON are extra, and small)
    uint64_t free_bytes = 0;    // available to this user
    bool fits() const { return needed_bytes <= free_bytes; }
    // "the output needs 70.4 GB (70417350656 bytes) in 16 files; /data has 53.0 GB (53012345856 bytes) free"
    std::string describe() const;
};

// Sums the files and asks the file system under `out`. Errors: no existing parent, or space() failing.
Result<SpaceVerdict> check_free_space(const std::filesystem::path& out, const std::vector<PlannedOutputFile>& files);

// Ok when the output fits or `force` is set; otherwise an Io error naming both figures.
Status require_free_space(const SpaceVerdict& verdict, bool force);

}  // namespace strata
