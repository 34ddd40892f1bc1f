// The Diff tab: two synthesized models that differ only by seed show one
// value difference per tensor; a model against itself is equal; clicking a row
// shows A's and B's heatmaps and the heatmap of |A-B| (core diff_heatmaps).
#include <catch2/catch.hpp>

#include <QSignalSpy>
#include <QTableWidget>

#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/stats/tensor_stats.h"
#include "studio_test_util.h"
#include "support/model_helpers.h"
#include "views/diff_heatmap_view.h"
#include "views/diff_panel.h"
#include "widgets/heatmap_widget.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::wait_until;

TEST_CASE("diff panel: seeds differ in every tensor, a model equals itself", "[studio][diff]") {
    strata::test::TempDir dir;
    for (uint64_t seed : {0, 1}) strata::test::synth_ok(dir / ("seed" + std::to_string(seed)), "tiny", false, seed);
    const QString a = QString::fromStdString((dir / "seed0").string());
    const QString b = QString::fromStdString((dir / "seed1").string());
    StudioContext ctx;
    DiffPanel panel(&ctx);
    QSignalSpy done(&panel, &DiffPanel::diff_finished);
    panel.set_paths(a, b);
    REQUIRE(panel.run());
    REQUIRE(wait_until([&] { return done.count() == 1; }, 60000));
    REQUIRE(done.first().first().toBool());
    const DiffReport& r = panel.report();
    CHECK(r.count(DiffKind::Value) > 0);
    CHECK(panel.table()->rowCount() == int(r.tensors.size() - r.count(DiffKind::Equal)));
    CHECK(panel.table()->item(0, 1)->text() == "value");
    // Sorted by max |a-b|, largest first.
    CHECK(panel.table()->item(0, 5)->data(Qt::DisplayRole).toDouble() >=
          panel.table()->item(panel.table()->rowCount() - 1, 5)->data(Qt::DisplayRole).toDouble());

    panel.set_paths(a, a);
    REQUIRE(panel.run());
    REQUIRE(wait_until([&] { return done.count() == 2; }, 60000));
    CHECK(panel.report().equal());
    CHECK(panel.table()->rowCount() == 0);
}

TEST_CASE("diff panel: clicking a row shows A, B and |A-B| heatmaps from the canonical views", "[studio][diff]") {
    strata::test::TempDir dir;
    for (uint64_t seed : {0, 1}) strata::test::synth_ok(dir / ("seed" + std::to_string(seed)), "tiny", false, seed);
    StudioContext ctx;
    DiffPanel panel(&ctx);
    panel.resize(1200, 800);
    panel.show();
    QSignalSpy done(&panel, &DiffPanel::diff_finished);
    panel.set_paths(QString::fromStdString((dir / "seed0").string()), QString::fromStdString((dir / "seed1").string()));
    REQUIRE(panel.run());
    REQUIRE(wait_until([&] { return done.count() == 1; }, 60000));
    REQUIRE(done.first().first().toBool());

    // A 2-D tensor that is small enough to be drawn cell for cell (64 x 32 <= the widget).
    const std::string name = "model.layers.0.mlp.experts.0.down_proj.weight";
    DiffHeatmapView* view = panel.heatmaps();
    QSignalSpy maps(view, &DiffHeatmapView::heatmaps_finished);
    REQUIRE(panel.select_tensor(QString::fromStdString(name)));
    CHECK(panel.table()->currentRow() >= 0);
    REQUIRE(wait_until([&] { return maps.count() >= 1 && !view->busy() && ctx.runner()->idle(); }, 60000));
    REQUIRE(maps.last().first().toBool());
    CHECK(view->tensor() == QString::fromStdString(name));
    REQUIRE(view->heatmap_a()->has_heatmap());
    REQUIRE(view->heatmap_b()->has_heatmap());
    REQUIRE(view->heatmap_diff()->has_heatmap());

    // A's heatmap is what tensor_heatmap draws from A's stored tensor (HF: canonical = stored).
    const Heatmap& ha = view->heatmap_a()->heatmap();
    auto ckpt = open_checkpoint(dir / "seed0");
    REQUIRE(ckpt.is_ok());
    NullProgress p;
    CancelToken c;
    auto ref = tensor_heatmap(*ckpt, *ckpt->find(name), 0, ha.rows, ha.cols, HeatmapReduce::Mean, p, c);
    REQUIRE(ref.is_ok());
    CHECK(ha.cells == ref->cells);
    // A and B share one symmetric colour scale.
    CHECK(view->heatmap_a()->scale() == view->heatmap_b()->scale());
    CHECK(view->heatmap_a()->scale().second > 0);
    // The largest |A-B| cell is diff_views' max_abs for the tensor.
    const TensorDiff* d = nullptr;
    for (const auto& t : panel.report().tensors)
        if (t.name == name) d = &t;
    REQUIRE(d);
    CHECK(view->heatmap_diff()->heatmap().hi == Approx(d->max_abs).epsilon(1e-6));
    CHECK(view->heatmap_diff()->heatmap().lo >= 0);
}

TEST_CASE("diff_heatmaps: a Megatron TP2 conversion against its source differs nowhere", "[studio][diff]") {
    strata::studio::test::DemoModel demo("tiny");
    REQUIRE(demo.ok());
    NullProgress p;
    CancelToken c;
    ConvertOptions o;
    o.source = demo.path();
    o.out = demo.dir().path() / "tp2";
    o.target.kind = LayoutKind::Megatron;
    o.target.plan.tp = 2;
    REQUIRE(convert_checkpoint(o, p, c).is_ok());
    auto a = open_checkpoint(demo.path());
    auto b = open_checkpoint(o.out);
    REQUIRE(a.is_ok());
    REQUIRE(b.is_ok());
    auto va = CanonicalView::open(*a);
    auto vb = CanonicalView::open(*b);
    REQUIRE(va.is_ok());
    REQUIRE(vb.is_ok());
    // q_proj is split over TP ranks and interleaved with k/v in linear_qkv: read back canonically.
    auto h = diff_heatmaps(*va, *vb, "model.layers.1.self_attn.q_proj.weight", 0, 16, 16, p, c);
    REQUIRE(h.is_ok());
    REQUIRE(h->a);
    REQUIRE(h->b);
    REQUIRE(h->diff);
    CHECK(h->a->cells == h->b->cells);
    CHECK(h->diff->hi == 0);
    CHECK(h->a->rows == 16);
    CHECK(h->a->source.rows == 128);
    CHECK(diff_heatmaps(*va, *vb, "no.such.tensor", 0, 8, 8, p, c).status().code() == StatusCode::NotFound);
}
