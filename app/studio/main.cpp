// strata-studio: the Qt 6 desktop app. All of it lives in strata_studio_lib.
#include "app.h"

int main(int argc, char** argv) { return strata::studio::run_studio(argc, argv); }
