#include "dialogs/convert_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "strata/convert/convert.h"
#include "strata/convert/preflight.h"
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
    std::vector<PlannedFileRow> files;  // dry runs: the planned output files
};

QString q(const std::string& s) { return QString::fromStdString(s); }

QString rank_text(const RankCoord& r, bool megatron) {
    return megatron ? QStringLiteral("tp%1 pp%2 ep%3").arg(r.tp).arg(r.pp).arg(r.ep) : QObject::tr("all (HF)");
}

// The dry run's summary: files and bytes from the plan, and the preflight verdict a real run would act on.
QString dry_run_message(size_t files, size_t tensors, uint64_t bytes, const std::optional<SpaceVerdict>& space) {
    QString text = QObject::tr("Dry run: %1 files, %2 bytes (%3), %4 tensors.")
                       .arg(files)
                       .arg(QLocale().toString(qulonglong(bytes)), q(format_byte_size(bytes)))
                       .arg(tensors);
    if (space)
        text += space->fits() ? QObject::tr("\nPreflight: %1: it fits.").arg(q(space->describe()))
                              : QObject::tr(
                                    "\nPreflight: %1: a run would be refused (tick \"Write even without enough "
                                    "free space\" to force it).")
                                    .arg(q(space->describe()));
    return text;
}

Result<RunOutcome> run_convert(const ConvertOptions& o, ProgressSink& p, const CancelToken& c) {
    STRATA_TRY(auto r, convert_checkpoint(o, p, c));
    RunOutcome out;
    out.wrote = !o.dry_run;
    if (!o.dry_run) {
        out.message = QObject::tr("Done in %1 s: %2 (%3 written)")
                          .arg(r.seconds, 0, 'f', 2)
                          .arg(q(o.out.string()), q(format_byte_size(r.execution.bytes_written)));
        return out;
    }
    const bool megatron = o.target.kind == LayoutKind::Megatron;
    const auto sizes = planned_output_files(r.plan);
    for (size_t f = 0; f < r.plan.files.size(); ++f)
        out.files.push_back({r.plan.files[f].path.empty() ? QObject::tr("model*.safetensors") : q(r.plan.files[f].path),
                             rank_text(r.plan.files[f].rank, megatron), r.plan.files[f].tensors.size(),
                             sizes[f].bytes});
    out.message = dry_run_message(r.plan.files.size(), r.plan.tensors.size(), r.plan.total_bytes(), r.space);
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
        const auto files = hybridize_output_files(plan);
        std::optional<SpaceVerdict> space;
        if (!o.out.empty() && !o.sparse) {
            STRATA_TRY(space, check_free_space(o.out, files));
        }
        for (const auto& f : files)
            out.files.push_back(
                {QObject::tr("model*.safetensors"), QObject::tr("all (HF)"), plan.tensors.size(), f.bytes});
        out.message = dry_run_message(files.size(), plan.tensors.size(), plan.total_bytes, space) +
                      QObject::tr("\nMegatron pattern %1").arg(q(plan.megatron_pattern));
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
    dtype_->setObjectName("dtypeBox");
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
    ckpt_format_ = new QComboBox(this);
    ckpt_format_->setObjectName("ckptFormatBox");
    ckpt_format_->addItem(tr("torch: legacy mp_rank_* files"), QStringLiteral("torch"));
    ckpt_format_->addItem(tr("torch_dist: distributed checkpoint"), QStringLiteral("torch_dist"));
    ckpt_format_->setToolTip(tr("Megatron-LM's --ckpt-format the output is written in"));
    attn_ = new QLineEdit(this);
    attn_->setPlaceholderText(tr("layers kept as attention, e.g. 0,2,4,...,46,47 (from the Pattern tab)"));
    dry_run_ = new QCheckBox(tr("dry run (plan only, write nothing): files, bytes and free space"), this);
    dry_run_->setObjectName("dryRun");
    overwrite_ = new QCheckBox(tr("Overwrite the output folder if it exists (only a previous Strata output)"), this);
    overwrite_->setObjectName("overwriteOutput");
    force_space_ = new QCheckBox(tr("Write even without enough free space"), this);
    force_space_->setObjectName("forceSpace");
    force_space_->setToolTip(
        tr("The CLI's --force-space: skip the free-space refusal (the write may fail when the disk fills)"));
    browse_ = new QPushButton(tr("Browse…"), this);
    browse_->setObjectName("browseOutput");
    connect(browse_, &QPushButton::clicked, this, &ConvertDialog::browse_output);
    plan_table_ = new QTableWidget(0, 4, this);
    plan_table_->setObjectName("planTable");
    plan_table_->setHorizontalHeaderLabels({tr("Output file"), tr("Rank"), tr("Tensors"), tr("Bytes")});
    plan_table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    plan_table_->verticalHeader()->hide();
    plan_table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    plan_table_->hide();
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    log_ = new QPlainTextEdit(this);
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(2000);
    result_ = new QLabel(this);
    result_->setWordWrap(true);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    run_ = new QPushButton(tr("Run"), this);
    cancel_ = new QPushButton(tr("Cancel"), this);
    open_result_ = new QPushButton(tr("Open result"), this);
    open_result_->setObjectName("openResult");
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
    auto* output_row = new QHBoxLayout;
    output_row->addWidget(output_, 1);
    output_row->addWidget(browse_);
    form->addRow(tr("Output folder"), output_row);
    form->addRow(tr("Target"), target_);
    form->addRow(tr("Megatron plan"), plan);
    form->addRow(tr("Megatron format"), ckpt_format_);
    form->addRow(tr("Hybrid attn_layers"), attn_);
    form->addRow(tr("DType"), dtype_);
    form->addRow(QString(), dry_run_);
    form->addRow(QString(), overwrite_);
    form->addRow(QString(), force_space_);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(open_result_);
    buttons->addWidget(cancel_);
    buttons->addWidget(run_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(progress_);
    layout->addWidget(plan_table_, 1);
    layout->addWidget(log_, 1);
    layout->addWidget(result_);
    layout->addLayout(buttons);
    resize(760, 620);

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
    connect(ctx_->runner(), &TaskRunner::task_progress, this,
            [this](int id, const QString&, double f, const QString&, const QString& line) {
                if (task_ && task_->id == id) {
                    progress_->setValue(int(f * 1000));
                    progress_->setFormat(line);  // bytes done / total, rate, ETA (core describe_progress)
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
    ckpt_format_->setEnabled(t == Megatron);
    attn_->setEnabled(t == HybridMamba2);
    dtype_->setEnabled(t != HybridMamba2);  // hybridize keeps the source dtype
}

// Beside the checkpoint: a folder source gets a sibling folder; a file inside a checkpoint
// folder (one with config.json) gets a sibling of that folder, never a folder inside the source.
QString ConvertDialog::default_output() const {
    const QFileInfo fi(source());
    const QString suffix = "-" + target_->currentText();
    if (fi.isFile() && QFileInfo::exists(fi.absolutePath() + "/config.json")) {
        const QFileInfo folder(fi.absolutePath());
        return folder.absolutePath() + "/" + folder.fileName() + suffix;
    }
    return fi.absolutePath() + "/" + fi.completeBaseName() + suffix;
}

void ConvertDialog::browse_output() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Output folder (created by the conversion)"), output(),
                                                      QString(), nullptr, QFileDialog::ShowDirsOnly);
    if (!path.isEmpty()) set_output(path);
}

void ConvertDialog::show_planned_files(const std::vector<PlannedFileRow>& files) {
    plan_table_->setSortingEnabled(false);
    plan_table_->setRowCount(int(files.size()));
    for (int r = 0; r < int(files.size()); ++r) {
        const PlannedFileRow& f = files[size_t(r)];
        plan_table_->setItem(r, 0, new QTableWidgetItem(f.path));
        plan_table_->setItem(r, 1, new QTableWidgetItem(f.rank));
        auto* tensors = new QTableWidgetItem;
        tensors->setData(Qt::DisplayRole, qulonglong(f.tensors));
        plan_table_->setItem(r, 2, tensors);
        auto* bytes = new QTableWidgetItem(QLocale().toString(qulonglong(f.bytes)));
        bytes->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        bytes->setToolTip(q(format_byte_size(f.bytes)));
        plan_table_->setItem(r, 3, bytes);
    }
    plan_table_->setVisible(!files.empty());
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
        o.overwrite = overwrite_->isChecked();
        o.force_space = force_space_->isChecked();
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
        if (auto f = parse_megatron_ckpt_format(ckpt_format_->currentData().toString().toStdString()))
            o.ckpt_format = *f;
        if (dtype_->currentIndex() > 0) o.dtype = parse_dtype(dtype_->currentText().toStdString());
        o.dry_run = dry;
        o.overwrite = overwrite_->isChecked();
        o.force_space = force_space_->isChecked();
        work = [o](ProgressSink& p, const CancelToken& c) { return run_convert(o, p, c); };
    }
    // The GUI's --force is a choice made on screen: an existing output is replaced only when ticked.
    if (!dry && QFileInfo::exists(output()) && !overwrite_->isChecked()) {
        const QString msg = tr("%1 already exists. Tick \"Overwrite the output folder\" to replace it (only a "
                               "previous Strata output can be), or choose another output folder.")
                                .arg(output());
        result_->setText(msg);
        open_result_->setEnabled(true);  // what is there can still be opened
        Q_EMIT finished_conversion(false, msg);
        return false;
    }
    log_->appendPlainText(tr("%1 %2 → %3 (%4)")
                              .arg(target_->currentIndex() == HybridMamba2 ? tr("hybridize") : tr("convert"), source(),
                                   output(), target_->currentText()));
    result_->clear();
    plan_table_->hide();
    progress_->setValue(0);
    run_->setEnabled(false);
    cancel_->setEnabled(true);
    open_result_->setEnabled(false);
    task_ = ctx_->runner()->run<Result<RunOutcome>>(tr("Converting"), std::move(work), this, [this](Result<RunOutcome> r) {
        if (!r) return finish(false, QString::fromStdString(r.status().to_string()), false);
        for (const QString& line : r->log) log_->appendPlainText(line);
        show_planned_files(r->files);
        progress_->setValue(1000);
        progress_->setFormat(QStringLiteral("%p%"));
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
