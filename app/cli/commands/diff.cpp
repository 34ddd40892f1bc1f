// strata diff A B [--json] [--all] [--tolerance X] [--threads N] [--stored-names]: compares two
// checkpoints of any layouts through their canonical views (or, with --stored-names, tensor by
// stored name, for checkpoints no canonical view reads); exits 1 when they differ.
#include <iostream>

#include "command.h"
#include "strata/diff/diff.h"
#include "strata/formats/format_registry.h"

namespace strata::cli {

void add_diff_command(CLI::App& app) {
    struct Args {
        std::string a, b;
        double tolerance = 0.0;
        int threads = 0;
        bool json = false, all = false, allow_unmapped = false, stored_names = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("diff", "Compare two checkpoints tensor by tensor (any layouts)");
    cmd->add_option("a", args->a, "first checkpoint")->required();
    cmd->add_option("b", args->b, "second checkpoint")->required();
    cmd->add_option("--tolerance", args->tolerance, "absolute tolerance per element (default 0: exact)");
    cmd->add_option("--threads", args->threads, "worker threads");
    cmd->add_flag("--json", args->json, "machine-readable report");
    cmd->add_flag("--all", args->all, "list equal tensors too (with --json)");
    cmd->add_flag("--allow-unmapped", args->allow_unmapped, "ignore stored tensors no mapping rule covers");
    cmd->add_flag("--stored-names", args->stored_names,
                  "match tensors by stored name, without a model (e.g. a torch_dist checkpoint against the "
                  "safetensors it was saved from)");
    cmd->callback([args] {
        auto ca = open_checkpoint(args->a);
        check(ca.status());
        auto cb = open_checkpoint(args->b);
        check(cb.status());
        TerminalProgress progress(!args->json);
        CancelToken cancel;
        Result<DiffReport> report = Status::internal("no diff ran");
        if (args->stored_names) {
            report = diff_checkpoints(*ca, *cb, {args->tolerance, args->threads}, progress, cancel);
        } else {
            auto va = CanonicalView::open(*ca, {args->allow_unmapped});
            check(va.status());
            auto vb = CanonicalView::open(*cb, {args->allow_unmapped});
            check(vb.status());
            report = diff_views(*va, *vb, {args->tolerance, args->threads}, progress, cancel);
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
