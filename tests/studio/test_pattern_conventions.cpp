// The pattern designer under Nemotron-H's convention (one HF layer per Megatron symbol):
// the Nemotron-H 8B preset has 52 HF layers over 52 slots, a click cycles one layer M → * → - → E,
// attn_layers (M1's notion) is off, an opened nemotron_h checkpoint shows its own pattern,
// and the Parallel tab's check counts its layers one each.
#include <catch2/catch.hpp>

#include <QComboBox>
#include <QLineEdit>
#include <QListWidget>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

#include "main_window.h"
#include "strata/model/hf_config.h"
#include "studio_test_util.h"
#include "support/model_helpers.h"
#include "views/parallel_panel.h"
#include "views/pattern_panel.h"
#include "widgets/layer_strip.h"

using namespace strata;
using namespace strata::studio;

namespace {

constexpr int kNemotronPreset = 4;
// nvidia/Nemotron-H-8B-Base-8K hybrid_override_pattern, to check the preset against.
const std::string kNemotron8B = "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-";

int hf_cells(const PatternPanel& panel) {
    auto layers = hf_layers_from_pattern(panel.symbols(), panel.convention());
    return layers ? int(layers->size()) : -1;
}

bool has_error(const PatternPanel& panel) {
    for (int i = 0; i < panel.messages()->count(); ++i)
        if (panel.messages()->item(i)->text().startsWith("error")) return true;
    return false;
}

}  // namespace

TEST_CASE("pattern designer: the Nemotron-H 8B preset has 52 HF layers, one per symbol",
          "[studio][pattern][nemotron_h]") {
    PatternPanel panel;
    panel.resize(1200, 600);
    panel.show();
    REQUIRE(QTest::qWaitForWindowExposed(&panel));
    REQUIRE(panel.presets()->itemText(kNemotronPreset).startsWith("Nemotron-H 8B"));
    panel.apply_preset(kNemotronPreset);
    CHECK(panel.symbols() == kNemotron8B);
    CHECK(panel.pattern_edit()->text().toStdString() == kNemotron8B);
    CHECK(panel.convention() == HfLayerConvention::OnePerSymbol);
    CHECK(hf_cells(panel) == 52);
    // HF layer i sits over Megatron slot i.
    CHECK(panel.strip()->hf_cell_rect(51).left() == panel.strip()->megatron_cell_rect(51).left());
    // attn_layers is M1's: empty and disabled, with the reason in its tooltip.
    CHECK(panel.attn_layers().isEmpty());
    CHECK(panel.attn_edit()->text().isEmpty());
    CHECK_FALSE(panel.attn_edit()->isEnabled());
    CHECK(panel.attn_edit()->toolTip().contains("one HF layer per symbol"));
    CHECK_FALSE(panel.set_attn_layers_text("0,3"));
    CHECK(panel.symbols() == kNemotron8B);
    CHECK(has_error(panel));  // why, in the messages

    // A real click on HF layer 1 (an MLP layer) cycles it to MoE; the pattern text follows.
    QTest::mouseClick(panel.strip(), Qt::LeftButton, {}, panel.strip()->hf_cell_rect(1).center());
    CHECK(panel.symbols().substr(0, 4) == "MEM-");
    CHECK(panel.pattern_edit()->text().startsWith("MEM-"));
    CHECK(hf_cells(panel) == 52);
    // Its Megatron slot cycles the same way: E → M → * → - and back.
    QTest::mouseClick(panel.strip(), Qt::LeftButton, {}, panel.strip()->megatron_cell_rect(1).center());
    CHECK(panel.symbols().substr(0, 4) == "MMM-");
    panel.toggle_hf_layer(1);
    CHECK(panel.symbols().substr(0, 4) == "M*M-");
    panel.toggle_hf_layer(1);
    CHECK(panel.symbols() == kNemotron8B);
    CHECK_FALSE(has_error(panel));

    // Back to an M1 preset: pairs again, attn_layers on.
    panel.apply_preset(0);
    CHECK(panel.convention() == HfLayerConvention::MixerThenMlp);
    CHECK(panel.attn_edit()->isEnabled());
    CHECK_FALSE(panel.attn_layers().isEmpty());
}

TEST_CASE("pattern designer: the convention box re-reads the same pattern", "[studio][pattern][nemotron_h]") {
    PatternPanel panel;
    REQUIRE(panel.set_pattern_text("M-M*-"));
    CHECK(hf_cells(panel) == 3);  // M- M *-
    panel.set_convention(HfLayerConvention::OnePerSymbol);
    CHECK(panel.symbols() == "M-M*-");
    CHECK(hf_cells(panel) == 5);
    CHECK(panel.attn_layers().isEmpty());
    panel.toggle_hf_layer(4);  // '-' → 'E' (MoE, Megatron 0.16 here)
    CHECK(panel.symbols() == "M-M*E");
}

TEST_CASE("an opened Nemotron-H MoE checkpoint shows its 'E' layers in the designer", "[studio][pattern][nemotron_h]") {
    // The designer had written them '-' (the M1 "MoE written as '-'" choice, off for one layer per symbol).
    strata::studio::test::DemoModel demo("nemotron-h-moe-tiny");
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    auto* pattern = w.findChild<PatternPanel*>("pattern");
    REQUIRE(pattern);
    w.open_path(demo.qpath());
    REQUIRE(strata::studio::test::wait_until([&] { return !w.loading() && w.context()->current(); }));
    CHECK(pattern->symbols() == "ME*EM-*E");
    CHECK(pattern->convention() == HfLayerConvention::OnePerSymbol);
}

TEST_CASE("an opened nemotron-h-tiny checkpoint shows its pattern in the designer", "[studio][pattern][nemotron_h]") {
    strata::studio::test::DemoModel demo("nemotron-h-tiny");
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    auto* pattern = w.findChild<PatternPanel*>("pattern");
    REQUIRE(pattern);
    const std::string before = pattern->symbols();
    w.open_path(demo.qpath());
    REQUIRE(strata::studio::test::wait_until([&] { return !w.loading() && w.context()->current(); }));
    CHECK(pattern->symbols() != before);
    CHECK(pattern->symbols() == "M-M*-M*-");
    CHECK(pattern->pattern_edit()->text() == "M-M*-M*-");
    CHECK(pattern->convention() == HfLayerConvention::OnePerSymbol);
    CHECK(hf_cells(*pattern) == 8);
    CHECK(pattern->presets()->currentText().startsWith("Open checkpoint: nemotron_h, 8 HF layers"));
    CHECK(w.context()->attn_layers().isEmpty());  // nothing M1 reaches the convert dialog
    // A transformer opened keeps the design (the attn_layers it is likely to be hybridized with).
    pattern->apply_preset(0);
    const std::string m1 = pattern->symbols();
    const auto* nemotron = w.context()->current().get();
    strata::studio::test::DemoModel tiny("tiny");
    REQUIRE(tiny.ok());
    w.open_path(tiny.qpath());
    REQUIRE(strata::studio::test::wait_until(
        [&] { return !w.loading() && w.context()->current() && w.context()->current().get() != nemotron; }));
    CHECK(pattern->symbols() == m1);
    CHECK(pattern->presets()->itemText(pattern->presets()->count() - 1).startsWith("Open checkpoint: qwen3"));
}

TEST_CASE("an opened Megatron Nemotron-H checkpoint shows its pattern and plans", "[studio][pattern][nemotron_h]") {
    strata::studio::test::DemoModel demo("nemotron-h-tiny");
    REQUIRE(demo.ok());
    const auto megatron = demo.dir().path() / "megatron";
    strata::test::convert_ok(demo.path(), megatron, strata::test::target(LayoutKind::Megatron, 2, 2));
    MainWindow w;
    w.show();
    w.open_path(QString::fromStdString(megatron.string()));
    REQUIRE(strata::studio::test::wait_until([&] { return !w.loading() && w.context()->current(); }));
    // Its HF config is rebuilt from the Megatron args (core detect_layout), so the family's convention holds.
    auto* pattern = w.findChild<PatternPanel*>("pattern");
    REQUIRE(pattern);
    CHECK(pattern->symbols() == "M-M*-M*-");
    CHECK(pattern->convention() == HfLayerConvention::OnePerSymbol);
    auto* parallel = w.findChild<ParallelPanel*>("parallel");
    REQUIRE(parallel);
    CHECK_FALSE(parallel->checks().empty());  // a model, not "config.json: missing field 'model_type'"
    CHECK(plan_passes(parallel->checks()));
}

TEST_CASE("parallel plan: the Nemotron-H 8B preset with its pattern checks one HF layer per symbol",
          "[studio][parallel][nemotron_h]") {
    StudioContext ctx;
    ParallelPanel panel(&ctx);
    REQUIRE(panel.set_model_preset("nemotron-h-8b"));
    panel.spin(PlanAxis::Tp)->setValue(8);
    panel.spin(PlanAxis::Pp)->setValue(4);
    panel.pattern_edit()->setText(QString::fromStdString(kNemotron8B));
    const PlanCheck* pvm = nullptr;
    for (const auto& c : panel.checks())
        if (c.name == "pattern vs model") pvm = &c;
    REQUIRE(pvm);
    CHECK(pvm->ok);
    CHECK(pvm->message == "52 Megatron layers = 52 HF layers (one each)");
    CHECK(plan_passes(panel.checks()));
    // A designer edit (layer 1 '-' → 'M') still has 52 layers, one each.
    std::string edited = kNemotron8B;
    edited[1] = 'M';
    panel.pattern_edit()->setText(QString::fromStdString(edited));
    for (const auto& c : panel.checks())
        if (c.name == "pattern vs model") CHECK(c.message == "52 Megatron layers = 52 HF layers (one each)");
    // TP 16 splits the 8 Mamba groups: red.
    panel.spin(PlanAxis::Tp)->setValue(16);
    CHECK_FALSE(plan_passes(panel.checks()));
}
