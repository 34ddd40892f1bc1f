// ShardDiffPanel: two layouts of one model side by side (core diff_layouts(), the data of
// `strata diff --layout`): A and B are each a checkpoint, a preset, MODEL@tp=..,pp=..,ep=.. or
// a bare plan that takes the other side's model. Shows both ranks × layers grids
// (ShardGridModel), the reshard transfer matrix from A's rank files to B's with row and column
// totals (TransferMatrixModel; a click on a cell lists its tensor slices), and for two
// checkpoints stored alike the rank-file × layer change grid (ChangeGridModel).
// Usage: panel->set_sides("ckpt", "tp=1,pp=4,ep=2"); panel->run(); panel->select_matrix_cell(0, 0);
#pragma once

#include <QWidget>

#include <memory>

#include "strata/parallel/layout_diff.h"
#include "studio_context.h"

class QLabel;
class QLineEdit;
class QModelIndex;
class QPushButton;
class QTableView;
class QTabWidget;
class QTreeWidget;

namespace strata::studio {

class ChangeGridModel;
class ShardGridModel;
class TransferMatrixModel;

class ShardDiffPanel : public QWidget {
    Q_OBJECT
public:
    explicit ShardDiffPanel(StudioContext* ctx, QWidget* parent = nullptr);
    void set_sides(const QString& a, const QString& b);
    // Starts the comparison in a worker; false while one runs or a side is empty.
    bool run();
    bool running() const { return task_ != nullptr; }
    const LayoutDiff* diff() const { return diff_.get(); }
    bool stale() const { return stale_; }
    // Shows the transfer tab and selects a matrix cell (lists its slices); false outside the matrix.
    bool select_matrix_cell(int source, int target);

    QLabel* title() const { return title_; }
    QLineEdit* a_edit() const { return a_; }
    QLineEdit* b_edit() const { return b_; }
    ShardGridModel* grid_a() const { return grid_a_; }
    ShardGridModel* grid_b() const { return grid_b_; }
    TransferMatrixModel* matrix() const { return matrix_; }
    QTableView* matrix_view() const { return matrix_view_; }
    QTreeWidget* slice_list() const { return slices_; }
    QLabel* slice_title() const { return slice_title_; }
    ChangeGridModel* changes() const { return changes_; }
    QLabel* changes_note() const { return changes_note_; }
    QLabel* matrix_legend() const { return matrix_legend_; }
    QTabWidget* tabs() const { return tabs_; }

signals:
    void diff_finished(bool ok);

private:
    void show_diff();
    void show_cell(const QModelIndex& index);
    void mark_stale();

    StudioContext* ctx_;
    QLineEdit* a_;
    QLineEdit* b_;
    QPushButton* run_;
    QLabel* title_;
    QLabel* grid_a_title_;
    QLabel* grid_b_title_;
    ShardGridModel* grid_a_;
    ShardGridModel* grid_b_;
    QTableView* grid_a_view_;
    QTableView* grid_b_view_;
    TransferMatrixModel* matrix_;
    QTableView* matrix_view_;
    QLabel* slice_title_;
    QTreeWidget* slices_;
    ChangeGridModel* changes_;
    QTableView* change_view_;
    QLabel* changes_note_;
    QLabel* matrix_legend_;
    QLabel* change_legend_;
    QTabWidget* tabs_;
    TaskPtr task_;
    std::shared_ptr<const LayoutDiff> diff_;
    QString result_title_;
    bool stale_ = false;
};

}  // namespace strata::studio
