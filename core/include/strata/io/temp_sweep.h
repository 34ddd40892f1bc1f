// Temporaries carry their owner: AtomicOutput names them "<out>.strata-tmp-<pid>-<n>@<host>"
// (and "<that>.old" for a replaced output during the final rename). A run that dies
// (kill -9, power loss) leaves one behind; the next run in that folder, or `strata clean`,
// removes those whose owner process is gone on this host, and says so. A ".old" whose
// output is missing (killed between the two renames of a --force) is put back instead.
// Usage: for (const auto& t : sweep_stale_temps(dir, /*dry_run=*/false)) log(describe_swept(t));
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace strata {

struct TempOwner {
    long pid = 0;
    uint64_t serial = 0;
    std::string host;        // empty for names written before owners carried a host
    bool old = false;        // "<temp>.old": a previous output moved aside
    std::string final_name;  // the output name the temporary was for
};

// The temporary name for `final_name` owned by this process.
std::string make_temp_name(const std::string& final_name, uint64_t serial);
// Parses a temporary's file name; nullopt when it is not one.
std::optional<TempOwner> parse_temp_name(const std::string& filename);
// This machine's host name, as used in temporary names.
const std::string& this_host();
// True when the owner may still be writing: another host, or a live process here.
bool owner_alive(const TempOwner& owner);

struct SweptTemp {
    std::filesystem::path path;
    TempOwner owner;
    uint64_t bytes = 0;
    enum class Action { Removed, Restored, KeptAlive, KeptOtherHost, Failed } action = Action::Removed;
    std::string error;  // Failed
};

// Every Strata temporary directly inside `folder`: stale ones removed (or, dry_run, only
// listed as if removed), live ones and other hosts' listed as kept.
std::vector<SweptTemp> sweep_stale_temps(const std::filesystem::path& folder, bool dry_run);
// One line: "removed stale temporary X (process 123 on host h is gone; 5.4 MB)".
std::string describe_swept(const SweptTemp& t, bool dry_run = false);

}  // namespace strata
