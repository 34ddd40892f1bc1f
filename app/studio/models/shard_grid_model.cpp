#include "models/shard_grid_model.h"

#include <QBrush>
#include <QColor>

#include <algorithm>
#include <cmath>

#include "models/tensor_tree_model.h"
#include "widgets/heatmap_widget.h"

namespace strata::studio {

ShardGridModel::ShardGridModel(QObject* parent) : QAbstractTableModel(parent) {}

void ShardGridModel::set_layout(std::shared_ptr<const ShardLayout> layout) {
    beginResetModel();
    layout_ = std::move(layout);
    grid_ = layout_ ? shard_grid(*layout_) : ShardGrid{};
    endResetModel();
}

void ShardGridModel::clear() { set_layout(nullptr); }

int ShardGridModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(grid_.cells.size()); }

int ShardGridModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(grid_.columns.size());
}

const ShardGridCell* ShardGridModel::cell(const QModelIndex& index) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return nullptr;
    return &grid_.cells[size_t(index.row())][size_t(index.column())];
}

QVariant ShardGridModel::data(const QModelIndex& index, int role) const {
    const ShardGridCell* c = cell(index);
    if (!c) return {};
    switch (role) {
        case Qt::BackgroundRole: {
            if (c->bytes == 0) return QBrush(QColor(240, 240, 240));
            // sqrt keeps small layers visible next to the embedding and head columns.
            const double t = std::sqrt(double(c->bytes) / double(std::max<uint64_t>(1, grid_.max_cell_bytes)));
            return QBrush(QColor(HeatmapWidget::colour(t, false)));
        }
        case Qt::ToolTipRole: {
            const RankShard& rk = layout_->ranks[size_t(index.row())];
            return tr("%1\n%2: %3 in %4 tensors")
                .arg(QString::fromStdString(rk.file), headerData(index.column(), Qt::Horizontal).toString(),
                     human_bytes(c->bytes))
                .arg(c->tensors.size());
        }
        case Qt::UserRole:
            return QVariant::fromValue<qulonglong>(c->bytes);
        default:
            return {};
    }
}

QVariant ShardGridModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    if (orientation == Qt::Horizontal) {
        if (section < 0 || size_t(section) >= grid_.columns.size()) return {};
        const QString name = QString::fromStdString(grid_.columns[size_t(section)]);
        return role == Qt::ToolTipRole && grid_.column_layer[size_t(section)] >= 0 ? tr("layer %1").arg(name) : name;
    }
    if (section < 0 || size_t(section) >= grid_.cells.size()) return {};
    const RankShard& rk = layout_->ranks[size_t(section)];
    if (rk.file.empty()) return QStringLiteral("HF");  // an unsharded layout (the Shard diff tab shows those too)
    if (role == Qt::ToolTipRole) return QString::fromStdString(rk.file);
    return QStringLiteral("TP%1 PP%2 EP%3").arg(rk.rank.tp).arg(rk.rank.pp).arg(rk.rank.ep);
}

std::vector<CellTensor> ShardGridModel::cell_tensors(const QModelIndex& index) const {
    const ShardGridCell* c = cell(index);
    if (!c) return {};
    const Layout& l = layout_->layout;
    const RankShard& rk = layout_->ranks[size_t(index.row())];
    std::vector<CellTensor> out;
    for (uint32_t t : c->tensors) {
        const LayoutTensor& lt = l.tensors[t];
        uint64_t n = 1;
        for (auto d : lt.shape) n *= d;
        CellTensor ct{QString::fromStdString(lt.name),
                      QString::fromStdString(shape_to_string(lt.shape)),
                      QString::fromUtf8(dtype_name(lt.dtype).data()),
                      human_bytes(n * std::max<uint64_t>(1, dtype_size(lt.dtype))),
                      {}};
        for (uint32_t s : c->slices)
            if (rk.slices[s].tensor == t)
                ct.slices << QStringLiteral("%1 %2").arg(
                    QString::fromStdString(l.canonical[rk.slices[s].canonical].name),
                    QString::fromStdString(box_to_string(rk.slices[s].box)));
        out.push_back(std::move(ct));
    }
    return out;
}

}  // namespace strata::studio
