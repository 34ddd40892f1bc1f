// config.json (+ M1's mamba_config.json) beside an HF checkpoint.
#include "strata/formats/hf_config_files.h"

namespace strata {
namespace fs = std::filesystem;

Result<nlohmann::json> read_hf_config_beside(const fs::path& folder) {
    std::error_code ec;
    const fs::path config = folder / "config.json";
    if (!fs::exists(config, ec)) return nlohmann::json();
    STRATA_TRY(auto j, read_json_file(config));
    if (!j.is_object()) return Status::corrupt("config.json is not a JSON object").in_file(config.string());
    const fs::path mamba = folder / "mamba_config.json";
    if (fs::exists(mamba, ec)) {
        STRATA_TRY(auto m, read_json_file(mamba));
        j["mamba_config"] = std::move(m);
    }
    return j;
}

}  // namespace strata
