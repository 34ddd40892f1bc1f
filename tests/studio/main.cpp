// studio_tests main: Catch2 v2 runner with a QApplication created first (widgets
// need one), forced onto the offscreen platform unless the caller chose another.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <QApplication>
#include <QStandardPaths>

#include "app.h"

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QStandardPaths::setTestModeEnabled(true);  // QSettings (recent files) go to a test location
    QApplication app(argc, argv);
    QApplication::setOrganizationName("StrataTests");
    QApplication::setApplicationName("studio_tests");
    strata::studio::init_studio_resources();
    return Catch::Session().run(argc, argv);
}
