#include "views/forward_panel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include "models/forward_model.h"
#include "strata/kernels/backend.h"
#include "widgets/path_drop.h"

namespace strata::studio {

ForwardPanel::ForwardPanel(StudioContext* ctx, QWidget* parent) : QWidget(parent), ctx_(ctx) {
    a_ = new QLineEdit(this);
    a_->setPlaceholderText(tr("checkpoint (any layout): the open one by default"));
    a_->setObjectName("forwardA");
    b_ = new QLineEdit(this);
    b_->setObjectName("forwardB");
    b_->setPlaceholderText(tr("optional: a second checkpoint to compare with, e.g. its Megatron conversion"));
    accept_path_drops(a_);
    accept_path_drops(b_);
    tokens_ = new QLineEdit(this);
    tokens_->setObjectName("forwardTokens");
    tokens_->setPlaceholderText(tr("token ids, comma-separated: 1,2,3"));
    k_ = new QSpinBox(this);
    k_->setRange(1, 20);
    k_->setValue(5);
    device_ = new QComboBox(this);
    for (const std::string& name : kernels::available_backends()) device_->addItem(QString::fromStdString(name));
    precision_ = new QComboBox(this);
    precision_->addItem(QString::fromLatin1(forward_precision_name(ForwardPrecision::F32)), int(ForwardPrecision::F32));
    precision_->addItem(QString::fromLatin1(forward_precision_name(ForwardPrecision::BF16)),
                        int(ForwardPrecision::BF16));
    run_ = new QPushButton(tr("Run"), this);
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setObjectName("forwardCancel");
    cancel_->setToolTip(tr("Stop this forward pass (other running tasks go on)"));
    cancel_->setEnabled(false);
    summary_ = new QLabel(tr("Give token ids and press Run."), this);
    summary_->setTextFormat(Qt::RichText);
    summary_->setWordWrap(true);
    model_ = new ForwardModel(this);
    table_ = new QTableView(this);
    table_->setObjectName("forwardTable");
    table_->setModel(model_);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(22);
    table_->horizontalHeader()->setStretchLastSection(true);

    auto* opts = new QHBoxLayout;
    opts->addWidget(new QLabel(tr("Top-k"), this));
    opts->addWidget(k_);
    opts->addWidget(new QLabel(tr("Device"), this));
    opts->addWidget(device_);
    opts->addWidget(new QLabel(tr("Precision"), this));
    opts->addWidget(precision_);
    opts->addStretch();
    opts->addWidget(run_);
    opts->addWidget(cancel_);
    auto* form = new QFormLayout;
    form->addRow(tr("Checkpoint A"), a_);
    form->addRow(tr("Compare with B"), b_);
    form->addRow(tr("Tokens"), tokens_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(opts);
    layout->addWidget(summary_);
    layout->addWidget(table_, 1);

    connect(run_, &QPushButton::clicked, this, [this] { run(); });
    connect(cancel_, &QPushButton::clicked, this, &ForwardPanel::cancel);
    connect(tokens_, &QLineEdit::returnPressed, this, [this] { run(); });
    connect(a_, &QLineEdit::textEdited, this, [this] { a_is_open_ = false; });
    for (QLineEdit* input : {a_, b_, tokens_})
        connect(input, &QLineEdit::textChanged, this, &ForwardPanel::show_staleness);
    connect(ctx_, &StudioContext::current_changed, this, [this] {
        if (a_is_open_) a_->setText(ctx_->current() ? ctx_->current()->path : QString());
    });
}

void ForwardPanel::set_paths(const QString& a, const QString& b) {
    a_->setText(a);
    a_is_open_ = false;
    b_->setText(b);
}

void ForwardPanel::set_tokens(const QString& ids) { tokens_->setText(ids); }

bool ForwardPanel::run() {
    const std::string a = a_->text().trimmed().toStdString(), b = b_->text().trimmed().toStdString();
    const std::string tokens = tokens_->text().toStdString();
    if (task_ || a.empty() || tokens_->text().trimmed().isEmpty()) return false;
    ForwardOptions o;
    o.device = device_->currentText().toStdString();
    o.precision = ForwardPrecision(precision_->currentData().toInt());
    const int k = k_->value();
    set_running(true);
    running_inputs_ = inputs();
    shown_text_.clear();
    summary_->setText(b.empty() ? tr("Running A…") : tr("Running A, then B…"));
    task_ = ctx_->runner()->run<Result<ForwardRun>>(
        tr("Forward"),
        [a, b, tokens, k, o](ProgressSink& p, const CancelToken& c) {
            return run_forward_panel(a, b, tokens, k, o, p, c);
        },
        this, [this](Result<ForwardRun> r) { show_result(std::move(r)); });
    return true;
}

void ForwardPanel::cancel() {
    if (!task_) return;
    // The runner's per-task cancel (the status bar's Cancel cancels every task): the worker
    // stops at its next layer and its Cancelled result comes back through show_result.
    ctx_->runner()->cancel(task_->id);
    cancel_->setEnabled(false);
    summary_->setText(tr("Cancelling…"));
}

void ForwardPanel::set_running(bool running) {
    run_->setEnabled(!running);
    cancel_->setEnabled(running);
}

void ForwardPanel::show_result(Result<ForwardRun> r) {
    task_.reset();
    set_running(false);
    if (!r) {
        model_->clear();
        shown_text_.clear();
        // A cancel (this tab's or the status bar's) is what the user asked for, not an error.
        if (r.status().code() == StatusCode::Cancelled)
            summary_->setText(tr("Run cancelled; no results."));
        else
            summary_->setText(tr("<font color=#b00000>%1</font>")
                                  .arg(QString::fromStdString(r.status().to_string()).toHtmlEscaped()));
        emit forward_finished(false);
        return;
    }
    auto shown = std::make_shared<const ForwardRun>(std::move(r).value());
    shown_inputs_ = running_inputs_;
    QString text = tr("<b>A</b>: %1 (%2)").arg(shown_inputs_.a.toHtmlEscaped(), shown->label_a.toHtmlEscaped());
    if (const auto& c = shown->comparison)
        text += tr("<br><b>B</b>: %1 (%2)<br>max |Δ logit| <b>%3</b> · mean |Δ| %4 · max KL %5 · top-1 agreement "
                   "<b>%6%</b>")
                    .arg(shown_inputs_.b.toHtmlEscaped(), shown->label_b.toHtmlEscaped())
                    .arg(c->max_abs, 0, 'g', 4)
                    .arg(c->mean_abs, 0, 'g', 4)
                    .arg(c->max_kl, 0, 'g', 4)
                    .arg(100.0 * c->top1_agreement, 0, 'f', 1);
    shown_text_ = text;
    model_->set_run(std::move(shown));
    show_staleness();
    table_->resizeColumnsToContents();
    emit forward_finished(true);
}

ForwardPanel::Inputs ForwardPanel::inputs() const {
    return {a_->text().trimmed(), b_->text().trimmed(), tokens_->text().trimmed()};
}

bool ForwardPanel::stale() const { return model_->run() && !task_ && inputs() != shown_inputs_; }

// A result stays on screen after its inputs change (it is still worth reading), marked
// stale with what it was computed from, until the next run replaces it.
void ForwardPanel::show_staleness() {
    if (shown_text_.isEmpty()) return;
    if (!stale()) return summary_->setText(shown_text_);
    summary_->setText(tr("<font color=#b06000><b>Stale</b>: the inputs changed since this run; press Run to "
                         "update. Computed from tokens %1:</font><br>%2")
                          .arg(shown_inputs_.tokens.toHtmlEscaped(), shown_text_));
}

}  // namespace strata::studio
