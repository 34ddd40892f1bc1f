// hf_tensor_entries: the HF tensor list of whichever architecture family claims the config.
#include "strata/model/hf_layout.h"

#include "strata/model/architecture.h"

namespace strata {

Result<std::vector<TensorEntry>> hf_tensor_entries(const nlohmann::json& config, DType dtype) {
    if (!config.is_object() || !config.contains("model_type") || !config["model_type"].is_string())
        return Status::invalid_argument("config.json has no 'model_type'");
    STRATA_TRY(const Architecture* arch, architecture_for_hf_config(config));
    return arch->hf_tensor_entries(config, dtype);
}

}  // namespace strata
