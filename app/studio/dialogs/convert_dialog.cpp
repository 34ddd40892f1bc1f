#include "dialogs/convert_dialog.h"

#include <QCheckBox>
#include <QComboBox>
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
#include "strata/formats/format_registry.h"
#include "strata/hybrid/hybridize.h"

namespace strata::studio {

namespace {

const LayoutKind kLayouts[] = {LayoutKind::Hf, LayoutKind::HfFused, LayoutKind::HfFusedV5, LayoutKind::Megatron};
const char* kHybridName = "hybrid-mamba2";

// What a finished run says, whichever core call made it.
struct RunOutcome {
    QString message;
    QStringList log;
    bool wrote = false;
};

Result<RunOutcome> run_convert(const ConvertOptions& o, ProgressSink& p, const CancelToken& c) {
    STRATA_TRY(auto r, convert_checkpoint(o, p, c));
    RunOutcome out;
    out.wrote = !o.dry_run;
    out.message = o.dry_run ? QObject::tr("Dry run: %1 output tensors planned in %2 s.").arg(r.plan.tensors.size()).arg(r.seconds, 0, 'f', 2)
                            : QObject::tr("Done in %1 s: %2").arg(r.seconds, 0, 'f', 2).arg(QString::fromStdString(o.out.string()));
    return out;
}

// `strata hybridize`: a dry run prints core's plan description; a real run writes the hybrid.
Result<RunOutcome> run_hybridize(const HybridizeOptions& o, bool dry_run, ProgressSink& p, const CancelToken& c) {
    STRATA_TRY(auto src, open_checkpoint(o.source));
    STRATA_TRY(auto plan, plan_hybridize(src, o));
    RunOutcome out;
    if (dry_run) out.log = QString::fromStdString(describe_hybridize_plan(plan)).split('\n', Qt::SkipEmptyParts);
    for (const std::string& w : plan.warnings) out.log << QObject::tr("warning: %1").arg(QString::fromStdString(w));
    if (dry_run) {
        out.message = QObject::tr("Dry run: %1 hybrid tensors planned; Megatron pattern %2")
                          .arg(plan.tensors.size())
                          .arg(QString::fromStdString(plan.megatron_pattern));
        return out;
    }
    STRATA_RETURN_IF_ERROR(hybridize(o, p, c));
    out.wrote = true;
    out.message = QObject::tr("Done: %1 (hybrid Mamba2, pattern %2)")
                      .arg(QString::fromStdString(o.out.string()), QString::fromStdString(plan.megatron_pattern));
    return out;
}

}  // namespace

ConvertDialog::ConvertDialog(StudioContext* ctx, QWidget* parent) : QDialog(parent), ctx_(ctx) {
    setWindowTitle(tr("Convert checkpoint"));
    source_ = new QLineEdit(this);
    output_ = new QLineEdit(this);
    target_ = new QComboBox(this);
    for (LayoutKind k : kLayouts) target_->addItem(QString::fromLatin1(layout_kind_name(k)));
    target_->addItem(QString::fromLatin1(kHybridName));
    target_->setItemData(HybridMamba2, tr("M1 transformer → hybrid Mamba2 (strata hybridize)"), Qt::ToolTipRole);
    target_->setCurrentIndex(Megatron);
    dtype_ = new QComboBox(this);
    dtype_->addItems({tr("keep"), "BF16", "F32"});
    auto spin = [this](int lo, int v, const QString& tip) {
        auto* s = new QSpinBox(this);
        s->setRange(lo, 1024);
        s->setValue(v);
        s->setToolTip(tip);
        return s;
    };
    tp_ = spin(1, 1, tr("tensor parallel size"));
    pp_ = spin(1, 1, tr("pipeline parallel size"));
    ep_ = spin(1, 1, tr("expert parallel size"));
    etp_ = spin(0, 0, tr("expert tensor parallel size (0 = same as TP)"));
    attn_ = new QLineEdit(this);
    attn_->setPlaceholderText(tr("layers kept as attention, e.g. 0,2,4,...,46,47 (from the Pattern tab)"));
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
    for (auto [label, s] : {std::pair{"TP", tp_}, {"PP", pp_}, {"EP", ep_}, {"ETP", etp_}}) {
        plan->addWidget(new QLabel(QString::fromLatin1(label), this));
        plan->addWidget(s);
    }
    plan->addStretch();
    auto* form = new QFormLayout;
    form->addRow(tr("Source"), source_);
    form->addRow(tr("Output folder"), output_);
    form->addRow(tr("Target"), target_);
    form->addRow(tr("Megatron plan"), plan);
    form->addRow(tr("Hybrid attn_layers"), attn_);
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
    resize(680, 500);

    connect(run_, &QPushButton::clicked, this, [this] { start(); });
    connect(cancel_, &QPushButton::clicked, this, &ConvertDialog::cancel);
    connect(open_result_, &QPushButton::clicked, this, [this] {
        Q_EMIT open_result(output());
        accept();
    });
    connect(target_, &QComboBox::currentIndexChanged, this, [this] {
        update_enabled();
        if (!source().isEmpty() && output() == auto_output_) set_output(auto_output_ = default_output());
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
    prefill_from_design();
    update_enabled();
}

QString ConvertDialog::source() const { return source_->text().trimmed(); }
QString ConvertDialog::output() const { return output_->text().trimmed(); }
QString ConvertDialog::result_text() const { return result_->text(); }

void ConvertDialog::prefill_from_design() {
    const ParallelPlan& p = ctx_->plan();
    tp_->setValue(p.tp);
    pp_->setValue(p.pp);
    ep_->setValue(p.ep);
    etp_->setValue(p.etp);
    attn_->setText(ctx_->attn_layers());
}

void ConvertDialog::update_enabled() {
    const int t = target_->currentIndex();
    for (QSpinBox* s : {tp_, pp_, ep_, etp_}) s->setEnabled(t == Megatron);
    attn_->setEnabled(t == HybridMamba2);
    dtype_->setEnabled(t != HybridMamba2);  // hybridize keeps the source dtype
}

QString ConvertDialog::default_output() const {
    const QFileInfo fi(source());
    return fi.absolutePath() + "/" + fi.completeBaseName() + "-" + target_->currentText();
}

void ConvertDialog::set_source(const QString& path) {
    source_->setText(path);
    if (output_->text().isEmpty() || output() == auto_output_) set_output(auto_output_ = default_output());
}

void ConvertDialog::set_output(const QString& path) { output_->setText(path); }
void ConvertDialog::set_target(int index) { target_->setCurrentIndex(index); }

bool ConvertDialog::set_target_name(const QString& name) {
    const int i = target_->findText(name, Qt::MatchFixedString);
    if (i < 0) return false;
    target_->setCurrentIndex(i);
    return true;
}

bool ConvertDialog::start() {
    if (task_ || source().isEmpty() || output().isEmpty()) return false;
    const bool dry = dry_run_->isChecked();
    std::function<Result<RunOutcome>(ProgressSink&, const CancelToken&)> work;
    if (target_->currentIndex() == HybridMamba2) {
        if (attn_->text().trimmed().isEmpty()) {
            result_->setText(tr("Hybrid Mamba2 needs the attn_layers to keep (design them in the Pattern tab)."));
            return false;
        }
        HybridizeOptions o;
        o.source = source().toStdString();
        o.out = output().toStdString();
        o.attn_layers = attn_->text().trimmed().toStdString();
        work = [o, dry](ProgressSink& p, const CancelToken& c) { return run_hybridize(o, dry, p, c); };
    } else {
        ConvertOptions o;
        o.source = source().toStdString();
        o.out = output().toStdString();
        o.target.kind = kLayouts[target_->currentIndex()];
        o.target.plan.tp = tp_->value();
        o.target.plan.pp = pp_->value();
        o.target.plan.ep = ep_->value();
        o.target.plan.etp = etp_->value();
        if (dtype_->currentIndex() > 0) o.dtype = parse_dtype(dtype_->currentText().toStdString());
        o.dry_run = dry;
        work = [o](ProgressSink& p, const CancelToken& c) { return run_convert(o, p, c); };
    }
    log_->appendPlainText(tr("%1 %2 → %3 (%4)")
                              .arg(target_->currentIndex() == HybridMamba2 ? tr("hybridize") : tr("convert"), source(),
                                   output(), target_->currentText()));
    result_->clear();
    progress_->setValue(0);
    run_->setEnabled(false);
    cancel_->setEnabled(true);
    open_result_->setEnabled(false);
    task_ = ctx_->runner()->run<Result<RunOutcome>>(tr("Converting"), std::move(work), this, [this](Result<RunOutcome> r) {
        if (!r) return finish(false, QString::fromStdString(r.status().to_string()), false);
        for (const QString& line : r->log) log_->appendPlainText(line);
        progress_->setValue(1000);
        finish(true, r->message, r->wrote);
    });
    return true;
}

void ConvertDialog::finish(bool ok, const QString& msg, bool openable) {
    task_.reset();
    run_->setEnabled(true);
    cancel_->setEnabled(false);
    open_result_->setEnabled(openable);
    result_->setText(msg);
    log_->appendPlainText(msg);
    Q_EMIT finished_conversion(ok, msg);
}

void ConvertDialog::cancel() {
    if (task_) {
        task_->cancel.cancel();
        log_->appendPlainText(tr("cancelling…"));
    }
}

}  // namespace strata::studio
