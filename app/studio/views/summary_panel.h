// SummaryPanel: what the HF Hub sidebar shows for a checkpoint, from core's
// summarize(): format, files, tensor and parameter counts, bytes, parameters per
// dtype (with a share bar), and the config as a key/value tree.
// Usage: panel->show_summary(summary, ckpt.config, ckpt.files.size());
#pragma once

#include <QWidget>

#include "strata/formats/checkpoint_summary.h"

class QLabel;
class QTableWidget;
class QTreeWidget;

namespace strata::studio {

class SummaryPanel : public QWidget {
    Q_OBJECT
public:
    explicit SummaryPanel(QWidget* parent = nullptr);
    void show_summary(const QString& path, const CheckpointSummary& summary, const nlohmann::json& config);
    void clear();
    QTableWidget* dtype_table() const { return dtypes_; }
    QTreeWidget* config_tree() const { return config_; }

private:
    QLabel* headline_;
    QLabel* facts_;
    QTableWidget* dtypes_;
    QTreeWidget* config_;
};

}  // namespace strata::studio
