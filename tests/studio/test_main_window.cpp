// The main window end to end under the offscreen platform: open the demo model,
// filter and see rows change, select a tensor and get statistics, a heatmap and
// values from workers, drop a folder, open a broken path, recent files.
#include <catch2/catch.hpp>

#include <QAbstractItemModelTester>
#include <QLineEdit>
#include <QMimeData>
#include <QSignalSpy>
#include <QApplication>
#include <QFontMetrics>
#include <QTabWidget>
#include <QTableWidget>
#include <QTreeView>
#include <QUrl>

#include "main_window.h"
#include "models/tensor_tree_model.h"
#include "models/value_block_model.h"
#include "studio_test_util.h"
#include "views/inspector_panel.h"
#include "views/summary_panel.h"
#include "views/tensor_view.h"
#include "widgets/heatmap_widget.h"
#include "widgets/histogram_chart.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::DemoModel;
using strata::studio::test::wait_until;

namespace {

int visible_leaf_count(const QAbstractItemModel* m, const QModelIndex& parent = {}) {
    int n = 0;
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        n += m->rowCount(i) == 0 ? 1 : visible_leaf_count(m, i);
    }
    return n;
}

}  // namespace

TEST_CASE("open the demo model, filter, and see rows change", "[studio][window]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    REQUIRE(QTest::qWaitForWindowExposed(&w));
    QAbstractItemModelTester tester(w.inspector()->tree_model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy loaded(&w, &MainWindow::load_finished);
    w.open_path(demo.qpath());
    REQUIRE(wait_until([&] { return !w.loading(); }));
    REQUIRE(loaded.count() == 1);
    CHECK(loaded.first().first().toBool());
    REQUIRE(w.context()->current());
    const size_t total = w.context()->current()->ckpt->tensors.size();
    auto* model = w.inspector()->tree_model();
    CHECK(visible_leaf_count(model) == int(total));
    // Summary: parameters per dtype from core summarize().
    QTableWidget* dtypes = w.inspector()->summary()->dtype_table();
    REQUIRE(dtypes->rowCount() == 1);
    CHECK(dtypes->item(0, 0)->text() == "BF16");

    // Typing in the filter box goes through the debounce and a worker.
    QSignalSpy filtered(w.inspector(), &InspectorPanel::filter_applied);
    QTest::keyClicks(w.inspector()->filter_edit(), "q_proj");
    REQUIRE(wait_until([&] { return filtered.count() >= 1 && !w.inspector()->filtering(); }));
    CHECK(filtered.last().first().toInt() == 4);  // one q_proj per layer
    CHECK(visible_leaf_count(model) == 4);
    w.inspector()->set_filter("*.experts.*");
    REQUIRE(wait_until([&] { return !w.inspector()->filtering(); }));
    CHECK(visible_leaf_count(model) == 4 * 8 * 3);  // layers x experts x (gate, up, down)
    // Esc in the filter box clears it.
    w.inspector()->filter_edit()->setFocus();
    QTest::keyClick(w.inspector()->filter_edit(), Qt::Key_Escape);
    CHECK(w.inspector()->filter_edit()->text().isEmpty());
    w.inspector()->set_filter("");
    REQUIRE(wait_until([&] { return !w.inspector()->filtering(); }));
    CHECK(visible_leaf_count(model) == int(total));
    CHECK(MainWindow::recent_files().value(0) == QFileInfo(demo.qpath()).absoluteFilePath());
}

TEST_CASE("selecting a tensor computes statistics, heatmap and values in workers", "[studio][window][tensor]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    w.open_path(demo.qpath());
    REQUIRE(wait_until([&] { return !w.loading(); }));
    TensorView* tv = w.inspector()->tensor_view();
    QAbstractItemModelTester tester(tv->values_model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy stats(tv, &TensorView::stats_finished);
    QSignalSpy heat(tv, &TensorView::heatmap_finished);
    QSignalSpy values(tv, &TensorView::values_finished);
    REQUIRE(w.inspector()->select_tensor("model.layers.0.self_attn.q_proj.weight"));
    REQUIRE(wait_until([&] { return stats.count() && heat.count() && values.count(); }));
    CHECK(stats.first().first().toBool());
    CHECK(w.inspector()->side_tabs()->currentWidget() == tv);
    const TensorStats& s = tv->stats();
    CHECK(s.count == 128 * 64);
    CHECK(s.nan_count == 0);
    CHECK(s.min < 0);
    CHECK(s.max > 0);
    CHECK(s.std > 0);
    CHECK(tv->histogram()->bar_count() > 0);
    // The count axis keeps as few ticks as its labels have height for (Qt Charts elides
    // a y label to "..." below that): the docs/images/studio-tensor.png bug.
    REQUIRE(wait_until([&] { return w.context()->runner()->idle(); }));
    QTest::qWait(50);  // let the chart lay out its plot area
    CHECK(tv->histogram()->y_tick_count() >= 2);
    CHECK(tv->histogram()->y_label_room() >= QFontMetrics(QApplication::font()).height());
    // The heatmap never has more cells than the matrix.
    REQUIRE(wait_until([&] { return w.context()->runner()->idle(); }));
    CHECK(tv->heatmap()->heatmap().rows <= 128);
    CHECK(tv->heatmap()->heatmap().cols <= 64);
    CHECK(tv->heatmap()->heatmap().cells.size() ==
          size_t(tv->heatmap()->heatmap().rows) * tv->heatmap()->heatmap().cols);
    // The first page of values matches tensor_values for the same elements.
    const ValueBlock& block = tv->values_model()->block();
    REQUIRE(block.rows > 0);
    auto ref = tensor_values(*w.context()->current()->ckpt, *tv->tensor(), 0, block.cols);
    REQUIRE(ref.is_ok());
    for (size_t c = 0; c < block.cols; ++c) CHECK(block.values[c] == (*ref)[c]);
    CHECK(tv->values_model()->headerData(0, Qt::Vertical).toString() == "0");
}

TEST_CASE("dropping a folder on the window opens it", "[studio][window][drop]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(demo.qpath())});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &enter);
    CHECK(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &drop);
    REQUIRE(wait_until([&] { return !w.loading() && w.context()->current(); }));
    CHECK(w.context()->current()->summary.tensor_count > 0);
}

TEST_CASE("a path that is not a checkpoint shows the core error, not a crash", "[studio][window]") {
    strata::test::TempDir dir;
    strata::test::write_file(dir / "model.safetensors", std::string("not a safetensors file"));
    MainWindow w;
    QSignalSpy loaded(&w, &MainWindow::load_finished);
    w.open_path(QString::fromStdString((dir / "model.safetensors").string()));
    REQUIRE(wait_until([&] { return loaded.count() == 1; }));
    CHECK_FALSE(loaded.first().first().toBool());
    CHECK(w.last_error().contains("model.safetensors"));
    CHECK_FALSE(w.context()->current());
}

TEST_CASE("TaskRunner drops results for a receiver that died and reports cancellation", "[studio][runner]") {
    TaskRunner runner;
    bool delivered = false;
    {
        QObject receiver;
        runner.run<Status>(
            "sleep", [](ProgressSink&, const CancelToken&) { return Status::ok(); }, &receiver,
            [&](Status) { delivered = true; });
    }  // receiver destroyed before the queued result is processed
    REQUIRE(wait_until([&] { return runner.idle(); }));
    CHECK_FALSE(delivered);

    QObject receiver;
    std::atomic<bool> started{false};
    StatusCode code = StatusCode::Ok;
    auto task = runner.run<Status>(
        "spin",
        [&](ProgressSink& p, const CancelToken& c) {
            p.begin("spin", 100);
            started = true;
            while (!c.is_cancelled()) QThread::msleep(1);
            return c.check();
        },
        &receiver, [&](Status s) { code = s.code(); });
    REQUIRE(wait_until([&] { return started.load(); }));
    CHECK_FALSE(runner.idle());
    runner.cancel(task->id);
    REQUIRE(wait_until([&] { return runner.idle(); }));
    CHECK(code == StatusCode::Cancelled);
}
