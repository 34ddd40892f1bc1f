// TensorView: one tensor in depth. Statistics (min/max/mean/std, NaN/Inf/zeros)
// and a histogram computed by core's tensor_stats in a TaskRunner worker with a
// progress bar; a heatmap of a 2-D slice downsampled by the core to the widget's
// size; and a paged table of the slice's values. Switching tensors cancels work
// still running for the previous one.
// Usage: view->set_tensor(ckpt, tensor_index);  // ckpt shared, immutable
#pragma once

#include <QWidget>

#include <memory>

#include "strata/formats/checkpoint.h"
#include "strata/stats/tensor_stats.h"
#include "task_runner.h"

class QComboBox;
class QLabel;
class QProgressBar;
class QSpinBox;
class QTableView;
class QTabWidget;
class QTimer;

namespace strata::studio {

class HeatmapWidget;
class HistogramChart;
class ValueBlockModel;

class TensorView : public QWidget {
    Q_OBJECT
public:
    TensorView(TaskRunner* runner, QWidget* parent = nullptr);
    void set_tensor(std::shared_ptr<const Checkpoint> ckpt, size_t tensor_index);
    void clear();

    const TensorInfo* tensor() const;
    bool has_stats() const { return has_stats_; }
    const TensorStats& stats() const { return stats_; }
    HeatmapWidget* heatmap() const { return heatmap_; }
    HistogramChart* histogram() const { return histogram_; }
    ValueBlockModel* values_model() const { return values_; }
    QLabel* stats_label() const { return stats_label_; }
    QTabWidget* tabs() const { return tabs_; }

signals:
    void stats_finished(bool ok);
    void heatmap_finished(bool ok);
    void values_finished(bool ok);

private:
    void request_stats();
    void request_heatmap();
    void request_values();
    void cancel_pending();
    void show_stats(const TensorStats& s);

    TaskRunner* runner_;
    std::shared_ptr<const Checkpoint> ckpt_;
    size_t tensor_ = 0;
    int generation_ = 0;
    TaskPtr stats_task_, heatmap_task_;
    TensorStats stats_;
    bool has_stats_ = false;

    QLabel* title_;
    QLabel* info_;
    QLabel* stats_label_;
    QProgressBar* progress_;
    HistogramChart* histogram_;
    QTabWidget* tabs_;
    HeatmapWidget* heatmap_;
    QSpinBox* heat_slice_;
    QComboBox* heat_reduce_;
    QTimer* heat_debounce_;
    QSpinBox* val_slice_;
    QSpinBox* val_row_;
    QSpinBox* val_col_;
    QTableView* values_view_;
    ValueBlockModel* values_;
};

}  // namespace strata::studio
