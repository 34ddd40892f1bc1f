// HF config files as JSON: kept for the callers that include it here; the I/O lives in
// formats/hf_config_files.h (config.json + mamba_config.json) and io/json_file.h.
// Usage: STRATA_TRY(auto cfg, read_hf_config_beside(folder));  // null if absent
#pragma once

#include "strata/formats/hf_config_files.h"
#include "strata/io/json_file.h"
