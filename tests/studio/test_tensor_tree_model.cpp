// The tensor tree: snapshot grouping, filtering, sorting, and the Qt model
// contract (QAbstractItemModelTester) over a synthesized tiny checkpoint.
#include <catch2/catch.hpp>

#include <QAbstractItemModelTester>

#include "models/tensor_tree_model.h"
#include "strata/formats/format_registry.h"
#include "studio_test_util.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::DemoModel;

namespace {

std::shared_ptr<const Checkpoint> open_demo(const DemoModel& demo) {
    auto r = open_checkpoint(demo.path());
    REQUIRE(r.is_ok());
    return std::make_shared<const Checkpoint>(std::move(r).value());
}

int find_child(const TensorTree& t, int32_t parent, const std::string& label) {
    for (int32_t c : t.nodes[size_t(parent)].children)
        if (t.nodes[size_t(c)].label == label) return c;
    return -1;
}

}  // namespace

TEST_CASE("natural_less orders layer indices numerically", "[studio][tree]") {
    CHECK(natural_less("layers.2", "layers.10"));
    CHECK_FALSE(natural_less("layers.10", "layers.2"));
    CHECK(natural_less("a", "b"));
    CHECK(natural_less("experts.9.w", "experts.10.w"));
    CHECK_FALSE(natural_less("x", "x"));
}

TEST_CASE("filter: substring is case-insensitive, globs match the full name", "[studio][tree]") {
    CHECK(tensor_filter_matches("", "anything"));
    CHECK(tensor_filter_matches("Q_PROJ", "model.layers.0.self_attn.q_proj.weight"));
    CHECK_FALSE(tensor_filter_matches("k_proj", "model.layers.0.self_attn.q_proj.weight"));
    CHECK(tensor_filter_matches("*.experts.*", "model.layers.0.mlp.experts.3.up_proj.weight"));
    CHECK_FALSE(tensor_filter_matches("*.experts", "model.layers.0.mlp.experts.3.up_proj.weight"));
}

TEST_CASE("tree groups layers and experts and sums their sizes", "[studio][tree]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    auto ckpt = open_demo(demo);
    CancelToken cancel;
    auto tree = build_tensor_tree(*ckpt, "", cancel);
    REQUIRE(tree.is_ok());
    const TensorTree& t = **tree;
    CHECK(t.matched == ckpt->tensors.size());
    CHECK(t.nodes[0].tensor_count == ckpt->tensors.size());
    CHECK(t.nodes[0].parameters == ckpt->total_parameters());
    CHECK(t.nodes[0].bytes == ckpt->total_bytes());
    const int model = find_child(t, 0, "model");
    REQUIRE(model > 0);
    const int layer3 = find_child(t, model, "layers.3");
    REQUIRE(layer3 > 0);
    const int mlp = find_child(t, layer3, "mlp");
    REQUIRE(mlp > 0);
    const int expert7 = find_child(t, mlp, "experts.7");
    REQUIRE(expert7 > 0);
    // gate/up/down projections of one expert
    CHECK(t.nodes[size_t(expert7)].tensor_count == 3);
    // Layer groups are in numeric order after the non-layer groups' natural order.
    std::vector<std::string> layer_labels;
    for (int32_t c : t.nodes[size_t(model)].children)
        if (t.nodes[size_t(c)].label.rfind("layers.", 0) == 0) layer_labels.push_back(t.nodes[size_t(c)].label);
    CHECK(layer_labels == std::vector<std::string>{"layers.0", "layers.1", "layers.2", "layers.3"});
}

TEST_CASE("filtered tree keeps only matching tensors and their groups", "[studio][tree]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    auto ckpt = open_demo(demo);
    CancelToken cancel;
    auto tree = build_tensor_tree(*ckpt, "*.layers.1.*q_proj*", cancel);
    REQUIRE(tree.is_ok());
    CHECK((*tree)->matched == 1);
    size_t leaves = 0;
    for (const auto& n : (*tree)->nodes) leaves += n.tensor >= 0;
    CHECK(leaves == 1);
    auto none = build_tensor_tree(*ckpt, "no-such-tensor", cancel);
    REQUIRE(none.is_ok());
    CHECK((*none)->matched == 0);
    CHECK((*none)->nodes.size() == 1);
}

TEST_CASE("cancelled tree build reports Cancelled", "[studio][tree]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    auto ckpt = open_demo(demo);
    CancelToken cancel;
    cancel.cancel();
    auto tree = build_tensor_tree(*ckpt, "", cancel);
    REQUIRE_FALSE(tree.is_ok());
    CHECK(tree.status().code() == StatusCode::Cancelled);
}

TEST_CASE("TensorTreeModel passes QAbstractItemModelTester through swaps and sorts", "[studio][tree][model]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    auto ckpt = open_demo(demo);
    CancelToken cancel;
    TensorTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.set_tree(ckpt, std::move(build_tensor_tree(*ckpt, "", cancel)).value());
    REQUIRE(model.rowCount() == 2);  // lm_head, model
    const QModelIndex model_idx = model.index(1, 0);
    CHECK(model_idx.data(TensorTreeModel::FullNameRole).toString() == "model");
    CHECK(model.rowCount(model_idx) == 6);  // embed_tokens, layers.0..3, norm

    // Sort by parameters, descending: the largest top-level group first.
    const QPersistentModelIndex keep = model.index_of_tensor("model.norm.weight");
    REQUIRE(keep.isValid());
    model.sort(TensorTreeModel::Parameters, Qt::DescendingOrder);
    CHECK(model.index(0, 0).data(TensorTreeModel::FullNameRole).toString() == "model");
    REQUIRE(keep.isValid());
    CHECK(keep.data(TensorTreeModel::FullNameRole).toString() == "model.norm.weight");
    const QModelIndex first_in_model = model.index(0, 0, model.index(0, 0));
    const QModelIndex last_in_model = model.index(model.rowCount(model.index(0, 0)) - 1, 0, model.index(0, 0));
    CHECK(model.data(first_in_model.siblingAtColumn(TensorTreeModel::Parameters), TensorTreeModel::SortKeyRole)
              .toULongLong() >=
          model.data(last_in_model.siblingAtColumn(TensorTreeModel::Parameters), TensorTreeModel::SortKeyRole)
              .toULongLong());

    // Swap in a filtered snapshot: the sort survives and the tester re-checks everything.
    model.set_tree(ckpt, std::move(build_tensor_tree(*ckpt, "*norm*", cancel)).value());
    CHECK(model.matched() < ckpt->tensors.size());
    const QModelIndex leaf = model.index_of_tensor("model.norm.weight");
    REQUIRE(leaf.isValid());
    const TensorInfo* info = model.tensor_at(leaf);
    REQUIRE(info);
    CHECK(info->name == "model.norm.weight");
    CHECK(model.data(leaf.siblingAtColumn(TensorTreeModel::DTypeCol)).toString() == "BF16");
    CHECK(model.data(leaf.siblingAtColumn(TensorTreeModel::ShapeCol)).toString() == "[64]");
    model.clear();
    CHECK(model.rowCount() == 0);
}
