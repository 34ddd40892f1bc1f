// ShardGridModel: ranks × layers of a Megatron plan (core shard_grid over shard_layout):
// one row per rank file, one column per decoder layer plus "embed" and "head", each cell
// coloured by the bytes that rank stores for that column. cell_tensors() lists what a cell
// holds: each stored tensor with the canonical slices (boxes) it carries.
// Usage: model->set_layout(std::make_shared<const ShardLayout>(std::move(sl))); view->setModel(model);
#pragma once

#include <QAbstractTableModel>
#include <QStringList>

#include <memory>
#include <vector>

#include "strata/parallel/shard_grid.h"

namespace strata::studio {

// One stored tensor of a grid cell and the canonical slices ("name [0:64, 0:32]") it holds.
struct CellTensor {
    QString name, shape, dtype, bytes;
    QStringList slices;
};

class ShardGridModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit ShardGridModel(QObject* parent = nullptr);
    void set_layout(std::shared_ptr<const ShardLayout> layout);
    void clear();
    const ShardGrid& grid() const { return grid_; }
    const ShardLayout* layout() const { return layout_.get(); }

    // The stored tensors of a cell, in file order, each with its canonical slices.
    std::vector<CellTensor> cell_tensors(const QModelIndex& index) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    const ShardGridCell* cell(const QModelIndex& index) const;
    std::shared_ptr<const ShardLayout> layout_;
    ShardGrid grid_;
};

}  // namespace strata::studio
