#include "views/pattern_panel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>

#include <algorithm>

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
};

QString q(const std::string& s) { return QString::fromStdString(s); }

}  // namespace

PatternPanel::PatternPanel(QWidget* parent) : QWidget(parent) {
    presets_ = new QComboBox(this);
    for (const auto& p : kPresets) presets_->addItem(tr(p.name), QString::fromUtf8(p.source));
    version_ = new QComboBox(this);
    for (auto v : {MegatronVersion::V0_15, MegatronVersion::V0_16, MegatronVersion::V0_17, MegatronVersion::Main})
        version_->addItem(QStringLiteral("Megatron-Core %1").arg(megatron_version_name(v)), int(v));
    version_->setCurrentIndex(1);
    mlp_ = new QComboBox(this);
    mlp_->addItem(tr("MoE written as '-' (MindSpeed)"));
    mlp_->addItem(tr("MoE as 'E'"));
    mlp_->addItem(tr("Dense MLP '-'"));
    strip_ = new LayerStrip(this);
    attn_ = new QLineEdit(this);
    attn_->setObjectName("attnLayersEdit");
    attn_->setPlaceholderText(tr("attn_layers, e.g. 0,2,4,...,46,47"));
    pattern_ = new QLineEdit(this);
    pattern_->setObjectName("patternEdit");
    QFont mono("monospace");
    mono.setStyleHint(QFont::Monospace);
    pattern_->setFont(mono);
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
    auto* form = new QFormLayout;
    form->addRow(tr("attn_layers (HF)"), attn_);
    form->addRow(tr("Megatron pattern"), pattern_);
    auto* legend = new QLabel(tr("Click a cell: HF layer cycles attention (*) → Mamba2 (M) → GDN (G); a Megatron "
                                 "mixer slot cycles M → * → G, an MLP slot toggles - / E."),
                              this);
    legend->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(legend);
    layout->addWidget(strip_);
    layout->addLayout(form);
    layout->addWidget(counts_);
    layout->addWidget(new QLabel(tr("<b>Validation</b>"), this));
    layout->addWidget(messages_, 1);

    connect(strip_, &LayerStrip::hf_layer_clicked, this, &PatternPanel::toggle_hf_layer);
    connect(strip_, &LayerStrip::megatron_slot_clicked, this, &PatternPanel::toggle_megatron_slot);
    connect(attn_, &QLineEdit::textEdited, this, [this](const QString& t) { set_attn_layers_text(t); });
    connect(pattern_, &QLineEdit::textEdited, this, [this](const QString& t) { set_pattern_text(t); });
    connect(presets_, &QComboBox::activated, this, &PatternPanel::apply_preset);
    connect(version_, &QComboBox::currentIndexChanged, this, [this] { set_symbols(symbols_); });
    connect(mlp_, &QComboBox::currentIndexChanged, this, [this] {
        // Re-derive the MLP symbols from the HF layers under the new choice.
        auto layers = layers_from_megatron_pattern(symbols_, mlp_kind());
        if (!layers) return refresh({});
        for (auto& l : *layers)
            if (l.mlp != MlpKind::None) l.mlp = mlp_kind();
        auto pat = megatron_pattern_from_layers(*layers, options());
        if (pat) set_symbols(*pat);
        else refresh(q(pat.status().to_string()));
    });
    apply_preset(0);
}

MegatronVersion PatternPanel::version() const { return MegatronVersion(version_->currentData().toInt()); }

QString PatternPanel::attn_layers() const {
    auto layers = layers_from_megatron_pattern(symbols_, mlp_kind());
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
    o.moe_as_mlp = mlp_->currentIndex() == 0;
    return o;
}

void PatternPanel::apply_preset(int index) {
    presets_->setCurrentIndex(index);
    QSignalBlocker b1(version_), b2(mlp_);
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
    }
    if (!pat) return refresh(q(pat.status().to_string()));
    set_symbols(*pat);
}

void PatternPanel::set_symbols(std::string symbols, const QString& error) {
    symbols_ = std::move(symbols);
    refresh(error);
    emit pattern_changed(q(symbols_));
}

void PatternPanel::toggle_hf_layer(int layer) {
    auto layers = layers_from_megatron_pattern(symbols_, mlp_kind());
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
    if (is_mixer_symbol(c)) c = c == 'M' ? '*' : (c == '*' && is_layer_symbol('G', v)) ? 'G' : 'M';
    else if (is_mlp_symbol(c)) c = (c == '-' && is_layer_symbol('E', v)) ? 'E' : '-';
    set_symbols(std::move(s));
}

bool PatternPanel::set_attn_layers_text(const QString& text) {
    const int n = hf_layers_ > 0 ? hf_layers_ : 48;
    auto attn = parse_index_list(text.toStdString(), n);
    if (!attn) {
        refresh(q(attn.status().to_string()));
        return false;
    }
    auto current = layers_from_megatron_pattern(symbols_, mlp_kind());
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
    auto layers = layers_from_megatron_pattern(symbols_, mlp_kind());
    std::vector<MixerKind> mixers;
    if (layers)
        for (const auto& l : *layers) mixers.push_back(l.mixer);
    hf_layers_ = int(mixers.size());
    strip_->set_layers(mixers, layers.is_ok(), q(symbols_));
    // Keep the field being typed in untouched; refresh the other one.
    if (!attn_->hasFocus()) attn_->setText(layers ? q(format_index_list(attn_layers_from_mixers(mixers))) : QString());
    if (!pattern_->hasFocus()) pattern_->setText(q(symbols_));
    attn_->setEnabled(layers.is_ok());

    const LayerCounts c = count_layers(symbols_);
    const int total = std::max(1, c.total());
    auto pct = [&](int n) { return QStringLiteral("%1 (%2%)").arg(n).arg(100.0 * n / total, 0, 'f', 1); };
    QString text = tr("<b>%1</b> Megatron layers = <b>%2</b> HF layers · attention %3 · Mamba %4 · GDN %5 · "
                      "MLP %6 · MoE %7")
                       .arg(c.total())
                       .arg(layers ? QString::number(mixers.size()) : tr("no"))
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
    if (layers && c.mamba > 0)  // M1's attn_layers rules apply to Mamba2 hybrids of an HF model
        for (const auto& m : validate_attn_layers(attn_layers_from_mixers(mixers), int(mixers.size()))) {
            auto* item = new QListWidgetItem(q((m.error ? "error: " : "warning: ") + m.text), messages_);
            item->setForeground(m.error ? QColor(Qt::red) : QColor(200, 120, 0));
        }
    if (messages_->count() == 0) {
        auto* item = new QListWidgetItem(tr("ok: the pattern is valid for %1").arg(version_->currentText()), messages_);
        item->setForeground(QColor(0, 140, 0));
    }
}

}  // namespace strata::studio
