// strata hybridize SRC --attn-layers LIST --out DIR [--expand 2] [--d-conv 4] [--d-state N] [--seed S]
//                  [--allow-mamba-ends] [--sparse] [--dry-run] [--force] [--force-space] [--max-shard-size GB]
// M1's transformer → hybrid Mamba2 transform (core: strata/hybrid/hybridize.h).
#include <chrono>
#include <iostream>

#include "command.h"
#include "strata/formats/format_registry.h"
#include "strata/hybrid/hybridize.h"

namespace strata::cli {

void add_hybridize_command(CLI::App& app) {
    struct Args {
        HybridizeOptions options;
        std::string source, out;
        double max_shard_gb = 5.0;
        bool dry_run = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("hybridize", "Turn a Qwen3(-MoE) model into an M1 hybrid Mamba2 model");
    cmd->add_option("source", args->source, "HF safetensors file or folder")->required();
    cmd->add_option("--attn-layers", args->options.attn_layers,
                    "layers kept as attention, e.g. \"0,2,4,...,44,46,47\"; the others become Mamba2")
        ->required();
    cmd->add_option("--out,-o", args->out, "output folder (must not exist)");
    cmd->add_option("--expand", args->options.mamba.expand, "d_inner = expand * hidden (default 2)");
    cmd->add_option("--d-conv", args->options.mamba.d_conv, "conv1d kernel width (default 4)");
    cmd->add_option("--d-state", args->options.mamba.d_state, "SSM state size (default and only legal value: head_dim)");
    cmd->add_option("--seed", args->options.seed, "seed of the fresh parameters (z/dt rows, conv1d, A_log, dt_bias)");
    cmd->add_flag("--allow-mamba-ends", args->options.allow_mamba_ends,
                  "allow the first/last layer to become Mamba (M1 keeps them attention)");
    cmd->add_flag("--sparse", args->options.sparse, "write valid headers over file holes (a planning skeleton)");
    cmd->add_flag("--dry-run", args->dry_run, "print the plan, write nothing");
    cmd->add_flag("--force", args->options.overwrite, "replace the output folder if it exists");
    cmd->add_flag("--force-space", args->options.force_space,
                  "write even when the output needs more than the free space");
    cmd->add_option("--max-shard-size", args->max_shard_gb, "shard size limit in GB (decimal), default 5");
    cmd->callback([args] {
        args->options.source = args->source;
        args->options.max_shard_bytes = static_cast<uint64_t>(args->max_shard_gb * 1e9);
        auto src = open_checkpoint(args->source);
        if (!src) check(src.status());
        auto plan = plan_hybridize(*src, args->options);
        if (!plan) check(plan.status());
        std::cout << describe_hybridize_plan(*plan);
        if (args->dry_run) {
            for (const std::string& w : plan->warnings) std::cerr << "strata: warning: " << w << "\n";
            if (!args->out.empty() && !args->options.sparse) {  // the preflight a real run would make
                auto space = check_free_space(args->out, hybridize_output_files(*plan));
                check(space.status());
                std::cout << "preflight: " << space->describe() << (space->fits() ? "" : " (NOT ENOUGH)") << "\n";
            }
            return;
        }
        if (args->out.empty()) check(Status::invalid_argument("--out is required (or --dry-run)"));
        args->options.out = args->out;
        TerminalProgress progress(true);
        CancelToken cancel;
        const auto start = std::chrono::steady_clock::now();
        check(hybridize(args->options, progress, cancel));
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cout << "wrote " << args->out << " (" << plan->tensors.size() << " tensors, " << plan->total_bytes
                  << " bytes" << (args->options.sparse ? ", sparse" : "") << ") in " << s << " s\n";
    });
}

}  // namespace strata::cli
