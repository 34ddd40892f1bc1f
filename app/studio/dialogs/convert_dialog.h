// ConvertDialog: the GUI face of `strata convert` and `strata hybridize`: source, output
// folder, target (HF, HF fused experts, HF fused v5, Megatron with TP/PP/EP/ETP, or hybrid
// Mamba2 with M1 attn_layers), dtype and dry run. The plan and attn_layers start from the
// Parallel and Pattern tabs (StudioContext). Run calls core convert_checkpoint or hybridize
// in a TaskRunner worker with a progress bar (bytes, rate, ETA), a log and Cancel (the core's
// AtomicOutput leaves nothing behind). A dry run lists the output files with their bytes and
// the core preflight verdict (free space); a real run is refused by the same preflight unless
// "Write even without enough free space" is ticked, and an existing output is replaced only
// when "Overwrite" is ticked (the CLI's --force-space and --force).
// Usage: ConvertDialog d(ctx); d.set_source(path); d.show(); d.start();
#pragma once

#include <QDialog>

#include <vector>

#include "studio_context.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace strata::studio {

// One planned output file as the dry run's table shows it.
struct PlannedFileRow {
    QString path, rank;
    size_t tensors = 0;
    uint64_t bytes = 0;
};

class ConvertDialog : public QDialog {
    Q_OBJECT
public:
    explicit ConvertDialog(StudioContext* ctx, QWidget* parent = nullptr);
    void set_source(const QString& path);
    void set_output(const QString& path);
    // Row in the target box: 0 hf, 1 hf-fused, 2 hf-fused-v5, 3 megatron, 4 hybrid-mamba2.
    enum Target { Hf, HfFused, HfFusedV5, Megatron, HybridMamba2 };
    void set_target(int index);
    bool set_target_name(const QString& name);  // "megatron", "hybrid-mamba2", ...; false when unknown
    // Fills the plan axes and attn_layers from the context (the Parallel and Pattern tabs).
    void prefill_from_design();
    QSpinBox* tp() const { return tp_; }
    QSpinBox* pp() const { return pp_; }
    QSpinBox* ep() const { return ep_; }
    QSpinBox* etp() const { return etp_; }
    QComboBox* ckpt_format() const { return ckpt_format_; }
    QLineEdit* attn_layers() const { return attn_; }
    bool start();                // false when the options are incomplete
    void cancel();
    bool running() const { return task_ != nullptr; }
    QString source() const;
    QString output() const;
    QString result_text() const;

signals:
    void finished_conversion(bool ok, const QString& message);
    void open_result(const QString& path);

private:
    void update_enabled();
    QString default_output() const;
    void browse_output();
    void show_planned_files(const std::vector<PlannedFileRow>& files);
    void finish(bool ok, const QString& msg, bool openable);

    StudioContext* ctx_;
    QLineEdit* source_;
    QLineEdit* output_;
    QComboBox* target_;
    QComboBox* dtype_;
    QSpinBox *tp_, *pp_, *ep_, *etp_;
    QComboBox* ckpt_format_;
    QLineEdit* attn_;
    QString auto_output_;  // the output path we proposed; replaced when the target changes
    QCheckBox* dry_run_;
    QCheckBox* overwrite_;
    QCheckBox* force_space_;
    QPushButton* browse_;
    QTableWidget* plan_table_;
    QProgressBar* progress_;
    QPlainTextEdit* log_;
    QLabel* result_;
    QPushButton* run_;
    QPushButton* cancel_;
    QPushButton* open_result_;
    TaskPtr task_;
};

}  // namespace strata::studio
