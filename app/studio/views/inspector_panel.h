// InspectorPanel: the "Inspector" tab. Left: a filter box and the tensor tree
// (TensorTreeModel, sortable by name, dtype, shape, parameters, bytes, file);
// right: the checkpoint summary and the selected tensor's TensorView. Filtering
// rebuilds the tree snapshot in a worker and swaps it in.
// Usage: auto* p = new InspectorPanel(ctx); p->set_filter("*.experts.*"); p->select_tensor("lm_head.weight");
#pragma once

#include <QKeySequence>
#include <QWidget>

#include "studio_context.h"

class QLabel;
class QLineEdit;
class QTabWidget;
class QTimer;
class QTreeView;

namespace strata::studio {

class SummaryPanel;
class TensorTreeModel;
class TensorView;

class InspectorPanel : public QWidget {
    Q_OBJECT
public:
    explicit InspectorPanel(StudioContext* ctx, QWidget* parent = nullptr);

    void set_filter(const QString& text);  // applies at once (no debounce)
    bool select_tensor(const QString& name);
    void focus_filter();
    void expand_all();
    void collapse_all();
    bool filtering() const { return filter_pending_; }
    // The tree's expand / collapse shortcuts (the window's View menu uses them; the filter box lets them through).
    static QKeySequence expand_all_keys();
    static QKeySequence collapse_all_keys();

    QLineEdit* filter_edit() const { return filter_; }
    QTreeView* tree_view() const { return tree_; }
    TensorTreeModel* tree_model() const { return model_; }
    SummaryPanel* summary() const { return summary_; }
    TensorView* tensor_view() const { return tensor_view_; }
    QTabWidget* side_tabs() const { return side_; }

signals:
    void filter_applied(int matched);
    void tensor_selected(const QString& name);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void on_current_changed();
    void apply_filter();
    void after_tree_swap();

    StudioContext* ctx_;
    QLineEdit* filter_;
    QLabel* count_;
    QTimer* debounce_;
    QTreeView* tree_;
    TensorTreeModel* model_;
    QTabWidget* side_;
    SummaryPanel* summary_;
    TensorView* tensor_view_;
    TaskPtr filter_task_;
    int filter_generation_ = 0;
    bool filter_pending_ = false;
    QString shown_path_;  // the checkpoint the filter was typed for
};

}  // namespace strata::studio
