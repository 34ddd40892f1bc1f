#include "models/value_block_model.h"

#include <QColor>

#include <cmath>

namespace strata::studio {

ValueBlockModel::ValueBlockModel(QObject* parent) : QAbstractTableModel(parent) {}

void ValueBlockModel::set_block(ValueBlock block) {
    beginResetModel();
    block_ = std::move(block);
    endResetModel();
}

void ValueBlockModel::clear() { set_block({}); }

int ValueBlockModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(block_.rows); }
int ValueBlockModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(block_.cols); }

QVariant ValueBlockModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount()) return {};
    const double v = block_.values[size_t(index.row()) * block_.cols + size_t(index.column())];
    switch (role) {
        case Qt::DisplayRole: return QString::number(v, 'g', 6);
        case Qt::ToolTipRole: return QString::number(v, 'g', 17);
        case Qt::TextAlignmentRole: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        case Qt::ForegroundRole:
            if (!std::isfinite(v)) return QColor(Qt::red);
            if (v == 0) return QColor(Qt::gray);
            return {};
        default: return {};
    }
}

QVariant ValueBlockModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole) return {};
    const uint64_t base = orientation == Qt::Horizontal ? block_.col0 : block_.row0;
    return QString::number(base + uint64_t(section));
}

}  // namespace strata::studio
