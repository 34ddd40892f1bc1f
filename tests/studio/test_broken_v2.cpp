// Regression tests for the "Broken" list of issue 20 (Studio v2), one case per item:
// shortcuts, the filter across opens, the pattern fields, the stale forward result,
// a failed open, the convert dialog (dry-run bytes, overwrite, default output),
// a drop on the Diff tab's B field, and the window clamped to a small screen.
#include <catch2/catch.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTreeView>
#include <QUrl>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>

#include "dialogs/convert_dialog.h"
#include "main_window.h"
#include "models/tensor_tree_model.h"
#include "strata/convert/convert.h"
#include "studio_test_util.h"
#include "support/model_helpers.h"
#include "views/diff_panel.h"
#include "views/forward_panel.h"
#include "views/inspector_panel.h"
#include "views/pattern_panel.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::DemoModel;
using strata::studio::test::wait_until;

namespace {

bool open_and_wait(MainWindow& w, const QString& path) {
    QSignalSpy loaded(&w, &MainWindow::load_finished);
    w.open_path(path);
    return wait_until([&] { return loaded.count() == 1; }) && loaded.first().first().toBool();
}

QMenu* menu_titled(MainWindow& w, const QString& title) {
    for (QAction* a : w.menuBar()->actions())
        if (a->text() == title) return a->menu();
    return nullptr;
}

void drop_path_on(QWidget* target, const QString& path) {
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &drop);
}

}  // namespace

TEST_CASE("Alt+1..9 switch tabs, Alt+F is the File menu's, Ctrl+E expands from the filter box",
          "[studio][window][shortcuts]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    w.activateWindow();
    REQUIRE(QTest::qWaitForWindowActive(&w));
    REQUIRE(open_and_wait(w, demo.qpath()));

    QTest::keyClick(&w, Qt::Key_3, Qt::AltModifier);
    CHECK(w.tabs()->currentIndex() == 2);
    QTest::keyClick(&w, Qt::Key_1, Qt::AltModifier);
    CHECK(w.tabs()->currentIndex() == 0);

    // No tab title may take a menu's mnemonic (Alt+F opened the Forward tab, not File).
    QStringList menu_keys;
    for (QAction* a : w.menuBar()->actions()) menu_keys << QKeySequence::mnemonic(a->text()).toString();
    for (int i = 0; i < w.tabs()->count(); ++i) {
        const QString key = QKeySequence::mnemonic(w.tabs()->tabText(i)).toString();
        INFO(w.tabs()->tabText(i).toStdString());
        CHECK_FALSE(menu_keys.contains(key));
    }
    QTest::keyClick(&w, Qt::Key_F, Qt::AltModifier);
    CHECK(w.tabs()->currentIndex() == 0);
    QMenu* file = menu_titled(w, MainWindow::tr("&File"));
    REQUIRE(file);
    CHECK(wait_until([&] { return file->isVisible(); }, 2000));
    file->close();
    w.activateWindow();
    REQUIRE(QTest::qWaitForWindowActive(&w));

    // Ctrl+E with the focus in the filter box expands the tree (QLineEdit took it as "end of line").
    // The offscreen platform has no X11 (Emacs-style) key bindings, so this check held there before
    // the fix too; under Xvfb (xcb) Ctrl+E did nothing before and expands now.
    w.inspector()->collapse_all();
    QTreeView* tree = w.inspector()->tree_view();
    const QModelIndex first_group = tree->model()->index(0, 0);
    REQUIRE(tree->model()->rowCount(first_group) > 0);
    REQUIRE_FALSE(tree->isExpanded(first_group));
    w.inspector()->focus_filter();
    REQUIRE(wait_until([&] { return w.inspector()->filter_edit()->hasFocus(); }, 2000));
    QTest::keyClick(w.inspector()->filter_edit(), Qt::Key_E, Qt::ControlModifier);
    CHECK(tree->isExpanded(first_group));
}

TEST_CASE("opening another checkpoint resets the tensor filter", "[studio][window][filter]") {
    DemoModel big("tiny");
    DemoModel small("tiny-dense");
    REQUIRE(big.ok());
    REQUIRE(small.ok());
    MainWindow w;
    w.show();
    REQUIRE(open_and_wait(w, big.qpath()));
    w.inspector()->set_filter("*.experts.7.*");
    REQUIRE(wait_until([&] { return !w.inspector()->filtering(); }));
    REQUIRE(w.inspector()->tree_model()->matched() > 0);
    REQUIRE(open_and_wait(w, small.qpath()));
    REQUIRE(wait_until([&] { return !w.inspector()->filtering(); }));
    CHECK(w.inspector()->filter_edit()->text().isEmpty());
    CHECK(w.inspector()->tree_model()->matched() == w.context()->current()->summary.tensor_count);
}

TEST_CASE("pattern designer: a strip click refreshes a focused attn_layers field, and edits mark the preset",
          "[studio][pattern]") {
    PatternPanel panel;
    panel.show();
    panel.activateWindow();
    REQUIRE(QTest::qWaitForWindowActive(&panel));
    panel.apply_preset(0);
    const QString preset_name = panel.presets()->currentText();
    CHECK_FALSE(preset_name.contains("edited"));
    panel.attn_edit()->setFocus();
    REQUIRE(wait_until([&] { return panel.attn_edit()->hasFocus(); }, 2000));
    const QString before = panel.attn_edit()->text();
    panel.toggle_hf_layer(1);  // 1 is Mamba2 in preset 0: it becomes attention (no GDN before Megatron-Core 0.17)
    CHECK(panel.attn_edit()->text() != before);
    CHECK(panel.attn_edit()->text() == panel.attn_layers());
    CHECK(panel.presets()->currentText().contains("edited"));
    panel.toggle_hf_layer(1);  // and back: attention -> Mamba2
    CHECK(panel.attn_edit()->text() == before);
    CHECK(panel.presets()->currentText() == preset_name);
}

TEST_CASE("forward tab: a comparison whose B changed is marked stale with its paths", "[studio][forward]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    StudioContext ctx;
    ForwardPanel panel(&ctx);
    QSignalSpy done(&panel, &ForwardPanel::forward_finished);
    panel.set_paths(demo.qpath(), demo.qpath());
    panel.set_tokens("1,2");
    REQUIRE(panel.run());
    REQUIRE(wait_until([&] { return done.count() == 1; }, 60000));
    REQUIRE(done.first().first().toBool());
    CHECK(panel.summary()->text().contains(demo.qpath().toHtmlEscaped()));
    CHECK_FALSE(panel.summary()->text().contains("stale", Qt::CaseInsensitive));
    auto* b = panel.findChild<QLineEdit*>("forwardB");
    REQUIRE(b);
    b->setText(demo.qpath() + "-other");
    CHECK(panel.summary()->text().contains("stale", Qt::CaseInsensitive));
    CHECK(panel.summary()->text().contains(demo.qpath().toHtmlEscaped()));
    b->setText(demo.qpath());  // back to what it was computed from
    CHECK_FALSE(panel.summary()->text().contains("stale", Qt::CaseInsensitive));
}

TEST_CASE("a checkpoint that fails to open: full error in the main pane, failed path in the title",
          "[studio][window][error]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    strata::test::TempDir dir;
    const auto bad = dir / "broken-model.safetensors";
    strata::test::write_file(bad, std::string("not a safetensors file at all, and a long enough text"));
    MainWindow w;
    w.show();
    REQUIRE(open_and_wait(w, demo.qpath()));
    QSignalSpy loaded(&w, &MainWindow::load_finished);
    w.open_path(QString::fromStdString(bad.string()));
    REQUIRE(wait_until([&] { return loaded.count() == 1; }));
    CHECK_FALSE(loaded.first().first().toBool());
    CHECK(w.windowTitle().contains("broken-model.safetensors"));
    auto* error = w.findChild<QPlainTextEdit*>("openError");
    REQUIRE(error);
    CHECK(error->isVisible());
    CHECK(error->isReadOnly());
    CHECK(error->toPlainText().contains(w.last_error()));
    // The old checkpoint is closed on purpose: nothing on screen claims to be the old model.
    CHECK_FALSE(w.context()->current());
    CHECK(w.inspector()->tree_model()->matched() == 0);
    // A good open clears the error.
    REQUIRE(open_and_wait(w, demo.qpath()));
    CHECK_FALSE(error->isVisible());
}

TEST_CASE("convert dialog: dry run shows files, bytes and preflight, overwrite is a choice, output beside a file source",
          "[studio][convert]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    StudioContext ctx;
    ConvertDialog dialog(&ctx);
    QSignalSpy done(&dialog, &ConvertDialog::finished_conversion);
    const auto out = demo.dir().path() / "out-megatron";
    dialog.set_source(demo.qpath());
    dialog.set_output(QString::fromStdString(out.string()));
    dialog.set_target(ConvertDialog::Megatron);
    dialog.tp()->setValue(2);

    // Dry run: the same bytes as the CLI's dry run (core convert_checkpoint's plan).
    auto* dry = dialog.findChild<QCheckBox*>("dryRun");
    REQUIRE(dry);
    dry->setChecked(true);
    REQUIRE(dialog.start());
    REQUIRE(wait_until([&] { return done.count() == 1; }, 60000));
    REQUIRE(done.last().first().toBool());
    ConvertOptions o;
    o.source = demo.path();
    o.out = out;
    o.target.kind = LayoutKind::Megatron;
    o.target.plan.tp = 2;
    o.dry_run = true;
    NullProgress p;
    CancelToken c;
    auto ref = convert_checkpoint(o, p, c);
    REQUIRE(ref.is_ok());
    INFO(dialog.result_text().toStdString());
    CHECK(dialog.result_text().contains(QLocale().toString(qulonglong(ref->plan.total_bytes()))));
    CHECK(dialog.result_text().contains(QStringLiteral("%1 files").arg(ref->plan.files.size())));
    // Preflight: the per-file (per-rank) table and the free-space verdict, from the same core calls.
    REQUIRE(ref->space);
    CHECK(dialog.result_text().contains("Preflight"));
    CHECK(dialog.result_text().contains(QString::number(ref->space->needed_bytes) + " bytes"));
    auto* table = dialog.findChild<QTableWidget*>("planTable");
    REQUIRE(table);
    CHECK(table->rowCount() == int(ref->plan.files.size()));
    const auto sizes = planned_output_files(ref->plan);
    uint64_t table_bytes = 0;
    for (int r = 0; r < table->rowCount(); ++r) table_bytes += QLocale().toULongLong(table->item(r, 3)->text());
    CHECK(table_bytes == ref->plan.total_bytes());
    CHECK(table->item(0, 1)->text() == "tp0 pp0 ep0");

    // A real run, then a second one into the same folder: an explicit overwrite choice.
    dry->setChecked(false);
    REQUIRE(dialog.start());
    REQUIRE(wait_until([&] { return done.count() == 2; }, 60000));
    REQUIRE(done.last().first().toBool());
    auto* overwrite = dialog.findChild<QCheckBox*>("overwriteOutput");
    REQUIRE(overwrite);
    overwrite->setChecked(false);
    dialog.start();
    REQUIRE(wait_until([&] { return done.count() == 3; }, 60000));
    CHECK_FALSE(done.last().first().toBool());
    CHECK_FALSE(dialog.result_text().contains("--force"));
    auto* open_result = dialog.findChild<QPushButton*>("openResult");
    REQUIRE(open_result);
    CHECK(open_result->isEnabled());  // the earlier result is still there to open
    overwrite->setChecked(true);
    REQUIRE(dialog.start());
    REQUIRE(wait_until([&] { return done.count() == 4; }, 60000));
    CHECK(done.last().first().toBool());
    CHECK(open_result->isEnabled());

    // A file source: the default output sits beside the checkpoint folder, not inside it.
    ConvertDialog d2(&ctx);
    d2.set_target(ConvertDialog::Megatron);
    d2.set_source(demo.qpath() + "/model.safetensors");
    CHECK(QFileInfo(d2.output()).absolutePath() == QFileInfo(demo.qpath()).absolutePath());
    CHECK(d2.findChild<QPushButton*>("browseOutput"));
}

TEST_CASE("diff tab: a folder dropped on B fills B and opens nothing", "[studio][diff][drop]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    w.show_tab("diff");
    auto* b = w.diff()->findChild<QLineEdit*>("diffB");
    REQUIRE(b);
    drop_path_on(b, demo.qpath());
    QTest::qWait(100);
    CHECK(b->text() == demo.qpath());
    CHECK_FALSE(w.loading());
    CHECK_FALSE(w.context()->current());
}

TEST_CASE("the window and its minimum size fit the available screen", "[studio][window][geometry]") {
    MainWindow w;
    w.show();
    REQUIRE(QTest::qWaitForWindowExposed(&w));
    const QRect avail = w.screen()->availableGeometry();
    INFO("screen " << avail.width() << "x" << avail.height() << ", window " << w.width() << "x" << w.height()
                   << ", minimum " << w.minimumSize().width() << "x" << w.minimumSize().height());
    CHECK(w.width() <= avail.width());
    CHECK(w.height() <= avail.height());
    CHECK(w.minimumSize().width() <= avail.width());
    CHECK(w.minimumSize().height() <= avail.height());
}

TEST_CASE("convert dialog: a run larger than the free space is refused with both figures",
          "[studio][convert][preflight]") {
    // Llama-3.1-70B at real dims as a sparse skeleton (no data on disk), cast to F32: ~282 GB.
    DemoModel big("llama3.1-70b", true);
    REQUIRE(big.ok());
    const uint64_t free_now = std::filesystem::space(big.dir().path()).available;
    StudioContext ctx;
    ConvertDialog dialog(&ctx);
    QSignalSpy done(&dialog, &ConvertDialog::finished_conversion);
    dialog.set_source(big.qpath());
    dialog.set_target(ConvertDialog::Hf);
    auto* dtype = dialog.findChild<QComboBox*>("dtypeBox");
    REQUIRE(dtype);
    dtype->setCurrentText("F32");
    dialog.findChild<QCheckBox*>("dryRun")->setChecked(true);
    REQUIRE(dialog.start());
    REQUIRE(wait_until([&] { return done.count() == 1; }, 120000));
    REQUIRE(done.last().first().toBool());
    INFO(dialog.result_text().toStdString());
    if (dialog.result_text().contains("it fits") || free_now > 200'000'000'000ull) {
        WARN("the test disk has room for 282 GB; refusal not checked");
        return;
    }
    CHECK(dialog.result_text().contains("a run would be refused"));
    // The real run: refused before writing. A file-size limit guards the disk should it not be.
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit cap = old;
    cap.rlim_cur = 200u << 20;
    auto* previous = std::signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &cap);
    dialog.findChild<QCheckBox*>("dryRun")->setChecked(false);
    REQUIRE(dialog.start());
    REQUIRE(wait_until([&] { return done.count() == 2; }, 120000));
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    CHECK_FALSE(done.last().first().toBool());
    CHECK(dialog.result_text().contains("not enough free space"));
    CHECK(dialog.result_text().contains(" bytes) free"));
    CHECK_FALSE(std::filesystem::exists(dialog.output().toStdString()));
}
