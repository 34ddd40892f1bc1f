// ForwardPanel: the "Forward" tab, the GUI face of `strata forward` and `strata compare`:
// token ids in, the top-k next tokens per position out (ForwardModel), and optionally a
// second checkpoint run on the same ids with per-position max |Δ logit|, KL and top-1
// agreement. Runs core run_forward in a TaskRunner worker (one layer resident at a time);
// the tab's own Cancel stops that worker only (TaskRunner::cancel), and the panel then
// says the run was cancelled rather than showing an error.
// Usage: panel->set_paths(a, b); panel->set_tokens("1,2,3"); panel->run(); panel->cancel();
#pragma once

#include <QWidget>

#include "studio_context.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace strata::studio {

class ForwardModel;
struct ForwardRun;

class ForwardPanel : public QWidget {
    Q_OBJECT
public:
    explicit ForwardPanel(StudioContext* ctx, QWidget* parent = nullptr);
    void set_paths(const QString& a, const QString& b = {});
    void set_tokens(const QString& ids);
    bool run();     // false while running or without A / tokens
    void cancel();  // cancels this tab's run (no other task); the result then says "cancelled"
    bool running() const { return task_ != nullptr; }
    ForwardModel* model() const { return model_; }
    QLabel* summary() const { return summary_; }
    QSpinBox* top_k() const { return k_; }
    QPushButton* run_button() const { return run_; }
    QPushButton* cancel_button() const { return cancel_; }
    // The shown result was computed from other paths or tokens than the fields now hold.
    bool stale() const;

signals:
    void forward_finished(bool ok);

private:
    struct Inputs {
        QString a, b, tokens;
        bool operator==(const Inputs&) const = default;
    };
    Inputs inputs() const;
    void show_staleness();
    void set_running(bool running);
    void show_result(Result<ForwardRun> result);

    StudioContext* ctx_;
    QLineEdit* a_;
    QLineEdit* b_;
    QLineEdit* tokens_;
    QSpinBox* k_;
    QComboBox* device_;
    QComboBox* precision_;
    QPushButton* run_;
    QPushButton* cancel_;
    QLabel* summary_;
    QTableView* table_;
    ForwardModel* model_;
    TaskPtr task_;
    Inputs running_inputs_, shown_inputs_;  // what the running / shown result is computed from
    QString shown_text_;                    // the shown result's summary, before any stale mark
    bool a_is_open_ = true;  // A follows the open checkpoint until the user types another path
};

}  // namespace strata::studio
