// strata diff A B [--json] [--all] [--tolerance X] [--threads N] [--stored-names]: compares two
// checkpoints of any layouts through their canonical views (or, with --stored-names, tensor by
// stored name, for checkpoints no canonical view reads); exits 1 when they differ.
// strata diff --layout A B [--json [--slices]]: the two layouts side by side (ranks × layers
// grids, the reshard transfer matrix, and for two checkpoints stored alike the change grid);
// A and B are checkpoints, presets, MODEL@tp=..,pp=..,ep=.. or a bare plan (parallel/layout_diff.h).
#include <iostream>

#include "command.h"
#include "strata/diff/diff.h"
#include "strata/formats/format_registry.h"
#include "strata/parallel/layout_diff.h"

namespace strata::cli {

void add_diff_command(CLI::App& app) {
    struct Args {
        std::string a, b;
        double tolerance = 0.0;
        int threads = 0;
        bool json = false, all = false, allow_unmapped = false, stored_names = false, layout = false, slices = false;
        bool no_manifests = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("diff", "Compare two checkpoints tensor by tensor (any layouts)");
    cmd->add_option("a", args->a,
                    "first checkpoint (with --layout: checkpoint, preset, MODEL@tp=2,pp=2,ep=4 or a plan)")
        ->required();
    cmd->add_option("b", args->b,
                    "second checkpoint (with --layout: as A; a bare plan such as tp=1,pp=4,ep=2 takes "
                    "A's model)")
        ->required();
    cmd->add_flag("--layout", args->layout,
                  "compare layouts: ranks x layers grids, the reshard transfer matrix (bytes per source rank file "
                  "and target rank file) and, for two checkpoints stored alike, the change per rank file and layer");
    cmd->add_flag("--slices", args->slices, "with --layout --json: list the tensor slices of every matrix cell");
    cmd->add_option("--tolerance", args->tolerance, "absolute tolerance per element (default 0: exact)");
    cmd->add_option("--threads", args->threads, "worker threads");
    cmd->add_flag("--json", args->json, "machine-readable report");
    cmd->add_flag("--all", args->all, "list equal tensors too (with --json)");
    cmd->add_flag("--no-manifests", args->no_manifests,
                  "read every tensor, even where both sides' Strata manifests hash it alike");
    cmd->add_flag("--allow-unmapped", args->allow_unmapped, "ignore stored tensors no mapping rule covers");
    cmd->add_flag("--stored-names", args->stored_names,
                  "match tensors by stored name, without a model (e.g. a torch_dist checkpoint against the "
                  "safetensors it was saved from)");
    cmd->callback([args] {
        if (args->layout) {
            TerminalProgress progress(!args->json);
            CancelToken cancel;
            auto d = diff_layouts(args->a, args->b, progress, cancel);
            check(d.status());
            if (args->json)
                std::cout << layout_diff_json(*d, args->slices).dump(1) << "\n";
            else
                std::cout << layout_diff_text(*d);
            return;
        }
        if (args->slices) check(Status::invalid_argument("--slices applies to --layout --json"));
        auto ca = open_checkpoint(args->a);
        check(ca.status());
        auto cb = open_checkpoint(args->b);
        check(cb.status());
        TerminalProgress progress(!args->json);
        CancelToken cancel;
        Result<DiffReport> report = Status::internal("no diff ran");
        if (args->stored_names) {
            report = diff_checkpoints(*ca, *cb, {args->tolerance, args->threads, !args->no_manifests}, progress, cancel);
        } else {
            auto va = CanonicalView::open(*ca, {args->allow_unmapped});
            check(va.status());
            auto vb = CanonicalView::open(*cb, {args->allow_unmapped});
            check(vb.status());
            report = diff_views(*va, *vb, {args->tolerance, args->threads, !args->no_manifests}, progress, cancel);
        }
        check(report.status());
        if (args->json)
            std::cout << diff_to_json(*report, args->all).dump(1) << "\n";
        else
            std::cout << diff_to_text(*report);
        if (!report->equal()) exit_with(1);
    });
}

}  // namespace strata::cli
