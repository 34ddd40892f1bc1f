// DiffPanel: compare two checkpoints of any layouts through core diff_views (each
// read as a CanonicalView in a worker): a red/amber/green table of differences
// (missing, extra, shape, dtype, values with max |a-b|) and a per-layer colour
// overview of the worst relative difference in each layer. Clicking a row shows both
// tensors' heatmaps and their difference (DiffHeatmapView).
// Usage: panel->set_paths(a, b); panel->run(); panel->select_tensor("model.norm.weight");
#pragma once

#include <QWidget>

#include "strata/diff/diff.h"
#include "studio_context.h"

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace strata::studio {

class DiffHeatmapView;
class DiffOverview;

class DiffPanel : public QWidget {
    Q_OBJECT
public:
    explicit DiffPanel(StudioContext* ctx, QWidget* parent = nullptr);
    void set_paths(const QString& a, const QString& b);
    bool run();
    bool running() const { return task_ != nullptr; }
    bool has_report() const { return has_report_; }
    const DiffReport& report() const { return report_; }
    QTableWidget* table() const { return table_; }
    DiffHeatmapView* heatmaps() const { return heatmaps_; }
    DiffOverview* overview() const { return overview_; }
    // Selects the table row of a canonical tensor (shows its heatmaps); false when not listed.
    bool select_tensor(const QString& name);

signals:
    void diff_finished(bool ok);

private:
    void show_report();

    StudioContext* ctx_;
    QLineEdit* a_;
    QLineEdit* b_;
    QDoubleSpinBox* tolerance_;
    QCheckBox* show_equal_;
    QPushButton* run_;
    QLabel* verdict_;
    DiffOverview* overview_;
    QTableWidget* table_;
    DiffHeatmapView* heatmaps_;
    TaskPtr task_;
    DiffReport report_;
    bool has_report_ = false;
};

}  // namespace strata::studio
