// PatternPanel: the layer-pattern designer. State is one Megatron layer-symbol
// string; the HF layer strip, the attn_layers list and the pattern text are views
// of it through core/pattern (layers_from_megatron_pattern, format_index_list,
// megatron_pattern_from_layers...). Click a layer to cycle attention / Mamba2 /
// GDN, edit either text, pick a preset; counts, ratios and validation follow live.
// Usage: panel->toggle_hf_layer(3); panel->pattern_edit()->text();
#pragma once

#include <QWidget>

#include <string>

#include "strata/pattern/layer_pattern.h"

class QComboBox;
class QLabel;
class QLineEdit;
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
    // Mamba2 layer or the pattern does not map to HF layers.
    QString attn_layers() const;
    MegatronVersion version() const;

    QLineEdit* attn_edit() const { return attn_; }
    QLineEdit* pattern_edit() const { return pattern_; }
    QListWidget* messages() const { return messages_; }
    LayerStrip* strip() const { return strip_; }
    QComboBox* presets() const { return presets_; }

signals:
    void pattern_changed(const QString& symbols);

private:
    PatternOptions options() const;
    MlpKind mlp_kind() const;
    void set_symbols(std::string symbols, const QString& error = {});
    void refresh(const QString& error);

    std::string symbols_;
    int hf_layers_ = 0;
    QComboBox* presets_;
    QComboBox* version_;
    QComboBox* mlp_;
    LayerStrip* strip_;
    QLineEdit* attn_;
    QLineEdit* pattern_;
    QLabel* counts_;
    QListWidget* messages_;
};

}  // namespace strata::studio
