// The pattern designer and the parallel-plan panel: clicking a layer changes the
// pattern text (and the text changes the strip), presets come from core, and
// TP=8 on Qwen3-30B-A3B fails the KV-groups check with the values that pass.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QListWidget>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

#include "main_window.h"
#include "views/parallel_panel.h"
#include "views/pattern_panel.h"
#include "views/shard_view.h"
#include "studio_test_util.h"
#include <QSignalSpy>
#include "widgets/layer_strip.h"

using namespace strata;
using namespace strata::studio;

TEST_CASE("pattern designer: clicking an HF layer changes the Megatron pattern text", "[studio][pattern]") {
    PatternPanel panel;
    panel.resize(1200, 600);
    panel.show();
    REQUIRE(QTest::qWaitForWindowExposed(&panel));
    panel.apply_preset(0);  // attn_layers 0,2,...,46,47 over 48 layers
    const QString before = panel.pattern_edit()->text();
    REQUIRE(before.size() == 96);
    CHECK(before.count('*') == 25);
    CHECK(before.count('M') == 23);
    CHECK(before.count('-') == 48);
    INFO(panel.attn_edit()->text().toStdString());
    CHECK(panel.attn_edit()->text().toStdString() == format_index_list(*parse_index_list("0,2,...,46,47", 48)));
    // Layer 1 is Mamba2 (slot 2): a real click on its strip cell cycles it to attention.
    QTest::mouseClick(panel.strip(), Qt::LeftButton, {}, panel.strip()->hf_cell_rect(1).center());
    const QString after = panel.pattern_edit()->text();
    CHECK(after != before);
    CHECK(after[2] == '*');
    CHECK(after.count('*') == 26);
    CHECK(panel.attn_edit()->text().startsWith("0,1,2,4"));

    // Editing attn_layers rewrites the pattern; dropping layer 47 breaks M1's last-layer rule.
    REQUIRE(panel.set_attn_layers_text("0,2,...,46"));
    CHECK(panel.pattern_edit()->text()[94] == 'M');
    bool last_layer_error = false;
    for (int i = 0; i < panel.messages()->count(); ++i)
        last_layer_error |= panel.messages()->item(i)->text().startsWith("error");
    CHECK(last_layer_error);

    // Editing the pattern rewrites attn_layers.
    REQUIRE(panel.set_pattern_text("*-M-M-*-"));
    CHECK(panel.attn_edit()->text().toStdString() == "0,3");
    CHECK_FALSE(panel.set_pattern_text("*-X-"));  // illegal symbol: reported, state kept
    CHECK(panel.symbols() == "*-M-M-*-");
}

TEST_CASE("pattern presets are built by core calls", "[studio][pattern]") {
    PatternPanel panel;
    panel.apply_preset(1);
    CHECK(panel.symbols() == "M-M-M--M-M*-M-M-M-M--M*-M-M-M-M-M*--M-M-M-M-M*-M--M-M-M-");  // Megatron 8B hybrid
    CHECK_FALSE(panel.attn_edit()->isEnabled());  // '--' has no HF layer equivalent
    panel.apply_preset(2);
    CHECK(panel.symbols() == std::string(56, 'M'));
    panel.apply_preset(3);
    const std::string& s = panel.symbols();
    REQUIRE(s.size() == 96);
    CHECK(s.substr(0, 8) == "GEGEGE*E");
}

TEST_CASE("parallel plan: TP=8 on Qwen3-30B-A3B fails with its alternatives", "[studio][parallel]") {
    StudioContext ctx;
    ParallelPanel panel(&ctx);
    REQUIRE(panel.set_model_preset("qwen3-30b-a3b"));
    CHECK(plan_passes(panel.checks()));
    panel.spin(PlanAxis::Tp)->setValue(8);
    const PlanCheck* kv = nullptr;
    for (const auto& c : panel.checks())
        if (c.name == "KV groups % TP") kv = &c;
    REQUIRE(kv);
    CHECK_FALSE(kv->ok);
    CHECK(kv->alternatives == std::vector<int>{1, 2, 4});
    // The table shows it red with the alternatives.
    QTableWidget* t = panel.checks_table();
    int row = -1;
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->item(r, 0)->text() == "KV groups % TP") row = r;
    REQUIRE(row >= 0);
    CHECK(t->item(row, 1)->text() == "error");
    CHECK(t->item(row, 3)->text() == "TP ∈ {1, 2, 4}");
    CHECK(t->item(row, 0)->background().color().red() > t->item(row, 0)->background().color().green());
    QSignalSpy shards(panel.shards(), &ShardView::layout_ready);
    panel.spin(PlanAxis::Tp)->setValue(4);
    CHECK(plan_passes(panel.checks()));
    // A passing plan gets core shard_layout() per-rank bars: TP4 x PP1 x EP1 = 4 rank files.
    REQUIRE(strata::studio::test::wait_until([&] { return shards.count() >= 1; }, 60000));
    CHECK(shards.last().first().toBool());
    CHECK(panel.shards()->table()->rowCount() == 4);
}

TEST_CASE("pattern designer: the Megatron-LM flags follow the design and the version, and Copy copies them",
          "[studio][pattern]") {
    PatternPanel panel;
    REQUIRE(panel.set_pattern_text("*-M-M-*-"));
    // Megatron 0.16 (the default): the override pattern with the ratios that allocate the same counts.
    CHECK(panel.flags_edit()->text() ==
          "--hybrid-override-pattern \"*-M-M-*-\" --hybrid-attention-ratio 0.25 --hybrid-mlp-ratio 0.5 --num-layers 8");
    QTest::mouseClick(panel.copy_flags_button(), Qt::LeftButton);
    CHECK(QApplication::clipboard()->text() == panel.flags_edit()->text());
    // A strip click changes the design: the flags follow.
    REQUIRE(panel.set_pattern_text("M-M-M-*-"));
    CHECK(panel.flags_edit()->text().startsWith("--hybrid-override-pattern \"M-M-M-*-\" --hybrid-attention-ratio 0.12 "));
    // From 0.17 the pattern alone.
    auto* version = panel.findChild<QComboBox*>("patternVersion");
    REQUIRE(version != nullptr);
    const int v017 = version->findText("Megatron-Core 0.17", Qt::MatchStartsWith);
    REQUIRE(v017 >= 0);
    version->setCurrentIndex(v017);
    CHECK(panel.flags_edit()->text() == "--hybrid-layer-pattern \"M-M-M-*-\"");
}
