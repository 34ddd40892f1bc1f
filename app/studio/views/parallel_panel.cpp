#include "views/parallel_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "strata/synth/synth.h"
#include "views/shard_view.h"

namespace strata::studio {

namespace {
const char* kOpenCheckpoint = "(open checkpoint)";
QString q(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

ParallelPanel::ParallelPanel(StudioContext* ctx, QWidget* parent) : QWidget(parent), ctx_(ctx) {
    model_ = new QComboBox(this);
    model_->addItem(tr(kOpenCheckpoint), QString());
    for (const auto& p : synth_presets()) model_->addItem(q(p.name), q(p.name));
    version_ = new QComboBox(this);
    for (auto v : {MegatronVersion::V0_15, MegatronVersion::V0_16, MegatronVersion::V0_17, MegatronVersion::Main})
        version_->addItem(QStringLiteral("Megatron-Core %1").arg(megatron_version_name(v)), int(v));
    version_->setCurrentIndex(1);
    pattern_ = new QLineEdit(this);
    pattern_->setPlaceholderText(tr("hybrid pattern (optional), e.g. from the Pattern tab"));
    auto make_spin = [this](int lo, int value, const QString& tip) {
        auto* s = new QSpinBox(this);
        s->setRange(lo, 4096);
        s->setValue(value);
        s->setToolTip(tip);
        connect(s, &QSpinBox::valueChanged, this, &ParallelPanel::recheck);
        return s;
    };
    tp_ = make_spin(1, 1, tr("tensor model parallel size"));
    pp_ = make_spin(1, 1, tr("pipeline model parallel size"));
    ep_ = make_spin(1, 1, tr("expert model parallel size"));
    etp_ = make_spin(0, 0, tr("expert tensor parallel size (0 = same as TP)"));
    cp_ = make_spin(1, 1, tr("context parallel size"));
    vpp_ = make_spin(1, 1, tr("virtual pipeline chunks per stage"));
    dp_ = make_spin(0, 0, tr("data parallel size (0 = 1)"));
    sp_ = new QCheckBox(tr("sequence parallel"), this);
    connect(sp_, &QCheckBox::toggled, this, &ParallelPanel::recheck);
    connect(pattern_, &QLineEdit::textChanged, this, &ParallelPanel::recheck);
    connect(version_, &QComboBox::currentIndexChanged, this, &ParallelPanel::recheck);
    connect(model_, &QComboBox::currentIndexChanged, this, &ParallelPanel::load_model);
    connect(ctx_, &StudioContext::current_changed, this, [this] {
        if (model_->currentIndex() == 0) load_model();
    });

    auto* axes = new QGridLayout;
    int col = 0;
    for (auto [label, spin] : {std::pair{"TP", tp_}, {"PP", pp_}, {"EP", ep_}, {"ETP", etp_}, {"CP", cp_},
                               {"VPP", vpp_}, {"DP", dp_}}) {
        axes->addWidget(new QLabel(QString::fromLatin1(label), this), 0, col);
        axes->addWidget(spin, 1, col++);
    }
    axes->addWidget(sp_, 1, col);
    auto* top = new QFormLayout;
    auto* model_row = new QHBoxLayout;
    model_row->addWidget(model_, 1);
    model_row->addWidget(version_);
    top->addRow(tr("Model"), model_row);
    top->addRow(tr("Pattern"), pattern_);
    model_info_ = new QLabel(this);
    model_info_->setWordWrap(true);
    verdict_ = new QLabel(this);
    verdict_->setTextFormat(Qt::RichText);
    table_ = new QTableWidget(0, 4, this);
    table_->setObjectName("checksTable");
    table_->setHorizontalHeaderLabels({tr("Check"), tr("Result"), tr("Message"), tr("Values that pass")});
    table_->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    table_->verticalHeader()->hide();
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setWordWrap(false);
    table_->verticalHeader()->setDefaultSectionSize(22);
    stages_ = new QListWidget(this);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(table_);
    auto* stage_box = new QWidget(this);
    auto* stage_layout = new QVBoxLayout(stage_box);
    stage_layout->setContentsMargins(0, 0, 0, 0);
    stage_layout->addWidget(new QLabel(tr("<b>Pipeline stages</b> (pipeline_layout)"), stage_box));
    stage_layout->addWidget(stages_);
    split->addWidget(stage_box);
    shards_ = new ShardView(ctx_->runner(), this);
    split->addWidget(shards_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setStretchFactor(2, 4);  // the shard bars and the ranks × layers grid need the room
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(model_info_);
    layout->addLayout(axes);
    layout->addWidget(verdict_);
    layout->addWidget(split, 1);
    load_model();
}

QSpinBox* ParallelPanel::spin(PlanAxis axis) const {
    switch (axis) {
        case PlanAxis::Tp: return tp_;
        case PlanAxis::Pp: return pp_;
        case PlanAxis::Ep: return ep_;
        case PlanAxis::Etp: return etp_;
        case PlanAxis::Cp: return cp_;
        case PlanAxis::Vpp: return vpp_;
        case PlanAxis::Dp: return dp_;
        default: return nullptr;
    }
}

bool ParallelPanel::set_model_preset(const QString& name) {
    const int i = model_->findData(name);
    if (i < 0) return false;
    model_->setCurrentIndex(i);
    load_model();
    return spec_.has_value();
}

void ParallelPanel::load_model() {
    spec_.reset();
    spec_error_.clear();
    nlohmann::json config;
    const QString preset = model_->currentData().toString();
    if (preset.isEmpty()) {
        if (ctx_->current()) config = ctx_->current()->hf_config;
        else spec_error_ = tr("No checkpoint is open: pick a preset model or open one.");
    } else if (const SynthPreset* p = find_synth_preset(preset.toStdString())) {
        config = p->config;
    }
    config_ = config;
    if (spec_error_.isEmpty()) {
        auto spec = model_spec_from_hf_config(config);
        if (spec) spec_ = std::move(spec).value();
        else spec_error_ = q(spec.status().to_string());
    }
    if (spec_)
        model_info_->setText(tr("%1: %2 layers, hidden %3, %4 heads / %5 KV groups, %6 experts, vocab %7")
                                 .arg(q(spec_->model_type))
                                 .arg(spec_->layers)
                                 .arg(spec_->hidden)
                                 .arg(spec_->heads)
                                 .arg(spec_->kv_heads)
                                 .arg(spec_->experts)
                                 .arg(spec_->vocab));
    else
        model_info_->setText(spec_error_);
    recheck();
}

ParallelPlan ParallelPanel::plan() const {
    ParallelPlan p;
    p.tp = tp_->value();
    p.pp = pp_->value();
    p.ep = ep_->value();
    p.etp = etp_->value();
    p.cp = cp_->value();
    p.vpp = vpp_->value();
    p.dp = dp_->value();
    p.sequence_parallel = sp_->isChecked();
    return p;
}

void ParallelPanel::recheck() {
    ctx_->set_plan(plan());
    checks_.clear();
    table_->setRowCount(0);
    stages_->clear();
    if (!spec_) {
        verdict_->setText(tr("<font color=gray>Checks are not available without a model.</font>"));
        shards_->clear(tr("no model"));
        return;
    }
    const auto version = MegatronVersion(version_->currentData().toInt());
    std::optional<LayerPattern> pattern;
    const std::string text = pattern_->text().trimmed().toStdString();
    if (!text.empty()) {
        auto p = parse_layer_pattern(text, version);
        if (!p) {
            verdict_->setText(tr("<font color=red>Pattern: %1</font>").arg(q(p.status().to_string()).toHtmlEscaped()));
            return;
        }
        pattern = std::move(p).value();
    }
    const ParallelPlan pl = plan();
    checks_ = check(*spec_, pattern, pl, version);
    table_->setRowCount(int(checks_.size()));
    int failures = 0;
    for (int r = 0; r < int(checks_.size()); ++r) {
        const PlanCheck& c = checks_[size_t(r)];
        const bool bad = !c.ok && c.severity == Severity::Error;
        failures += bad;
        const QColor bg = c.ok ? QColor(218, 242, 220) : bad ? QColor(250, 205, 205) : QColor(255, 236, 200);
        QStringList alts;
        for (int v : c.alternatives) alts << QString::number(v);
        QString alt_text;
        if (!c.ok && c.axis != PlanAxis::None)
            alt_text = alts.isEmpty() ? tr("none") : QStringLiteral("%1 ∈ {%2}").arg(plan_axis_name(c.axis), alts.join(", "));
        const QString cells[] = {q(c.name), c.ok ? tr("ok") : QString::fromLatin1(severity_name(c.severity)),
                                 q(c.message), alt_text};
        for (int col = 0; col < 4; ++col) {
            auto* item = new QTableWidgetItem(cells[col]);
            item->setBackground(bg);
            item->setToolTip(q(c.message + (c.source.empty() ? "" : "\n" + c.source)));
            table_->setItem(r, col, item);
        }
    }
    table_->resizeColumnToContents(0);
    table_->resizeColumnToContents(1);
    table_->resizeColumnToContents(3);
    if (failures == 0)
        shards_->request(config_, pl, pl.dp, pattern, version);
    else
        shards_->clear(tr("the plan fails its checks"));
    verdict_->setText(failures == 0
                          ? tr("<font color=green><b>The plan divides the model.</b></font>")
                          : tr("<font color=#b00000><b>%1 failing check(s).</b></font>").arg(failures));
    auto stages = pipeline_layout(*spec_, pattern, pl, version);
    if (!stages) {
        stages_->addItem(q(stages.status().to_string()));
        return;
    }
    for (const StageLayers& s : *stages)
        stages_->addItem(tr("PP rank %1, chunk %2: layers %3–%4 (%5)  %6")
                             .arg(s.pp_rank)
                             .arg(s.vp_stage)
                             .arg(s.first)
                             .arg(s.first + s.count - 1)
                             .arg(s.count)
                             .arg(q(s.symbols)));
}

}  // namespace strata::studio
