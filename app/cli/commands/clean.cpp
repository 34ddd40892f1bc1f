// strata clean DIR [--dry-run]
// Removes the temporaries that killed runs left in DIR ("<out>.strata-tmp-<pid>-<n>@<host>")
// whose owner process is gone, and says what it removed; live runs' and other hosts' are kept.
#include <iostream>

#include "command.h"
#include "strata/io/temp_sweep.h"

namespace strata::cli {

void add_clean_command(CLI::App& app) {
    struct Args {
        std::string dir;
        bool dry_run = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("clean", "Remove temporaries left in a folder by killed Strata runs");
    cmd->add_option("dir", args->dir, "folder that holds outputs (the parent of --out)")->required();
    cmd->add_flag("--dry-run", args->dry_run, "only say what would be removed");
    cmd->callback([args] {
        std::error_code ec;
        if (!std::filesystem::is_directory(args->dir, ec)) check(Status::not_found("not a folder").in_file(args->dir));
        const auto swept = sweep_stale_temps(args->dir, args->dry_run);
        int failed = 0, acted = 0;
        for (const SweptTemp& t : swept) {
            std::cout << describe_swept(t, args->dry_run) << "\n";
            failed += t.action == SweptTemp::Action::Failed;
            acted += t.action == SweptTemp::Action::Removed || t.action == SweptTemp::Action::Restored;
        }
        if (swept.empty())
            std::cout << "no Strata temporaries in " << args->dir << "\n";
        else if (acted == 0 && failed == 0)
            std::cout << "nothing stale in " << args->dir << "\n";
        if (failed) exit_with(1);
    });
}

}  // namespace strata::cli
