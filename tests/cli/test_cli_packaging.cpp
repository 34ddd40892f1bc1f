// What the package installs beside the binaries: the bash completion (run in a real bash against
// the built CLI) and the man pages made from --help.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "support/temp_dir.h"

namespace {

std::string shell_output(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ::pclose(p);
    return out;
}

// COMPREPLY of the completion for the words typed so far (the last one is being completed).
std::string complete(const std::string& words) {
    const std::string script = std::string(STRATA_SOURCE_DIR) + "/packaging/strata.bash-completion";
    return shell_output("bash -c 'source " + script + "; COMP_WORDS=(" + STRATA_CLI_PATH + " " + words +
                        "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _strata; printf \"%s\\n\" \"${COMPREPLY[@]}\"'");
}

}  // namespace

TEST_CASE("bash completion offers commands, options and presets from --help", "[cli][packaging]") {
    CHECK(complete("sy") == "synth\n");
    const std::string convert_opts = complete("convert --t");
    CHECK_THAT(convert_opts, Catch::Contains("--to\n"));
    CHECK_THAT(convert_opts, Catch::Contains("--tp\n"));
    CHECK_THAT(complete("synth --preset tiny-dense"), Catch::Contains("tiny-dense-tied\n"));
    CHECK(complete("convert x --device c") == "cpu\ncuda\n");
}

TEST_CASE("the man page has a section for every command", "[cli][packaging]") {
    const std::string page =
        shell_output(std::string("gzip -dc ") + STRATA_BINARY_DIR + "/packaging/man/strata.1.gz 2>/dev/null");
    REQUIRE_THAT(page, Catch::StartsWith(".TH STRATA 1 "));
    for (const char* c :
         {"synth", "hybridize", "inspect", "pattern", "plan", "convert", "reshard", "diff", "forward", "compare"})
        CHECK_THAT(page, Catch::Contains(std::string(".SS strata ") + c + "\n"));
    CHECK_THAT(page, Catch::Contains("--tp"));
}
