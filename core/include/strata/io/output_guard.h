// The one rule every writer follows before it creates or replaces an output (convert,
// reshard, synth, hybridize, forward's .npy): an output never is, contains, or lies
// inside a source of the run, and an existing output is replaced (--force) only when
// it is a previous Strata output folder, recognised by its strata-manifest.json.
// AtomicOutput::create applies it; writers pass their sources.
// Usage: STRATA_RETURN_IF_ERROR(check_output_target(out, {source}, overwrite, /*directory=*/true));
#pragma once

#include <filesystem>
#include <vector>

#include "strata/status.h"

namespace strata {

// Written into every output folder Strata commits (convert: with every tensor's hash).
constexpr const char* kStrataManifestName = "strata-manifest.json";

// True when `dir` is a folder holding a strata-manifest.json that names itself one.
bool is_strata_output(const std::filesystem::path& dir);

// InvalidArgument unless `out` may be written by a run reading `sources`:
//  - out must not be a source, a folder containing one, or a path inside a source folder;
//  - when out exists: without overwrite, refused; with it, a folder output must be a Strata
//    output (directory) and a file output a regular file.
Status check_output_target(const std::filesystem::path& out, const std::vector<std::filesystem::path>& sources,
                           bool overwrite, bool directory);

}  // namespace strata
