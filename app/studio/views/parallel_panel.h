// ParallelPanel: plan a Megatron layout. Pick the model (the open checkpoint's
// config or a synth preset), an optional hybrid pattern, and TP/PP/EP/ETP/CP/VPP/DP;
// core's check() fills a red/green table with, for each failing axis, the values
// that pass (passing_values), and pipeline_layout() lists each stage's layers. A passing
// plan gets its per-rank shards (ShardView), for the hybrid pattern too when one is given.
// Usage: panel->set_model_preset("qwen3-30b-a3b"); panel->spin(PlanAxis::Tp)->setValue(8);
#pragma once

#include <QWidget>

#include <optional>

#include "strata/parallel/checks.h"
#include "studio_context.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSpinBox;
class QTableWidget;

namespace strata::studio {

class ShardView;

class ParallelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ParallelPanel(StudioContext* ctx, QWidget* parent = nullptr);

    bool set_model_preset(const QString& name);  // a synth preset name
    QSpinBox* spin(PlanAxis axis) const;
    QCheckBox* sequence_parallel() const { return sp_; }
    QLineEdit* pattern_edit() const { return pattern_; }
    QTableWidget* checks_table() const { return table_; }
    const std::vector<PlanCheck>& checks() const { return checks_; }
    ShardView* shards() const { return shards_; }
    ParallelPlan plan() const;
    void recheck();

private:
    void load_model();

    StudioContext* ctx_;
    QComboBox* model_;
    QComboBox* version_;
    QLineEdit* pattern_;
    QSpinBox *tp_, *pp_, *ep_, *etp_, *cp_, *vpp_, *dp_;
    QCheckBox* sp_;
    QLabel* verdict_;
    QLabel* model_info_;
    QTableWidget* table_;
    QListWidget* stages_;
    ShardView* shards_;
    nlohmann::json config_;
    std::optional<ModelSpec> spec_;
    QString spec_error_;
    std::vector<PlanCheck> checks_;
};

}  // namespace strata::studio
