// studio_tests main: Catch2 v2 runner with a QApplication created first (widgets
// need one), forced onto the offscreen platform unless the caller chose another.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <QApplication>
#include <QTemporaryDir>

#include "app.h"

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    // QSettings (recent files, window geometry) go to a folder of this process's own: ctest
    // runs the cases as parallel processes, and a shared settings file let one case's
    // recent-files list show up in another's (the CI failure of "open the demo model").
    QTemporaryDir settings_home;
    if (settings_home.isValid()) qputenv("XDG_CONFIG_HOME", settings_home.path().toLocal8Bit());
    QApplication app(argc, argv);
    QApplication::setOrganizationName("StrataTests");
    QApplication::setApplicationName("studio_tests");
    strata::studio::init_studio_resources();
    return Catch::Session().run(argc, argv);
}
