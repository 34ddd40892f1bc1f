// LayerStrip: two clickable rows of cells: the HF layers (one cell per layer,
// coloured by its mixer: attention / Mamba2 / GDN, or by its MLP for an MLP-only
// layer) and, under it, the Megatron layer sequence (one cell per pattern symbol).
// Clicking a cell emits its index; the owner decides what toggling means (core
// calls), then calls set_layers again.
// Usage: strip->set_layers(hf_layers, {}, "*-M-*-"); connect(strip, &LayerStrip::hf_layer_clicked, ...);
#pragma once

#include <QString>
#include <QWidget>

#include <vector>

#include "strata/model/model_spec.h"

namespace strata::studio {

class LayerStrip : public QWidget {
    Q_OBJECT
public:
    explicit LayerStrip(QWidget* parent = nullptr);
    // A non-empty hf_error greys the HF row and says why the pattern has no HF layers.
    void set_layers(const std::vector<LayerKind>& hf, const QString& hf_error, const QString& megatron_symbols);
    static QColor symbol_colour(QChar symbol);
    QRect hf_cell_rect(int layer) const;
    QRect megatron_cell_rect(int slot) const;
    QSize sizeHint() const override;

signals:
    void hf_layer_clicked(int layer);
    void megatron_slot_clicked(int slot);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    int cells_per_row() const;
    double hf_cell_width() const;
    std::vector<LayerKind> hf_;
    QString hf_error_;
    QString symbols_;
};

}  // namespace strata::studio
