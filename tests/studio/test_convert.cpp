// Conversion through the GUI path: the Convert tab's drop zone opens the dialog
// prefilled; Run converts the demo model with core convert_checkpoint in a
// worker; Cancel stops it and leaves nothing behind.
#include <catch2/catch.hpp>

#include <QLabel>
#include <QMimeData>
#include <QSignalSpy>
#include <QSpinBox>
#include <QUrl>

#include "dialogs/convert_dialog.h"
#include "strata/formats/format_registry.h"
#include "studio_test_util.h"
#include "views/convert_panel.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::DemoModel;
using strata::studio::test::wait_until;

TEST_CASE("dropping a folder on the convert zone opens the dialog prefilled", "[studio][convert]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    StudioContext ctx;
    ConvertPanel panel(&ctx);
    panel.show();
    REQUIRE_FALSE(panel.dialog());
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(demo.qpath())});
    QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(panel.drop_zone(), &enter);
    CHECK(enter.isAccepted());
    QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(panel.drop_zone(), &drop);
    REQUIRE(panel.dialog());
    CHECK(panel.dialog()->isVisible());
    CHECK(panel.dialog()->source() == demo.qpath());
    CHECK(panel.dialog()->output().endsWith("model-megatron"));
}

TEST_CASE("convert through the dialog: run to completion, then cancel leaves nothing", "[studio][convert]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    StudioContext ctx;
    ConvertDialog dialog(&ctx);
    QSignalSpy done(&dialog, &ConvertDialog::finished_conversion);
    const auto out = demo.dir().path() / "megatron-tp2";
    dialog.set_source(demo.qpath());
    dialog.set_output(QString::fromStdString(out.string()));
    dialog.set_target(3);
    dialog.tp()->setValue(2);
    REQUIRE(dialog.start());
    REQUIRE(wait_until([&] { return done.count() == 1; }, 60000));
    INFO(dialog.result_text().toStdString());
    REQUIRE(done.first().first().toBool());
    auto reopened = open_checkpoint(out);
    INFO(reopened.status().to_string());
    REQUIRE(reopened.is_ok());
    CHECK(reopened->format == "megatron");

    const auto cancelled_out = demo.dir().path() / "cancelled";
    dialog.set_output(QString::fromStdString(cancelled_out.string()));
    const auto before = strata::test::list_tree(demo.dir().path());
    REQUIRE(dialog.start());
    dialog.cancel();
    REQUIRE(wait_until([&] { return done.count() == 2; }, 60000));
    CHECK_FALSE(done.last().first().toBool());
    CHECK(dialog.result_text().contains("cancel", Qt::CaseInsensitive));
    CHECK_FALSE(std::filesystem::exists(cancelled_out));
    CHECK(strata::test::list_tree(demo.dir().path()) == before);  // no temporary left beside it
}
