// strata: the command-line client. Every command is a thin layer over a core call.
#include <iostream>
#include <new>

#include "commands/command.h"
#include "strata/build_info.h"

int main(int argc, char** argv) {
    CLI::App app{"Strata: inspect, plan, convert and check LLM checkpoints"};
    app.require_subcommand(1);
    // Version, commit and the CUDA backend's state; computed only when asked (it loads the plug-in).
    app.set_version_flag("--version", [] { return strata::version_text("strata"); });
    // One line per command.
    strata::cli::add_synth_command(app);
    strata::cli::add_hybridize_command(app);
    strata::cli::add_inspect_command(app);
    strata::cli::add_pattern_command(app);
    strata::cli::add_plan_command(app);
    strata::cli::add_convert_command(app);
    strata::cli::add_reshard_command(app);
    strata::cli::add_diff_command(app);
    strata::cli::add_forward_command(app);
    strata::cli::add_compare_command(app);
    strata::cli::add_clean_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::RuntimeError& e) {  // a command's own exit code (exit_with)
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // --help/--version exit 0; every usage error exits 2, like an invalid option value.
        return app.exit(e) == 0 ? 0 : 2;
    } catch (const std::bad_alloc&) {
        // Backstop: core limits declared sizes before allocating; this is the one-line error if one slips by.
        std::cerr << "strata: error: out of memory\n";
        return 1;
    } catch (const std::exception& e) {
        // Backstop for a library exception no core check caught: one line and a non-zero exit, never an abort.
        std::cerr << "strata: error: internal: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
