// The Parallel tab's ranks × layers grid (core shard_grid over shard_layout): the model has
// a row per rank file and a column per layer plus embed/head, each row sums to the rank's
// bytes, a rank holds only its pipeline stage's layers, and clicking a cell lists the
// stored tensors and canonical slices of that rank for that layer.
#include <catch2/catch.hpp>

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTreeWidget>

#include "models/shard_grid_model.h"
#include "strata/parallel/shard_grid.h"
#include "studio_test_util.h"
#include "views/parallel_panel.h"
#include "views/shard_view.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::wait_until;

TEST_CASE("canonical_layer reads the decoder layer of a canonical name", "[studio][parallel][grid]") {
    CHECK(canonical_layer("model.layers.12.mlp.gate.weight") == 12);
    CHECK(canonical_layer("model.language_model.layers.3.input_layernorm.weight") == 3);
    CHECK(canonical_layer("model.embed_tokens.weight") == -1);
    CHECK(canonical_layer("lm_head.weight") == -1);
    CHECK(canonical_layer("mtp.layers.0.mlp.gate.weight") == -1);
    CHECK(canonical_layer("model.sublayers.2.x") == -1);
}

TEST_CASE("shard grid: ranks x layers of TP2 PP2 EP2 on the tiny model, a click lists tensors",
          "[studio][parallel][grid]") {
    StudioContext ctx;
    ParallelPanel panel(&ctx);
    panel.resize(1200, 900);
    panel.show();
    REQUIRE(panel.set_model_preset("tiny"));
    ShardView* sv = panel.shards();
    QAbstractItemModelTester tester(sv->grid_model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy ready(sv, &ShardView::layout_ready);
    panel.spin(PlanAxis::Tp)->setValue(2);
    panel.spin(PlanAxis::Pp)->setValue(2);
    panel.spin(PlanAxis::Ep)->setValue(2);
    panel.sequence_parallel()->setChecked(true);  // Megatron requires it with TP and EP > 1
    REQUIRE(wait_until([&] { return ready.count() >= 1 && ctx.runner()->idle(); }, 60000));
    REQUIRE(ready.last().first().toBool());

    // 2 x 2 x 2 = 8 rank files; 4 layers + embed + head.
    ShardGridModel* m = sv->grid_model();
    REQUIRE(m->rowCount() == 8);
    REQUIRE(m->columnCount() == 4 + 2);
    CHECK(m->headerData(0, Qt::Horizontal).toString() == "embed");
    CHECK(m->headerData(1, Qt::Horizontal).toString() == "0");
    CHECK(m->headerData(5, Qt::Horizontal).toString() == "head");
    const ShardLayout& sl = *m->layout();
    for (int r = 0; r < m->rowCount(); ++r) {
        const RankShard& rk = sl.ranks[size_t(r)];
        CHECK(m->headerData(r, Qt::Vertical).toString() ==
              QStringLiteral("TP%1 PP%2 EP%3").arg(rk.rank.tp).arg(rk.rank.pp).arg(rk.rank.ep));
        uint64_t sum = 0;
        for (int c = 0; c < m->columnCount(); ++c) sum += m->index(r, c).data(Qt::UserRole).toULongLong();
        CHECK(sum == rk.bytes);  // every stored byte is in exactly one column
        // PP2 over 4 layers: stage 0 holds layers 0-1 and the embedding, stage 1 layers 2-3 and the head.
        const bool first = rk.rank.pp == 0;
        CHECK((m->index(r, 1).data(Qt::UserRole).toULongLong() > 0) == first);
        CHECK((m->index(r, 3).data(Qt::UserRole).toULongLong() > 0) == !first);
        CHECK((m->index(r, 0).data(Qt::UserRole).toULongLong() > 0) == first);
        CHECK((m->index(r, 5).data(Qt::UserRole).toULongLong() > 0) == !first);
    }

    // Click the cell of rank TP1 PP0 EP1, layer 1: its attention halves and its 4 local experts.
    int row = -1;
    for (int r = 0; r < m->rowCount(); ++r)
        if (sl.ranks[size_t(r)].rank == RankCoord{1, 0, 1}) row = r;
    REQUIRE(row >= 0);
    const QRect cell = sv->grid_view()->visualRect(m->index(row, 2));
    REQUIRE(cell.isValid());
    QTest::mouseClick(sv->grid_view()->viewport(), Qt::LeftButton, {}, cell.center());
    CHECK(sv->grid_view()->currentIndex() == m->index(row, 2));
    QTreeWidget* list = sv->cell_list();
    REQUIRE(list->topLevelItemCount() > 0);
    QStringList names;
    for (int i = 0; i < list->topLevelItemCount(); ++i) names << list->topLevelItem(i)->text(0);
    CHECK(names.contains("decoder.layers.1.self_attention.linear_qkv.weight"));
    for (const QString& n : names) CHECK(n.contains("layers.1."));
    // The fused QKV lists the canonical q/k/v slices it holds, as boxes of this TP rank.
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        QTreeWidgetItem* it = list->topLevelItem(i);
        if (it->text(0) != "decoder.layers.1.self_attention.linear_qkv.weight") continue;
        REQUIRE(it->childCount() > 0);
        CHECK(it->child(0)->text(0).startsWith("model.layers.1.self_attn."));
        CHECK(it->child(0)->text(0).contains("["));
    }
    // EP rank 1 of 2 holds experts 4-7 of the 8 (global ids in the canonical slices).
    bool expert4 = false, expert0 = false;
    for (int i = 0; i < list->topLevelItemCount(); ++i)
        for (int k = 0; k < list->topLevelItem(i)->childCount(); ++k) {
            const QString s = list->topLevelItem(i)->child(k)->text(0);
            expert4 |= s.contains("experts.4.");
            expert0 |= s.contains("experts.0.");
        }
    CHECK(expert4);
    CHECK_FALSE(expert0);
    CHECK(sv->select_cell(0, 0));
    CHECK_FALSE(sv->select_cell(99, 0));
}
