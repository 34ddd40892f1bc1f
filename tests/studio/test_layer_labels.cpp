// Layer numbers under the Diff tab's per-layer strip (and the Pattern tab's HF row): every
// layer is numbered when there is room (a 4-layer model used to show only "0", the old
// every-8th rule), every k-th when crowded, and numbers never overlap. The choice is the
// pure layer_label_step / labelled_layers; the widgets are painted offscreen and the
// numbers looked for in the pixels.
#include <catch2/catch.hpp>

#include <QImage>

#include "views/diff_overview.h"
#include "widgets/layer_labels.h"
#include "widgets/layer_strip.h"

using namespace strata;
using namespace strata::studio;

namespace {

// Consecutive labels leave each label its width, and the last one ends inside the row.
void require_no_overlap(const std::vector<int>& labels, int count, double cell_width, int label_width) {
    REQUIRE_FALSE(labels.empty());
    CHECK(labels.front() == 0);
    for (size_t i = 1; i < labels.size(); ++i) CHECK((labels[i] - labels[i - 1]) * cell_width >= label_width);
    CHECK(labels.back() * cell_width + label_width <= count * cell_width + 0.5);
}

// A diff report with one tensor in each of `layers` layers, layer 1 a shape difference.
DiffReport report_of(int layers) {
    DiffReport r;
    for (int l = 0; l < layers; ++l) {
        TensorDiff t;
        t.name = "model.layers." + std::to_string(l) + ".mlp.down_proj.weight";
        t.kind = l == 1 ? DiffKind::Shape : DiffKind::Equal;
        r.tensors.push_back(t);
    }
    TensorDiff mtp;  // an MTP layer is not decoder layer 0
    mtp.name = "mtp.layers.0.mlp.down_proj.weight";
    mtp.kind = DiffKind::Shape;
    r.tensors.push_back(mtp);
    return r;
}

// Pixels darker than mid-grey: the numbers' ink (text is WindowText on a light background).
int ink(const QImage& image, const QRect& r) {
    int dark = 0;
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x)
            if (image.rect().contains(x, y) && qGray(image.pixel(x, y)) < 128) ++dark;
    return dark;
}

// Every number is drawn (has ink), inside the widget, and no two number boxes intersect.
void check_painted_labels(DiffOverview& w) {
    const QImage image = w.grab().toImage();
    const std::vector<int> labels = w.labelled();
    for (size_t i = 0; i < labels.size(); ++i) {
        const QRect r = w.label_rect(labels[i]);
        INFO("layer " << labels[i]);
        CHECK(w.rect().contains(r));
        CHECK(ink(image, r) > 0);
        if (i > 0) CHECK_FALSE(r.intersects(w.label_rect(labels[i - 1])));
    }
}

}  // namespace

TEST_CASE("layer labels: every layer when they fit, every k-th when crowded", "[studio][labels]") {
    // 4 layers across a normal strip: each gets its number.
    CHECK(layer_label_step(4, 205.0, 20) == 1);
    CHECK(labelled_layers(4, 205.0, 20) == std::vector<int>{0, 1, 2, 3});

    // 94 layers in a 600 px strip (520 px of cells): 5.5 px cells cannot each hold "93".
    const double cell = 520.0 / 94;
    const int step = layer_label_step(94, cell, 20);
    CHECK(step == 5);  // the smallest of 1, 2, 5, ... with 5 * 5.5 >= 20
    const std::vector<int> crowded = labelled_layers(94, cell, 20);
    require_no_overlap(crowded, 94, cell, 20);
    CHECK(crowded.size() == 19);  // 0, 5, ..., 90
    CHECK(crowded.back() == 90);

    // Steps go 1, 2, 5, 10, 20, 50, 100...: 1000 layers in 500 px need 100.
    CHECK(layer_label_step(1000, 0.5, 30) == 100);
    require_no_overlap(labelled_layers(1000, 0.5, 30), 1000, 0.5, 30);
    // A number that would run past the end of the row is left out, not clipped.
    CHECK(labelled_layers(3, 10.0, 25) == std::vector<int>{0});
    // Degenerate input: no labels, no crash.
    CHECK(labelled_layers(0, 10.0, 20).empty());
    CHECK(labelled_layers(4, 0.0, 20).empty());
    CHECK(labelled_layers(4, -3.0, 20).empty());
    CHECK(labelled_layers(4, 10.0, 0).empty());
    CHECK(labelled_layers(1, 5.0, 20).empty());  // the one number does not fit the strip at all
}

TEST_CASE("diff overview paints every layer's number on a 4-layer model", "[studio][labels][diff]") {
    DiffOverview w;
    w.resize(900, w.sizeHint().height());
    const DiffReport r = report_of(4);
    w.set_report(&r);
    CHECK(w.layer_count() == 4);  // the MTP tensor does not count as a decoder layer
    CHECK(w.labelled() == std::vector<int>{0, 1, 2, 3});
    check_painted_labels(w);
    // The cells are painted with their verdicts: layer 0 equal (green), layer 1 structural (red).
    const QImage image = w.grab().toImage();
    const QColor equal = image.pixelColor(w.cell_rect(0).center());
    const QColor shape = image.pixelColor(w.cell_rect(1).center());
    CHECK(equal.green() > equal.red());
    CHECK(shape.red() > shape.green());
}

TEST_CASE("diff overview numbers every k-th of 94 layers in 600 px without overlap", "[studio][labels][diff]") {
    DiffOverview w;
    w.resize(600, w.sizeHint().height());
    const DiffReport r = report_of(94);
    w.set_report(&r);
    REQUIRE(w.layer_count() == 94);
    const std::vector<int> labels = w.labelled();
    REQUIRE(labels.size() > 1);
    CHECK(labels[1] - labels[0] > 1);  // crowded: a step
    check_painted_labels(w);

    // No report: the placeholder text, no numbers.
    w.set_report(nullptr);
    CHECK(w.labelled().empty());
    CHECK_FALSE(w.grab().isNull());
}

TEST_CASE("the pattern strip numbers each of 4 HF layers", "[studio][labels][pattern]") {
    LayerStrip strip;
    strip.resize(900, strip.sizeHint().height());
    strip.set_layers(std::vector<LayerKind>(4, LayerKind{MixerKind::Attention, MlpKind::Dense}), {}, "*-*-*-*-");
    const QImage image = strip.grab().toImage();
    for (int i = 0; i < 4; ++i) {
        const QRect cell = strip.hf_cell_rect(i);
        INFO("layer " << i);
        CHECK(ink(image, QRect(cell.left(), cell.bottom() + 1, 12, 12)) > 0);  // its number under it
    }
}
