// Conversion through the GUI path: the Convert tab's drop zone opens the dialog
// prefilled; Run converts the demo model with core convert_checkpoint in a
// worker; Cancel stops it and leaves nothing behind. The plan and attn_layers come from
// the Parallel and Pattern tabs; the hybrid Mamba2 target runs core hybridize.
#include <catch2/catch.hpp>

#include <QComboBox>
#include <QLabel>
#include <QMimeData>
#include <QSignalSpy>
#include <QSpinBox>
#include <QUrl>

#include <QLineEdit>

#include "dialogs/convert_dialog.h"
#include "main_window.h"
#include "strata/formats/format_registry.h"
#include "strata/model/hf_config.h"
#include "studio_test_util.h"
#include "views/convert_panel.h"
#include "views/pattern_panel.h"

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

TEST_CASE("the convert dialog writes Megatron torch_dist when that format is chosen", "[studio][convert]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    StudioContext ctx;
    ConvertDialog dialog(&ctx);
    QSignalSpy done(&dialog, &ConvertDialog::finished_conversion);
    const auto out = demo.dir().path() / "dist-tp2";
    dialog.set_source(demo.qpath());
    dialog.set_output(QString::fromStdString(out.string()));
    dialog.set_target(3);
    CHECK(dialog.ckpt_format()->isEnabled());
    dialog.ckpt_format()->setCurrentIndex(dialog.ckpt_format()->findData(QStringLiteral("torch_dist")));
    dialog.tp()->setValue(2);
    REQUIRE(dialog.start());
    REQUIRE(wait_until([&] { return done.count() == 1; }, 60000));
    INFO(dialog.result_text().toStdString());
    REQUIRE(done.first().first().toBool());
    auto reopened = open_checkpoint(out);
    REQUIRE(reopened.is_ok());
    CHECK(reopened->format == "torch_dist");
    dialog.set_target(0);  // HF: the Megatron format does not apply
    CHECK_FALSE(dialog.ckpt_format()->isEnabled());
}

TEST_CASE("the convert dialog starts from the Parallel plan and the Pattern designer", "[studio][convert]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    REQUIRE(w.set_plan("tp=2,pp=2,ep=4,etp=1"));
    auto* pattern = w.findChild<PatternPanel*>("pattern");
    REQUIRE(pattern);
    REQUIRE(pattern->set_attn_layers_text("0,3"));  // attention at 0 and 3, the rest Mamba2
    CHECK(w.context()->attn_layers() == pattern->attn_layers());
    ConvertDialog* d = w.convert()->open_dialog(demo.qpath());
    REQUIRE(d);
    CHECK(d->tp()->value() == 2);
    CHECK(d->pp()->value() == 2);
    CHECK(d->ep()->value() == 4);
    CHECK(d->etp()->value() == 1);
    CHECK(d->attn_layers()->text() == "0,3");
    // A later plan reaches a dialog opened again (not one that is running).
    REQUIRE(w.set_plan("tp=1"));
    d = w.convert()->open_dialog(demo.qpath());
    CHECK(d->tp()->value() == 1);
}

TEST_CASE("the hybrid Mamba2 target runs core hybridize and writes a hybrid", "[studio][convert][hybrid]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    StudioContext ctx;
    ctx.set_attn_layers("0,3");
    ConvertDialog dialog(&ctx);
    QSignalSpy done(&dialog, &ConvertDialog::finished_conversion);
    dialog.set_source(demo.qpath());
    REQUIRE(dialog.set_target_name("hybrid-mamba2"));
    CHECK(dialog.output().endsWith("model-hybrid-mamba2"));  // the proposed name follows the target
    CHECK(dialog.attn_layers()->isEnabled());
    CHECK_FALSE(dialog.tp()->isEnabled());
    CHECK(dialog.attn_layers()->text() == "0,3");
    REQUIRE(dialog.start());
    REQUIRE(wait_until([&] { return done.count() == 1; }, 60000));
    INFO(dialog.result_text().toStdString());
    REQUIRE(done.first().first().toBool());
    const auto out = std::filesystem::path(dialog.output().toStdString());
    CHECK(std::filesystem::exists(out / "mamba_config.json"));
    auto hybrid = open_checkpoint(out);
    INFO(hybrid.status().to_string());
    REQUIRE(hybrid.is_ok());
    // Layers 1 and 2 became M1 Mamba2 mixers; 0 and 3 kept attention.
    CHECK(hybrid->find("model.layers.1.mamba.in_proj.weight"));
    CHECK(hybrid->find("model.layers.2.mamba.out_proj.weight"));
    CHECK(hybrid->find("model.layers.0.self_attn.q_proj.weight"));
    CHECK_FALSE(hybrid->find("model.layers.1.self_attn.q_proj.weight"));
    CHECK(dialog.result_text().contains("*EMEME*E"));

    // Without attn_layers the hybrid target refuses to start and says why.
    ctx.set_attn_layers({});
    ConvertDialog empty(&ctx);
    empty.set_source(demo.qpath());
    empty.set_target(ConvertDialog::HybridMamba2);
    CHECK_FALSE(empty.start());
    CHECK(empty.result_text().contains("attn_layers"));
}
