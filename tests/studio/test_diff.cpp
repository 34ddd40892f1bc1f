// The Diff tab: two synthesized models that differ only by seed show one
// value difference per tensor; a model against itself is equal.
#include <catch2/catch.hpp>

#include <QSignalSpy>
#include <QTableWidget>

#include "studio_test_util.h"
#include "views/diff_panel.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::wait_until;

TEST_CASE("diff panel: seeds differ in every tensor; a model equals itself", "[studio][diff]") {
    strata::test::TempDir dir;
    NullProgress p;
    CancelToken c;
    for (int seed : {0, 1}) {
        SynthOptions o;
        o.preset = "tiny";
        o.seed = uint64_t(seed);
        o.out = dir / ("seed" + std::to_string(seed));
        REQUIRE(synthesize(o, p, c).is_ok());
    }
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
