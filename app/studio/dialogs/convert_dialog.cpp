#include "dialogs/convert_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "strata/convert/convert.h"

namespace strata::studio {

namespace {
const LayoutKind kTargets[] = {LayoutKind::Hf, LayoutKind::HfFused, LayoutKind::HfFusedV5, LayoutKind::Megatron};
}

ConvertDialog::ConvertDialog(StudioContext* ctx, QWidget* parent) : QDialog(parent), ctx_(ctx) {
    setWindowTitle(tr("Convert checkpoint"));
    source_ = new QLineEdit(this);
    output_ = new QLineEdit(this);
    target_ = new QComboBox(this);
    for (LayoutKind k : kTargets) target_->addItem(QString::fromLatin1(layout_kind_name(k)));
    target_->setCurrentIndex(3);
    dtype_ = new QComboBox(this);
    dtype_->addItems({tr("keep"), "BF16", "F32"});
    auto spin = [this](int v) {
        auto* s = new QSpinBox(this);
        s->setRange(1, 1024);
        s->setValue(v);
        return s;
    };
    tp_ = spin(1);
    pp_ = spin(1);
    ep_ = spin(1);
    dry_run_ = new QCheckBox(tr("dry run (plan only, write nothing)"), this);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    log_ = new QPlainTextEdit(this);
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(2000);
    result_ = new QLabel(this);
    result_->setWordWrap(true);
    run_ = new QPushButton(tr("Run"), this);
    cancel_ = new QPushButton(tr("Cancel"), this);
    open_result_ = new QPushButton(tr("Open result"), this);
    open_result_->setEnabled(false);
    cancel_->setEnabled(false);

    auto* plan = new QHBoxLayout;
    for (auto [label, s] : {std::pair{"TP", tp_}, {"PP", pp_}, {"EP", ep_}}) {
        plan->addWidget(new QLabel(QString::fromLatin1(label), this));
        plan->addWidget(s);
    }
    auto* form = new QFormLayout;
    form->addRow(tr("Source"), source_);
    form->addRow(tr("Output folder"), output_);
    form->addRow(tr("Target layout"), target_);
    form->addRow(tr("Megatron plan"), plan);
    form->addRow(tr("DType"), dtype_);
    form->addRow(QString(), dry_run_);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(open_result_);
    buttons->addWidget(cancel_);
    buttons->addWidget(run_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(progress_);
    layout->addWidget(log_, 1);
    layout->addWidget(result_);
    layout->addLayout(buttons);
    resize(640, 480);

    connect(run_, &QPushButton::clicked, this, [this] { start(); });
    connect(cancel_, &QPushButton::clicked, this, &ConvertDialog::cancel);
    connect(open_result_, &QPushButton::clicked, this, [this] {
        Q_EMIT open_result(output());
        accept();
    });
    connect(target_, &QComboBox::currentIndexChanged, this, [this](int i) {
        for (QSpinBox* s : {tp_, pp_, ep_}) s->setEnabled(kTargets[i] == LayoutKind::Megatron);
    });
    connect(ctx_->runner(), &TaskRunner::task_progress, this, [this](int id, const QString&, double f, const QString& phase) {
        if (task_ && task_->id == id) {
            progress_->setValue(int(f * 1000));
            progress_->setFormat(phase + " %p%");
        }
    });
    connect(ctx_->runner(), &TaskRunner::task_log, this, [this](int id, const QString& line) {
        if (task_ && task_->id == id) log_->appendPlainText(line);
    });
}

QString ConvertDialog::source() const { return source_->text().trimmed(); }
QString ConvertDialog::output() const { return output_->text().trimmed(); }
QString ConvertDialog::result_text() const { return result_->text(); }

void ConvertDialog::set_source(const QString& path) {
    source_->setText(path);
    if (output_->text().isEmpty()) {
        const QFileInfo fi(path);
        output_->setText(fi.absolutePath() + "/" + fi.completeBaseName() + "-" + target_->currentText());
    }
}

void ConvertDialog::set_output(const QString& path) { output_->setText(path); }
void ConvertDialog::set_target(int index) { target_->setCurrentIndex(index); }

bool ConvertDialog::start() {
    if (task_ || source().isEmpty() || output().isEmpty()) return false;
    ConvertOptions o;
    o.source = source().toStdString();
    o.out = output().toStdString();
    o.target.kind = kTargets[target_->currentIndex()];
    o.target.plan.tp = tp_->value();
    o.target.plan.pp = pp_->value();
    o.target.plan.ep = ep_->value();
    if (dtype_->currentIndex() > 0) o.dtype = parse_dtype(dtype_->currentText().toStdString());
    o.dry_run = dry_run_->isChecked();
    log_->appendPlainText(tr("convert %1 → %2 (%3)").arg(source(), output(), target_->currentText()));
    result_->clear();
    progress_->setValue(0);
    run_->setEnabled(false);
    cancel_->setEnabled(true);
    open_result_->setEnabled(false);
    task_ = ctx_->runner()->run<Result<ConvertReport>>(
        tr("Converting"), [o](ProgressSink& p, const CancelToken& c) { return convert_checkpoint(o, p, c); }, this,
        [this, dry = o.dry_run](Result<ConvertReport> r) {
            task_.reset();
            run_->setEnabled(true);
            cancel_->setEnabled(false);
            QString msg;
            if (r) {
                msg = dry ? tr("Dry run: %1 output tensors planned in %2 s.").arg(r->plan.tensors.size()).arg(r->seconds, 0, 'f', 2)
                          : tr("Done in %1 s: %2").arg(r->seconds, 0, 'f', 2).arg(output());
                progress_->setValue(1000);
                open_result_->setEnabled(!dry);
            } else {
                msg = QString::fromStdString(r.status().to_string());
            }
            result_->setText(msg);
            log_->appendPlainText(msg);
            Q_EMIT finished_conversion(r.is_ok(), msg);
        });
    return true;
}

void ConvertDialog::cancel() {
    if (task_) {
        task_->cancel.cancel();
        log_->appendPlainText(tr("cancelling…"));
    }
}

}  // namespace strata::studio
