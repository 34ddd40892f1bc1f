// libFuzzer: a Megatron legacy folder: the tracker file and rank 0's model_optim_rng.pt
// (parts split by "\n--8<--\n"); then args -> ModelSpec as convert would.
#include "fuzz_common.h"
#include "strata/formats/megatron.h"
#include "strata/model/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fs = std::filesystem;
    const fs::path dir = strata::fuzz::scratch() / "mg";
    std::error_code ec;
    fs::remove_all(dir, ec);
    const auto parts = strata::fuzz::split(data, size, 2);
    strata::fuzz::write(dir / "latest_checkpointed_iteration.txt", parts[0]);
    strata::fuzz::write(dir / "release/mp_rank_00/model_optim_rng.pt", parts[1]);
    strata::fuzz::write(dir / "iter_0000001/mp_rank_00/model_optim_rng.pt", parts[1]);
    auto ckpt = strata::open_megatron(dir);
    if (ckpt && ckpt->config.is_object()) (void)strata::model_spec_from_megatron_args(ckpt->config);
    return 0;
}
