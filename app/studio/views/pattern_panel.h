// PatternPanel: the layer-pattern designer. State is one Megatron layer-symbol
// string and the HF layer convention (core HfLayerConvention: M1's mixer + MLP
// pairs, or Nemotron-H's one HF layer per symbol); the HF layer strip, the
// attn_layers list and the pattern text are views of it through core/pattern
// (hf_layers_from_pattern, format_index_list, megatron_pattern_from_layers...).
// Click a layer to cycle it, edit either text, pick a preset or the open
// checkpoint's model; counts, ratios and validation follow live.
// Usage: panel->toggle_hf_layer(3); panel->pattern_edit()->text();
#pragma once

#include <QWidget>

#include <optional>
#include <string>

#include "strata/model/model_spec.h"
#include "strata/pattern/layer_pattern.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QListWidget;

namespace strata::studio {

class LayerStrip;

class PatternPanel : public QWidget {
    Q_OBJECT
public:
    explicit PatternPanel(QWidget* parent = nullptr);

    void apply_preset(int index);
    void toggle_hf_layer(int layer);
    void toggle_megatron_slot(int slot);
    bool set_attn_layers_text(const QString& text);  // false (and messages) on a parse error
    bool set_pattern_text(const QString& text);
    const std::string& symbols() const { return symbols_; }
    // The design as an M1 attn_layers list (core format_index_list); empty when it has no
    // Mamba2 layer, the pattern does not map to HF layers, or the layers are one per symbol
    // (attn_layers is M1's: a one-per-symbol model's layer list is its pattern).
    QString attn_layers() const;
    MegatronVersion version() const;
    HfLayerConvention convention() const;
    void set_convention(HfLayerConvention convention);
    // The open checkpoint's model (nullopt when none, or when it has no ModelSpec): listed as
    // the last preset, and shown at once when it is a hybrid (a transformer's design is kept:
    // it is likely the attn_layers to hybridize it with).
    void set_open_model(const std::optional<ModelSpec>& spec);

    QLineEdit* attn_edit() const { return attn_; }
    QLineEdit* pattern_edit() const { return pattern_; }
    // The Megatron-LM flags of the design (core megatron_flags), read-only, and its Copy button.
    QLineEdit* flags_edit() const { return flags_; }
    QPushButton* copy_flags_button() const { return copy_flags_; }
    QListWidget* messages() const { return messages_; }
    LayerStrip* strip() const { return strip_; }
    QComboBox* presets() const { return presets_; }
    QComboBox* convention_box() const { return convention_; }

signals:
    void pattern_changed(const QString& symbols);

private:
    PatternOptions options() const;
    MlpKind mlp_kind() const;
    Result<std::vector<LayerKind>> hf_layers() const;
    Result<std::string> apply_model(const ModelSpec& spec);
    void update_convention_widgets();
    void set_symbols(std::string symbols, const QString& error = {});
    void refresh(const QString& error);
    void show_preset_name();
    void show_flags();

    std::string symbols_;
    std::string preset_symbols_;  // the last applied preset's design ("(edited)" once they differ)
    int hf_layers_ = 0;
    QComboBox* presets_;
    QComboBox* version_;
    QComboBox* mlp_;
    QComboBox* convention_;
    QLabel* legend_;
    LayerStrip* strip_;
    QLineEdit* attn_;
    QLineEdit* pattern_;
    QLineEdit* flags_;
    QPushButton* copy_flags_;
    QLabel* counts_;
    QListWidget* messages_;
    std::optional<ModelSpec> open_model_;
    const QLineEdit* typing_in_ = nullptr;  // the field being typed in keeps its text while it is parsed
};

}  // namespace strata::studio
