// ConvertDialog: the GUI face of `strata convert`: source, output folder, target
// layout (HF, HF fused experts, HF fused v5, Megatron with TP/PP/EP), dtype and
// dry run; Run calls core convert_checkpoint in a TaskRunner worker with a
// progress bar, a log and Cancel (the core's AtomicOutput leaves nothing behind).
// Usage: ConvertDialog d(ctx); d.set_source(path); d.show(); d.start();
#pragma once

#include <QDialog>

#include "studio_context.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace strata::studio {

class ConvertDialog : public QDialog {
    Q_OBJECT
public:
    explicit ConvertDialog(StudioContext* ctx, QWidget* parent = nullptr);
    void set_source(const QString& path);
    void set_output(const QString& path);
    void set_target(int index);  // row in the target box: 0 hf, 1 hf-fused, 2 hf-fused-v5, 3 megatron
    QSpinBox* tp() const { return tp_; }
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
    StudioContext* ctx_;
    QLineEdit* source_;
    QLineEdit* output_;
    QComboBox* target_;
    QComboBox* dtype_;
    QSpinBox *tp_, *pp_, *ep_;
    QCheckBox* dry_run_;
    QProgressBar* progress_;
    QPlainTextEdit* log_;
    QLabel* result_;
    QPushButton* run_;
    QPushButton* cancel_;
    QPushButton* open_result_;
    TaskPtr task_;
};

}  // namespace strata::studio
