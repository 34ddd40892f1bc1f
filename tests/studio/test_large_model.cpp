// The 18,867-tensor Qwen3-30B-A3B skeleton (sparse synth: headers over holes)
// opens, and the fully expanded tree scrolls top to bottom, within generous
// bounds; the measured times are printed.
#include <catch2/catch.hpp>

#include <QElapsedTimer>
#include <QScrollBar>
#include <QTreeView>

#include <cstdio>

#include "main_window.h"
#include "models/tensor_tree_model.h"
#include "studio_test_util.h"
#include "views/inspector_panel.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::DemoModel;
using strata::studio::test::wait_until;

TEST_CASE("the 18,867-tensor qwen3-30b-a3b skeleton opens and scrolls", "[studio][large]") {
    DemoModel demo("qwen3-30b-a3b", /*sparse=*/true);
    INFO(demo.error());
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    REQUIRE(QTest::qWaitForWindowExposed(&w));
    QElapsedTimer t;
    t.start();
    w.open_path(demo.qpath());
    REQUIRE(wait_until([&] { return !w.loading(); }, 60000));
    const qint64 open_ms = t.elapsed();
    REQUIRE(w.context()->current());
    CHECK(w.context()->current()->summary.tensor_count == 18867);
    CHECK(w.context()->current()->summary.parameter_count == 30532122624ull);

    QTreeView* tree = w.inspector()->tree_view();
    t.restart();
    tree->expandAll();
    QScrollBar* bar = tree->verticalScrollBar();
    REQUIRE(bar->maximum() > 20000);  // ~26k rows once every group is expanded
    // Page through the whole tree, repainting each page synchronously.
    int pages = 0;
    for (int v = 0; v <= bar->maximum(); v += std::max(1, bar->pageStep()) * 20, ++pages) {
        bar->setValue(v);
        tree->viewport()->repaint();
    }
    const qint64 scroll_ms = t.elapsed();
    std::printf("large model: open %lld ms, expandAll + %d repainted pages %lld ms\n", (long long)open_ms, pages,
                (long long)scroll_ms);
    CHECK(open_ms < 15000);
    CHECK(scroll_ms < 15000);
}
