// version_text: one text for every client's --version (the CLI and the Studio).
#include "strata/build_info.h"

#include "strata/kernels/backend.h"

namespace strata {

std::string version_text(std::string_view program) {
    std::string out(program);
    out += " " + std::string(version()) + "\n";
    out += "commit " + std::string(git_commit()) + "\n";
    out += "CUDA backend: " + kernels::describe_cuda_backend();
    return out;
}

}  // namespace strata
