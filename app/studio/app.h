// Studio entry point shared by strata-studio's main() and the tests: parses
// `strata-studio [PATH] [--tab NAME] [--tensor NAME] [--filter TEXT] [--plan tp=2,ep=4]
// [--grid-cell R,C] [--diff B [--diff-tensor NAME]] [--convert TARGET] [--tokens IDS [--compare B]]
// [--size WxH] [--screenshot FILE.png]`, shows the main window, and with --screenshot grabs
// it once loading and every task have finished, then exits.
// Usage: return strata::studio::run_studio(argc, argv);
#pragma once

namespace strata::studio {

int run_studio(int argc, char** argv);
// Registers the icons in resources/strata.qrc (linked from a static library).
void init_studio_resources();

}  // namespace strata::studio
