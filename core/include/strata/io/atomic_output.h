// AtomicOutput: an output file or folder that appears under its final name only
// when complete. Writers fill a temporary sibling ("out.strata-tmp-<pid>-<n>@<host>"),
// the caller verifies it, then commit() renames it; destroying an uncommitted
// AtomicOutput removes the temporary, so a failed or cancelled run leaves nothing
// that looks finished.
// Usage: STRATA_TRY(auto out, AtomicOutput::create(dir, AtomicOutput::Kind::Directory));
//        write into out.temp_path(); STRATA_RETURN_IF_ERROR(out.commit());
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata {

class AtomicOutput {
public:
    enum class Kind { File, Directory };

    // Fails if its parent folder does not exist or check_output_target (output_guard.h) refuses
    // final_path for a run reading `sources`. Removes stale temporaries of dead runs beside it
    // (temp_sweep.h); swept() says which, for the caller to log.
    static Result<AtomicOutput> create(const std::filesystem::path& final_path, Kind kind, bool overwrite = false,
                                       const std::vector<std::filesystem::path>& sources = {});

    AtomicOutput(AtomicOutput&& other) noexcept;
    AtomicOutput& operator=(AtomicOutput&& other) noexcept;
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;
    ~AtomicOutput();

    const std::filesystem::path& temp_path() const { return temp_; }
    const std::filesystem::path& final_path() const { return final_; }
    bool committed() const { return committed_; }
    // One line per stale temporary create() removed or restored.
    const std::vector<std::string>& swept() const { return swept_; }

    // fsyncs the temporary (file or every file in the folder), then renames it into place.
    Status commit();
    // Removes the temporary now (the destructor does the same).
    void discard();

private:
    AtomicOutput() = default;
    std::filesystem::path final_;
    std::filesystem::path temp_;
    Kind kind_ = Kind::File;
    bool overwrite_ = false;
    bool committed_ = false;
    std::vector<std::string> swept_;
};

// True for names AtomicOutput uses for its temporaries (tests look for leftovers).
bool is_atomic_temp_name(const std::string& filename);

}  // namespace strata
