// The Parallel tab's ranks × layers grid (core shard_grid over shard_layout): the model has
// a row per rank file and a column per layer plus embed/head, each row sums to the rank's
// bytes, a rank holds only its pipeline stage's layers, and clicking a cell lists the
// stored tensors and canonical slices of that rank for that layer. With a hybrid pattern the
// grid is core pattern_shard_layout's: the M1 hybrid the pattern describes, or the reason none.
#include <catch2/catch.hpp>

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTreeWidget>

#include "models/shard_grid_model.h"
#include "strata/parallel/pattern_shards.h"
#include "strata/parallel/shard_grid.h"
#include "strata/synth/synth.h"
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
    panel.sequence_parallel()->setChecked(true);  // Megatron warns without it at TP and EP > 1
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

TEST_CASE("shard grid of a hybrid pattern: the M1 hybrid's ranks, or why there are none",
          "[studio][parallel][grid][hybrid]") {
    StudioContext ctx;
    ParallelPanel panel(&ctx);
    panel.resize(1200, 900);
    panel.show();
    REQUIRE(panel.set_model_preset("tiny"));
    ShardView* sv = panel.shards();
    ShardGridModel* m = sv->grid_model();
    QAbstractItemModelTester tester(m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy ready(sv, &ShardView::layout_ready);
    panel.spin(PlanAxis::Tp)->setValue(2);
    panel.spin(PlanAxis::Pp)->setValue(2);
    panel.spin(PlanAxis::Ep)->setValue(2);
    panel.sequence_parallel()->setChecked(true);
    // HF layers 1 and 2 of the tiny Qwen3-MoE become Mamba2 (attn_layers 0,3).
    const std::string hybrid = "*EMEME*E";
    panel.pattern_edit()->setText(QString::fromStdString(hybrid));
    REQUIRE(plan_passes(panel.checks()));
    REQUIRE(wait_until([&] { return ready.count() >= 1 && ctx.runner()->idle(); }, 60000));
    INFO(sv->title()->text().toStdString());
    REQUIRE(ready.last().first().toBool());
    CHECK(sv->title()->text().contains("M1 hybrid of the model with attn_layers 0,3"));

    // The bars and the grid are the core call's numbers: the hybrid's, not the transformer's.
    ShardLayoutOptions o;
    o.layout.plan = panel.plan();
    auto core = pattern_shard_layout(find_synth_preset("tiny")->config,
                                     *parse_layer_pattern(hybrid, kDefaultMegatronVersion), o);
    REQUIRE(core.is_ok());
    auto transformer = shard_layout(find_synth_preset("tiny")->config, o);
    REQUIRE(transformer.is_ok());
    REQUIRE(m->rowCount() == 8);
    REQUIRE(m->columnCount() == 4 + 2);
    CHECK(sv->table()->rowCount() == 8);
    for (int r = 0; r < m->rowCount(); ++r) {
        const RankShard& rk = core->layout.ranks[size_t(r)];
        CHECK(m->layout()->ranks[size_t(r)].bytes == rk.bytes);
        CHECK(rk.bytes != transformer->ranks[size_t(r)].bytes);
        uint64_t sum = 0;
        for (int c = 0; c < m->columnCount(); ++c) sum += m->index(r, c).data(Qt::UserRole).toULongLong();
        CHECK(sum == rk.bytes);
    }
    // HF layer 1 is Megatron layers 2 (Mamba mixer) and 3 (MoE) on stage 0: its cell lists the mixer.
    int row = -1;
    for (int r = 0; r < m->rowCount(); ++r)
        if (m->layout()->ranks[size_t(r)].rank == RankCoord{0, 0, 0}) row = r;
    REQUIRE(row >= 0);
    REQUIRE(sv->select_cell(row, 2));
    QStringList names;
    for (int i = 0; i < sv->cell_list()->topLevelItemCount(); ++i) names << sv->cell_list()->topLevelItem(i)->text(0);
    INFO(names.join(", ").toStdString());
    CHECK(names.contains("decoder.layers.2.mixer.in_proj.weight"));
    CHECK_FALSE(names.contains("decoder.layers.2.self_attention.linear_qkv.weight"));

    // A dense MLP where the model has experts: no checkpoint of it has these tensors, and the
    // view says so instead of drawing the model's bytes under the pattern's name.
    panel.pattern_edit()->setText("*-*E*E*E");
    REQUIRE(plan_passes(panel.checks()));
    const int before = ready.count();
    REQUIRE(wait_until([&] { return ready.count() > before && ctx.runner()->idle(); }, 60000));
    CHECK_FALSE(ready.last().first().toBool());
    CHECK(sv->title()->text().contains("HF layer 0 is attention + dense MLP in the pattern"));
    CHECK(m->rowCount() == 0);
}
