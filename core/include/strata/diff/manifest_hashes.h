// The xxh3-64 of every stored tensor, as the strata-manifest.json of a Strata output records
// them, when they can be trusted: the manifest is at the checkpoint's root, newer than every
// data file (a file rewritten after the conversion makes the manifest stale), and lists every
// stored tensor of the checkpoint. Two checkpoints whose manifests give a tensor the same hash
// hold the same bytes for it (a 64-bit hash: a chance collision is ~1e-19 per pair), so diff
// settles it without reading (diff.h, DiffOptions::use_manifests).
// Usage: if (auto h = fresh_manifest_hashes(ckpt)) { auto it = h->find(manifest_key(ckpt, info)); }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "strata/formats/checkpoint.h"

namespace strata {

using ManifestHashes = std::unordered_map<std::string, uint64_t>;

// The key of a stored tensor in the manifest: its name, after its rank file for Megatron.
std::string manifest_key(const Checkpoint& ckpt, const TensorInfo& info);

std::optional<ManifestHashes> fresh_manifest_hashes(const Checkpoint& ckpt);

}  // namespace strata
