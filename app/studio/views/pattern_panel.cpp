#include "views/pattern_panel.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <iterator>

#include "strata/model/architecture.h"
#include "strata/pattern/pattern_report.h"
#include "strata/synth/synth.h"
#include "widgets/layer_strip.h"

namespace strata::studio {

namespace {

struct Preset {
    const char* name;
    const char* source;
};
// Each preset is built by core calls in apply_preset(); sources say where it comes from.
const Preset kPresets[] = {
    {"Source workflow: Qwen3-30B-A3B → 96-slot hybrid (attn_layers 0,2,…,46,47)",
     "MindSpeed-LLM 2.1.0_mamba pretrain_qwen3_30b_a3b_4K_ptd_mamba.sh"},
    {"Megatron 8B hybrid (56 layers, ratios 0.08 / 0.5)", "Megatron-LM examples/mamba (8B Mamba2-Hybrid)"},
    {"Pure Mamba (56 layers)", "Megatron-LM examples/mamba"},
    {"Qwen3-Next: GDN, every 4th layer attention (48 layers, MoE)", "HF Qwen3-Next full_attention_interval 4"},
    {"Nemotron-H 8B: one HF layer per symbol (52 layers)",
     "synth preset nemotron-h-8b (nvidia/Nemotron-H-8B-Base-8K hybrid_override_pattern)"},
};
constexpr int kPresetCount = int(std::size(kPresets));
const char* kNemotronPreset = "nemotron-h-8b";

// The legend says what a click does under each convention (the cycles are toggle_hf_layer's
// and toggle_megatron_slot's).
const char* kLegend[] = {
    QT_TRANSLATE_NOOP("PatternPanel",
                      "Click a cell: HF layer cycles attention (*) → Mamba2 (M) → GDN (G); a Megatron "
                      "mixer slot cycles M → * → G, an MLP slot toggles - / E."),
    QT_TRANSLATE_NOOP("PatternPanel",
                      "One HF layer per symbol (Nemotron-H): click an HF layer or its Megatron slot "
                      "to cycle Mamba2 (M) → attention (*) → MLP (-) → MoE (E, Megatron 0.16+)."),
};

// A model the designer shows on open: one whose layers are not all attention (a transformer's
// design is kept, as it is most likely the attn_layers it is about to be hybridized with).
bool is_hybrid(const ModelSpec& spec) {
    return !spec.megatron_pattern.empty() || spec.has_mixer(MixerKind::Mamba2) ||
           spec.has_mixer(MixerKind::GatedDeltaNet) || spec.has_mixer(MixerKind::None);
}

QString q(const std::string& s) { return QString::fromStdString(s); }

constexpr int kPresetNameRole = Qt::UserRole + 1;  // a preset's own name, without "(edited)"

}  // namespace

PatternPanel::PatternPanel(QWidget* parent) : QWidget(parent) {
    presets_ = new QComboBox(this);
    for (const auto& p : kPresets) presets_->addItem(tr(p.name), QString::fromUtf8(p.source));
    version_ = new QComboBox(this);
    version_->setObjectName("patternVersion");
    for (auto v : {MegatronVersion::V0_15, MegatronVersion::V0_16, MegatronVersion::V0_17, MegatronVersion::Main})
        version_->addItem(QStringLiteral("Megatron-Core %1").arg(megatron_version_name(v)), int(v));
    version_->setCurrentIndex(1);
    mlp_ = new QComboBox(this);
    mlp_->addItem(tr("MoE written as '-' (MindSpeed)"));
    mlp_->addItem(tr("MoE as 'E'"));
    mlp_->addItem(tr("Dense MLP '-'"));
    convention_ = new QComboBox(this);
    convention_->setObjectName("conventionBox");
    // In HfLayerConvention's order.
    convention_->addItem(tr("HF layer = mixer + MLP slot (M1, GPT)"));
    convention_->addItem(tr("HF layer = one symbol (Nemotron-H)"));
    convention_->setToolTip(
        tr("How HF layers sit on the Megatron pattern; a preset or an opened model sets it from "
           "its family"));
    strip_ = new LayerStrip(this);
    attn_ = new QLineEdit(this);
    attn_->setObjectName("attnLayersEdit");
    attn_->setPlaceholderText(tr("attn_layers, e.g. 0,2,4,...,46,47"));
    pattern_ = new QLineEdit(this);
    pattern_->setObjectName("patternEdit");
    QFont mono("monospace");
    mono.setStyleHint(QFont::Monospace);
    pattern_->setFont(mono);
    flags_ = new QLineEdit(this);
    flags_->setObjectName("patternFlags");
    flags_->setReadOnly(true);
    flags_->setFont(mono);
    copy_flags_ = new QPushButton(tr("Copy"), this);
    copy_flags_->setObjectName("copyPatternFlags");
    copy_flags_->setToolTip(tr("Copy the Megatron-LM flags to the clipboard"));
    counts_ = new QLabel(this);
    counts_->setTextFormat(Qt::RichText);
    counts_->setWordWrap(true);
    messages_ = new QListWidget(this);
    messages_->setObjectName("patternMessages");

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Preset"), this));
    top->addWidget(presets_, 1);
    top->addWidget(version_);
    top->addWidget(mlp_);
    top->addWidget(convention_);
    auto* form = new QFormLayout;
    form->addRow(tr("attn_layers (HF)"), attn_);
    form->addRow(tr("Megatron pattern"), pattern_);
    auto* flags_row = new QHBoxLayout;
    flags_row->addWidget(flags_, 1);
    flags_row->addWidget(copy_flags_);
    form->addRow(tr("Megatron-LM flags"), flags_row);
    legend_ = new QLabel(this);
    legend_->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(legend_);
    layout->addWidget(strip_);
    layout->addLayout(form);
    layout->addWidget(counts_);
    layout->addWidget(new QLabel(tr("<b>Validation</b>"), this));
    layout->addWidget(messages_, 1);

    connect(copy_flags_, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(flags_->text()); });
    connect(strip_, &LayerStrip::hf_layer_clicked, this, &PatternPanel::toggle_hf_layer);
    connect(strip_, &LayerStrip::megatron_slot_clicked, this, &PatternPanel::toggle_megatron_slot);
    connect(attn_, &QLineEdit::textEdited, this, [this](const QString& t) {
        typing_in_ = attn_;
        set_attn_layers_text(t);
        typing_in_ = nullptr;
    });
    connect(pattern_, &QLineEdit::textEdited, this, [this](const QString& t) {
        typing_in_ = pattern_;
        set_pattern_text(t);
        typing_in_ = nullptr;
    });
    connect(presets_, &QComboBox::activated, this, &PatternPanel::apply_preset);
    connect(version_, &QComboBox::currentIndexChanged, this, [this] { set_symbols(symbols_); });
    connect(convention_, &QComboBox::currentIndexChanged, this, [this] {
        update_convention_widgets();
        set_symbols(symbols_);
    });
    connect(mlp_, &QComboBox::currentIndexChanged, this, [this] {
        // Re-derive the MLP symbols from the HF layers under the new choice.
        auto layers = hf_layers();
        if (!layers) return refresh({});
        for (auto& l : *layers)
            if (l.mlp != MlpKind::None) l.mlp = mlp_kind();
        auto pat = megatron_pattern_from_layers(*layers, options());
        if (pat) set_symbols(*pat);
        else refresh(q(pat.status().to_string()));
    });
    update_convention_widgets();
    apply_preset(0);
}

MegatronVersion PatternPanel::version() const { return MegatronVersion(version_->currentData().toInt()); }

HfLayerConvention PatternPanel::convention() const { return HfLayerConvention(convention_->currentIndex()); }

void PatternPanel::set_convention(HfLayerConvention convention) { convention_->setCurrentIndex(int(convention)); }

Result<std::vector<LayerKind>> PatternPanel::hf_layers() const {
    return hf_layers_from_pattern(symbols_, convention(), mlp_kind());
}

// attn_layers and the MoE-as-'-' choice are M1 notions: off, with the reason, for one layer per symbol.
void PatternPanel::update_convention_widgets() {
    const bool pairs = convention() == HfLayerConvention::MixerThenMlp;
    legend_->setText(tr(kLegend[pairs ? 0 : 1]));
    mlp_->setEnabled(pairs);
    mlp_->setToolTip(pairs ? QString() : tr("One HF layer per symbol writes MoE layers as 'E' and MLP layers as '-'"));
    attn_->setToolTip(pairs ? QString()
                            : tr("attn_layers is M1's list of the layers kept as attention; with one HF layer per "
                                 "symbol the Megatron pattern is the layer list"));
    attn_->setPlaceholderText(pairs ? tr("attn_layers, e.g. 0,2,4,...,46,47")
                                    : tr("not used: one HF layer per symbol (the pattern is the layer list)"));
}

QString PatternPanel::attn_layers() const {
    if (convention() != HfLayerConvention::MixerThenMlp) return {};
    auto layers = hf_layers();
    if (!layers) return {};
    std::vector<MixerKind> mixers;
    for (const auto& l : *layers) mixers.push_back(l.mixer);
    if (std::find(mixers.begin(), mixers.end(), MixerKind::Mamba2) == mixers.end()) return {};
    return q(format_index_list(attn_layers_from_mixers(mixers)));
}

MlpKind PatternPanel::mlp_kind() const { return mlp_->currentIndex() == 2 ? MlpKind::Dense : MlpKind::MoE; }

PatternOptions PatternPanel::options() const {
    PatternOptions o;
    o.version = version();
    // MoE written '-' is MindSpeed's M1 convention; one layer per symbol always writes 'E'.
    o.moe_as_mlp = convention() == HfLayerConvention::MixerThenMlp && mlp_->currentIndex() == 0;
    return o;
}

void PatternPanel::set_open_model(const std::optional<ModelSpec>& spec) {
    open_model_ = spec;
    if (presets_->count() > kPresetCount) presets_->removeItem(kPresetCount);
    if (!spec) return;
    presets_->addItem(tr("Open checkpoint: %1, %2 HF layers").arg(q(spec->model_type)).arg(spec->layer_kinds.size()),
                      tr("the open checkpoint's config"));
    if (is_hybrid(*spec)) apply_preset(kPresetCount);
}

// The model's own pattern, in the convention its family gives (core hf_layer_convention_for).
Result<std::string> PatternPanel::apply_model(const ModelSpec& spec) {
    convention_->setCurrentIndex(int(hf_layer_convention_for(spec)));
    update_convention_widgets();
    if (!spec.is_moe())
        mlp_->setCurrentIndex(2);
    else if (mlp_->currentIndex() == 2)
        mlp_->setCurrentIndex(1);
    if (!spec.megatron_pattern.empty()) return spec.megatron_pattern;  // read from Megatron args as written
    return megatron_pattern_from_layers(spec.layer_kinds, options());
}

void PatternPanel::apply_preset(int index) {
    presets_->setCurrentIndex(index);
    QSignalBlocker b1(version_), b2(mlp_), b3(convention_);
    if (index < kPresetCount) {
        convention_->setCurrentIndex(int(HfLayerConvention::MixerThenMlp));
        update_convention_widgets();
    }
    Result<std::string> pat = Status::invalid_argument("unknown preset");
    switch (index) {
        case 0: {  // M1 attn_layers over Qwen3-30B-A3B's 48 layers, MoE written '-' as MindSpeed does
            version_->setCurrentIndex(1);
            mlp_->setCurrentIndex(0);
            auto attn = parse_index_list("0,2,...,46,47", 48);
            if (!attn) return refresh(q(attn.status().to_string()));
            std::vector<LayerKind> layers;
            for (MixerKind m : mixers_from_attn_layers(*attn, 48)) layers.push_back({m, MlpKind::MoE});
            pat = megatron_pattern_from_layers(layers, options());
            break;
        }
        case 1:
            version_->setCurrentIndex(1);
            mlp_->setCurrentIndex(2);
            pat = pattern_from_ratios(56, 0.08, 0.5);
            break;
        case 2:
            version_->setCurrentIndex(1);
            mlp_->setCurrentIndex(2);
            pat = pattern_from_ratios(56, 0.0, 0.0);
            break;
        case 3: {
            version_->setCurrentIndex(2);
            mlp_->setCurrentIndex(1);
            std::vector<LayerKind> layers;
            for (MixerKind m : gdn_mixers_from_interval(48, 4)) layers.push_back({m, MlpKind::MoE});
            pat = megatron_pattern_from_layers(layers, options());
            break;
        }
        case 4: {  // the synth preset's config, read as any opened Nemotron-H (no second copy of the pattern)
            version_->setCurrentIndex(1);
            const SynthPreset* preset = find_synth_preset(kNemotronPreset);
            if (!preset) return refresh(tr("no synth preset %1").arg(kNemotronPreset));
            auto spec = model_spec_from_hf_config(preset->config);
            if (!spec) return refresh(q(spec.status().to_string()));
            pat = apply_model(*spec);
            break;
        }
        default:
            if (index == kPresetCount && open_model_) pat = apply_model(*open_model_);
    }
    if (!pat) return refresh(q(pat.status().to_string()));
    preset_symbols_ = *pat;
    set_symbols(*pat);
}

// The preset box names the preset while the design is the preset's, and says it was edited otherwise.
void PatternPanel::show_preset_name() {
    const int i = presets_->currentIndex();
    if (i < 0) return;
    QVariant name = presets_->itemData(i, kPresetNameRole);
    if (!name.isValid()) {
        name = presets_->itemText(i);
        presets_->setItemData(i, name, kPresetNameRole);
    }
    for (int j = 0; j < presets_->count(); ++j)  // a preset left earlier shows its own name again
        if (j != i && presets_->itemData(j, kPresetNameRole).isValid())
            presets_->setItemText(j, presets_->itemData(j, kPresetNameRole).toString());
    const bool edited = symbols_ != preset_symbols_;
    presets_->setItemText(i, edited ? tr("%1 (edited)").arg(name.toString()) : name.toString());
    presets_->setToolTip(edited ? tr("The design was edited after choosing this preset") : QString());
}

void PatternPanel::set_symbols(std::string symbols, const QString& error) {
    symbols_ = std::move(symbols);
    refresh(error);
    emit pattern_changed(q(symbols_));
}

void PatternPanel::toggle_hf_layer(int layer) {
    // One layer per symbol: HF layer i is slot i, and both cycle the same way.
    if (convention() == HfLayerConvention::OnePerSymbol) return toggle_megatron_slot(layer);
    auto layers = hf_layers();
    if (!layers || layer < 0 || layer >= int(layers->size())) return;
    MixerKind& m = (*layers)[size_t(layer)].mixer;
    const bool gdn_ok = is_layer_symbol(symbol::kGdn, version());
    m = m == MixerKind::Attention ? MixerKind::Mamba2
        : (m == MixerKind::Mamba2 && gdn_ok) ? MixerKind::GatedDeltaNet
                                             : MixerKind::Attention;
    auto pat = megatron_pattern_from_layers(*layers, options());
    if (!pat) return refresh(q(pat.status().to_string()));
    set_symbols(*pat);
}

void PatternPanel::toggle_megatron_slot(int slot) {
    if (slot < 0 || slot >= int(symbols_.size())) return;
    std::string s = symbols_;
    char& c = s[size_t(slot)];
    const MegatronVersion v = version();
    if (convention() == HfLayerConvention::OnePerSymbol)
        c = next_one_per_symbol_layer(c, v);
    else if (is_mixer_symbol(c))
        c = c == 'M' ? '*' : (c == '*' && is_layer_symbol('G', v)) ? 'G' : 'M';
    else if (is_mlp_symbol(c)) c = (c == '-' && is_layer_symbol('E', v)) ? 'E' : '-';
    set_symbols(std::move(s));
}

bool PatternPanel::set_attn_layers_text(const QString& text) {
    if (convention() != HfLayerConvention::MixerThenMlp) {
        refresh(
            tr("attn_layers is M1's list (an HF layer = a mixer + MLP slot); with one HF layer per symbol, edit "
               "the Megatron pattern"));
        return false;
    }
    const int n = hf_layers_ > 0 ? hf_layers_ : 48;
    auto attn = parse_index_list(text.toStdString(), n);
    if (!attn) {
        refresh(q(attn.status().to_string()));
        return false;
    }
    auto current = hf_layers();
    std::vector<LayerKind> layers;
    const auto mixers = mixers_from_attn_layers(*attn, n);
    for (size_t i = 0; i < mixers.size(); ++i) {
        const MlpKind mlp = current && i < current->size() ? (*current)[i].mlp : mlp_kind();
        layers.push_back({mixers[i], mlp});
    }
    auto pat = megatron_pattern_from_layers(layers, options());
    if (!pat) {
        refresh(q(pat.status().to_string()));
        return false;
    }
    symbols_ = *pat;
    refresh({});
    emit pattern_changed(q(symbols_));
    return true;
}

bool PatternPanel::set_pattern_text(const QString& text) {
    auto parsed = parse_layer_pattern(text.trimmed().toStdString(), version());
    if (!parsed) {
        refresh(q(parsed.status().to_string()));
        return false;
    }
    symbols_ = parsed->layers;
    refresh({});
    emit pattern_changed(q(symbols_));
    return true;
}

void PatternPanel::refresh(const QString& error) {
    messages_->clear();
    if (!error.isEmpty()) {
        auto* item = new QListWidgetItem(tr("error: %1").arg(error), messages_);
        item->setForeground(Qt::red);
    }
    const bool pairs = convention() == HfLayerConvention::MixerThenMlp;
    auto layers = hf_layers();
    std::vector<MixerKind> mixers;
    if (layers)
        for (const auto& l : *layers) mixers.push_back(l.mixer);
    hf_layers_ = int(mixers.size());
    QString hf_error;
    if (!layers)
        hf_error = pairs ? tr("This pattern has MLP layers with no mixer before them: no HF layer equivalent")
                         : tr("No HF layers: %1").arg(q(layers.status().message()));
    strip_->set_layers(layers ? *layers : std::vector<LayerKind>{}, hf_error, q(symbols_));
    // The field the user is typing in keeps its text (and cursor); every other change (a strip
    // click, a preset, the version) rewrites both, focused or not.
    if (typing_in_ != attn_)
        attn_->setText(layers && pairs ? q(format_index_list(attn_layers_from_mixers(mixers))) : QString());
    if (typing_in_ != pattern_) pattern_->setText(q(symbols_));
    show_preset_name();
    show_flags();
    attn_->setEnabled(layers.is_ok() && pairs);

    const LayerCounts c = count_layers(symbols_);
    const int total = std::max(1, c.total());
    auto pct = [&](int n) { return QStringLiteral("%1 (%2%)").arg(n).arg(100.0 * n / total, 0, 'f', 1); };
    QString text = tr("<b>%1</b> Megatron layers = <b>%2</b> HF layers%3 · attention %4 · Mamba %5 · GDN %6 · "
                      "MLP %7 · MoE %8")
                       .arg(c.total())
                       .arg(layers ? QString::number(mixers.size()) : tr("no"))
                       .arg(pairs ? QString() : tr(" (one per symbol)"))
                       .arg(pct(c.attention), pct(c.mamba), pct(c.gdn), pct(c.mlp), pct(c.moe));
    if (auto r = ratios_matching_counts(c))
        text += tr("<br>Ratio flags with the same counts: <code>--hybrid-attention-ratio %1 --hybrid-mlp-ratio %2</code>")
                    .arg(r->attention)
                    .arg(r->mlp);
    else
        text += tr("<br>No ratio pair allocates these counts: use ratios 0 with the override pattern.");
    counts_->setText(text);

    if (auto p = parse_layer_pattern(symbols_, version()); !p) {
        auto* item = new QListWidgetItem(tr("error: %1").arg(q(p.status().to_string())), messages_);
        item->setForeground(Qt::red);
    }
    if (layers && pairs && c.mamba > 0)  // M1's attn_layers rules apply to Mamba2 hybrids of an HF model
        for (const auto& m : validate_attn_layers(attn_layers_from_mixers(mixers), int(mixers.size()))) {
            auto* item = new QListWidgetItem(q((m.error ? "error: " : "warning: ") + m.text), messages_);
            item->setForeground(m.error ? QColor(Qt::red) : QColor(200, 120, 0));
        }
    if (messages_->count() == 0) {
        auto* item = new QListWidgetItem(tr("ok: the pattern is valid for %1").arg(version_->currentText()), messages_);
        item->setForeground(QColor(0, 140, 0));
    }
}

// The flags come from the same core report `strata pattern` prints them from; a pattern the
// version cannot take has none (the validation list says why).
void PatternPanel::show_flags() {
    PatternRequest request;
    request.pattern = symbols_;
    request.version = version();
    auto report = pattern_report(request);
    flags_->setText(report ? q(megatron_flags(*report)) : QString());
    flags_->setCursorPosition(0);  // show the flag names, not the tail of a long pattern
    flags_->setToolTip(report ? q(report->verdict.message) : q(report.status().message()));
    copy_flags_->setEnabled(report.is_ok());
}

}  // namespace strata::studio
