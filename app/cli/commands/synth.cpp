// strata synth --preset NAME --out DIR [--layers N] [--dtype bf16|f32] [--seed S] [--sparse]
#include <iostream>

#include "command.h"
#include "strata/synth/synth.h"

namespace strata::cli {

void add_synth_command(CLI::App& app) {
    struct Args {
        SynthOptions options;
        std::string out;
        std::string dtype = "bf16";
        double max_shard_gb = 5.0;
        bool list = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("synth", "Write a deterministic demo checkpoint in exact HF layout");
    cmd->add_option("--preset", args->options.preset, "preset name (see --list)");
    cmd->add_option("--out,-o", args->out, "output folder (must not exist)");
    cmd->add_option("--layers", args->options.layers, "cut the preset to N layers");
    cmd->add_option("--dtype", args->dtype, "bf16 or f32")->check(CLI::IsMember({"bf16", "f32"}));
    cmd->add_option("--seed", args->options.seed, "seed of the deterministic values");
    cmd->add_flag("--sparse", args->options.sparse, "write valid headers over file holes (no data; near-zero disk)");
    cmd->add_option("--max-shard-size", args->max_shard_gb, "shard size limit in GB (decimal), default 5");
    cmd->add_flag("--force", args->options.overwrite, "replace the output folder if it exists");
    cmd->add_flag("--list", args->list, "list the presets");
    cmd->callback([args] {
        if (args->list) {
            for (const auto& p : synth_presets()) std::cout << p.name << "\t" << p.description << "\n";
            return;
        }
        if (args->out.empty()) check(Status::invalid_argument("--out is required"));
        args->options.out = args->out;
        args->options.dtype = args->dtype == "f32" ? DType::F32 : DType::BF16;
        args->options.max_shard_bytes = static_cast<uint64_t>(args->max_shard_gb * 1e9);
        TerminalProgress progress(true);
        CancelToken cancel;
        check(synthesize(args->options, progress, cancel));
        std::cout << "wrote " << args->out << " (preset " << args->options.preset << ")\n";
    });
}

}  // namespace strata::cli
