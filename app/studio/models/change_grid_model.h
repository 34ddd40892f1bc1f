// ChangeGridModel: core change_grid() as rank files × layers, each cell coloured by its
// relative L2 change ||A-B||/||A|| against the largest cell (grey: unchanged), with the
// value, the changed elements and their fraction in the tooltip.
// Usage: model->set_grid(grid); model->data(model->index(r, c), Qt::UserRole).toDouble();
#pragma once

#include <QAbstractTableModel>
#include <QColor>

#include <optional>

#include "strata/parallel/change_grid.h"

namespace strata::studio {

class ChangeGridModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit ChangeGridModel(QObject* parent = nullptr);
    void set_grid(std::optional<ChangeGrid> grid);
    const ChangeGrid* grid() const { return grid_ ? &*grid_ : nullptr; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    // DisplayRole: the relative L2 (3 digits) or "·"; UserRole: the relative L2 as a double.
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QColor cell_colour(double relative_l2) const;
    std::optional<ChangeGrid> grid_;
};

}  // namespace strata::studio
