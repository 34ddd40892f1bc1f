// ValueBlockModel: a table over one page of tensor values (a core ValueBlock,
// read in a worker). Headers show the absolute row and column indices of the
// page inside the matrix, so paging never loses the position.
// Usage: model->set_block(std::move(block)); view->setModel(model);
#pragma once

#include <QAbstractTableModel>

#include "strata/stats/tensor_stats.h"

namespace strata::studio {

class ValueBlockModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit ValueBlockModel(QObject* parent = nullptr);
    void set_block(ValueBlock block);
    void clear();
    const ValueBlock& block() const { return block_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    ValueBlock block_;
};

}  // namespace strata::studio
