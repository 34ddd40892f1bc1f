// What this build of Strata is: its version, the git commit it was built from, and (with the
// kernels' describe_cuda_backend) whether the CUDA backend was built and works here.
// Usage: std::cout << strata::version_text("strata");
#pragma once

#include <string>
#include <string_view>

namespace strata {

// "0.1.0": the project version from the top-level CMakeLists.txt.
std::string_view version();
// Short commit hash ("-dirty" when tracked files had changes), or why there is none.
std::string_view git_commit();
// The --version text of a program: "<program> <version>", the commit, and the CUDA backend line.
std::string version_text(std::string_view program);

}  // namespace strata
