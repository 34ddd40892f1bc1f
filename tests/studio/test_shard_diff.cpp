// The Shard diff tab (issue 20, Deliver 7): two layouts side by side, the reshard transfer
// matrix with its totals, the slices behind a clicked cell, and the change grid of two
// checkpoints stored alike. The matrix values are the hand-computed tiny TP2·PP2·EP4 ->
// TP1·PP4·EP2 case of tests/core/test_reshard_transfer.cpp, read back through the view.
#include <catch2/catch.hpp>

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>

#include "main_window.h"
#include "models/change_grid_model.h"
#include "models/shard_grid_model.h"
#include "models/tensor_tree_model.h"  // human_bytes
#include "models/transfer_matrix_model.h"
#include "studio_test_util.h"
#include "views/shard_diff_panel.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::wait_until;

namespace {

uint64_t at(const QAbstractItemModel* m, int row, int column) {
    return m->data(m->index(row, column), Qt::UserRole).toULongLong();
}

bool run_and_wait(StudioContext& ctx, ShardDiffPanel& panel, const QString& a, const QString& b) {
    QSignalSpy done(&panel, &ShardDiffPanel::diff_finished);
    panel.set_sides(a, b);
    if (!panel.run()) return false;
    return wait_until([&] { return done.count() >= 1 && ctx.runner()->idle(); }, 60000) && done.last().first().toBool();
}

}  // namespace

TEST_CASE("shard diff view: tiny TP2 PP2 EP4 to TP1 PP4 EP2 matrix values and totals", "[studio][shard-diff]") {
    StudioContext ctx;
    ShardDiffPanel panel(&ctx);
    panel.resize(1280, 900);
    panel.show();
    QAbstractItemModelTester tester(panel.matrix(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester grid_tester(panel.grid_a(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    CHECK_FALSE(panel.tabs()->isTabEnabled(1));  // no change grid before a comparison
    REQUIRE(run_and_wait(ctx, panel, "tiny@tp=2,pp=2,ep=4", "tp=1,pp=4,ep=2"));

    // Both grids side by side: 16 source rank files over 4 layers + embed + head, 8 target files.
    CHECK(panel.grid_a()->rowCount() == 16);
    CHECK(panel.grid_a()->columnCount() == 6);
    CHECK(panel.grid_b()->rowCount() == 8);
    CHECK(panel.grid_b()->headerData(7, Qt::Vertical).toString() == "TP0 PP3 EP1");

    TransferMatrixModel* m = panel.matrix();
    const int s = 16, k = 8;
    REQUIRE(m->rowCount() == s + TransferMatrixModel::kTotalRows);
    REQUIRE(m->columnCount() == k + TransferMatrixModel::kTotalColumns);
    CHECK(m->headerData(0, Qt::Vertical).toString() == "TP0 PP0 EP0");
    CHECK(m->headerData(7, Qt::Horizontal).toString() == "PP3 EP1");  // TP1: no TP in the label
    CHECK(m->headerData(k, Qt::Horizontal).toString() == "sent");
    CHECK(m->headerData(s + 1, Qt::Vertical).toString() == "zero fill");
    // Hand-computed cells (bf16): (tp0 pp0 ep0) -> (pp0 ep0) = experts 0-1 half (6144) +
    // attention half (10240) + replicated norms/router (672) + embedding half (8192) elements.
    CHECK(at(m, 0, 0) == 2 * (6144 + 10240 + 672 + 8192));
    CHECK(at(m, 0, 2) == 34112);  // layer 1 of the same file -> target pp 1
    CHECK(at(m, 5, 0) == 12288);  // tp1 pp0 ep1: experts 2-3 only (its attention copy goes to target ep 1)
    CHECK(at(m, 2, 0) == 0);      // experts 4-5 go to target ep 1
    CHECK(at(m, 9, 7) == 2 * (10240 + 672 + 64 + 8192));  // tp0 pp1 ep1 -> pp3 ep1: + final norm, lm_head half
    CHECK(at(m, s, k) == 862976);                         // the corner: everything sent
    CHECK(m->data(m->index(0, 0)).toString() == human_bytes(50496));
    // The scale tops at the largest cell: (tp0 pp1 ep0) -> (pp3 ep0), the above plus the final norm.
    CHECK(at(m, 8, 6) == 2 * (6144 + 10240 + 672 + 64 + 8192));
    CHECK(panel.matrix_legend()->text().contains(human_bytes(at(m, 8, 6))));
    // Row sums equal each source file's sent bytes and, with what no target needs, the file;
    // column sums equal each target file's bytes (no vocab padding at TP1 or TP2).
    const auto& ranks_a = panel.diff()->a.shards.ranks;
    const auto& ranks_b = panel.diff()->b.shards.ranks;
    for (int r = 0; r < s; ++r) {
        uint64_t row = 0;
        for (int c = 0; c < k; ++c) row += at(m, r, c);
        INFO("source row " << r);
        CHECK(row == at(m, r, k));
        CHECK(at(m, r, k) + at(m, r, k + 1) == at(m, r, k + 2));
        CHECK(at(m, r, k + 2) == ranks_a[size_t(r)].bytes);
        // The A grid: stage pp = r / 8 holds layers 2pp and 2pp+1 (columns 1 + layer), not the others.
        const int pp = r / 8;
        CHECK(at(panel.grid_a(), r, 1 + 2 * pp) > 0);
        CHECK(at(panel.grid_a(), r, 1 + 2 * (1 - pp)) == 0);
    }
    for (int c = 0; c < k; ++c) {
        uint64_t column = 0;
        for (int r = 0; r < s; ++r) column += at(m, r, c);
        INFO("target column " << c);
        CHECK(column == at(m, s, c));
        CHECK(at(m, s + 1, c) == 0);
        CHECK(column == at(m, s + 2, c));
        CHECK(column == ranks_b[size_t(c)].bytes);
    }
    // Two plans have no values: the change tab is off and says why.
    CHECK_FALSE(panel.tabs()->isTabEnabled(1));
    CHECK(panel.changes_note()->text().contains("compares two checkpoints"));
}

TEST_CASE("shard diff view: a click on a matrix cell lists its tensor slices", "[studio][shard-diff]") {
    StudioContext ctx;
    ShardDiffPanel panel(&ctx);
    panel.resize(1280, 900);
    panel.show();
    REQUIRE(run_and_wait(ctx, panel, "tiny@tp=2,pp=2,ep=4", "tp=1,pp=4,ep=2"));
    QTableView* view = panel.matrix_view();
    view->scrollTo(panel.matrix()->index(0, 0));
    const QRect rect = view->visualRect(panel.matrix()->index(0, 0));
    REQUIRE(rect.isValid());
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, rect.center());
    QTreeWidget* list = panel.slice_list();
    const TransferCell* cell = panel.matrix()->cell(panel.matrix()->index(0, 0));
    REQUIRE(cell);
    REQUIRE(list->topLevelItemCount() == int(cell->slices.size()));
    CHECK(panel.slice_title()->text().contains(QString::number(cell->slices.size()) + " slice(s)"));
    bool embedding = false;
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        const QTreeWidgetItem* it = list->topLevelItem(i);
        if (it->text(0) != "model.embed_tokens.weight") continue;
        embedding = true;
        CHECK(it->text(1) == "[0:128, 0:64]");
        CHECK(it->text(3) == "embedding.word_embeddings.weight");
        CHECK(it->text(4) == "embedding.word_embeddings.weight");
    }
    CHECK(embedding);
    // A cell that sends nothing lists nothing; a totals cell is not a cell.
    REQUIRE(panel.select_matrix_cell(2, 0));
    CHECK(list->topLevelItemCount() == 0);
    CHECK_FALSE(panel.select_matrix_cell(16, 0));
}

TEST_CASE("shard diff view: two checkpoints stored alike get a change grid, bad input an error",
          "[studio][shard-diff]") {
    strata::test::TempDir tmp;
    NullProgress progress;
    CancelToken cancel;
    for (uint64_t seed : {0, 1}) {
        SynthOptions o;
        o.preset = "tiny";
        o.seed = seed;
        o.out = tmp / ("seed" + std::to_string(seed));
        REQUIRE(synthesize(o, progress, cancel).is_ok());
    }
    const QString a = QString::fromStdString((tmp / "seed0").string());
    const QString b = QString::fromStdString((tmp / "seed1").string());
    StudioContext ctx;
    ShardDiffPanel panel(&ctx);
    panel.resize(1280, 900);
    panel.show();
    QAbstractItemModelTester tester(panel.changes(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    REQUIRE(run_and_wait(ctx, panel, a, b));
    ChangeGridModel* g = panel.changes();
    REQUIRE(g->rowCount() == 1);  // one HF "rank file"
    REQUIRE(g->columnCount() == 6);
    CHECK(panel.tabs()->isTabEnabled(1));
    CHECK(panel.tabs()->currentIndex() == 1);  // the change grid is shown first for such a pair
    for (int c = 0; c < 6; ++c) {
        INFO("column " << c);
        // Other seeds: every value differs; the relative L2 of two independent draws is near sqrt(2)
        // for weights and small for the near-1 norms.
        CHECK(g->data(g->index(0, c), Qt::UserRole).toDouble() > 0.0);
    }
    CHECK(panel.changes_note()->text().contains("of 135 stored tensors changed"));

    // Same checkpoint twice: the grid is all unchanged.
    REQUIRE(run_and_wait(ctx, panel, a, a));
    for (int c = 0; c < 6; ++c) CHECK(g->data(g->index(0, c)).toString() == "·");
    CHECK(panel.changes_note()->text().contains("0 of 135"));

    // Editing a side marks the shown result stale until Compare runs again.
    CHECK_FALSE(panel.stale());
    panel.b_edit()->setText(b + "x");
    CHECK(panel.stale());
    CHECK(panel.title()->text().contains("Stale"));

    // A path that does not exist: the error names it, the old result is gone.
    QSignalSpy done(&panel, &ShardDiffPanel::diff_finished);
    panel.set_sides("/nonexistent/ckpt", "tp=2");
    REQUIRE(panel.run());
    REQUIRE(wait_until([&] { return done.count() >= 1 && ctx.runner()->idle(); }, 60000));
    CHECK_FALSE(done.last().first().toBool());
    CHECK(panel.title()->text().contains("/nonexistent/ckpt"));
    CHECK(panel.diff() == nullptr);
    CHECK(panel.matrix()->rowCount() == 0);
    CHECK(panel.changes()->rowCount() == 0);
    CHECK_FALSE(panel.tabs()->isTabEnabled(1));
}

TEST_CASE("shard diff tab: the main window hosts it and start_shard_diff shows it", "[studio][shard-diff]") {
    MainWindow w;
    w.show();
    CHECK(w.tab_names().contains("shard-diff"));
    REQUIRE(w.show_tab("shard-diff"));
    QSignalSpy done(w.shard_diff(), &ShardDiffPanel::diff_finished);
    w.start_shard_diff("tiny@tp=2", "tp=1");
    REQUIRE(wait_until([&] { return done.count() >= 1 && w.context()->runner()->idle(); }, 60000));
    CHECK(done.last().first().toBool());
    CHECK(w.tabs()->currentWidget() == w.shard_diff());
    CHECK(w.shard_diff()->matrix()->source_files() == 2);
    CHECK(w.shard_diff()->matrix()->target_files() == 1);
}
