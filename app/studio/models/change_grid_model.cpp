#include "models/change_grid_model.h"

#include <QBrush>
#include <QColor>

#include <cmath>

#include "widgets/heatmap_widget.h"

namespace strata::studio {

ChangeGridModel::ChangeGridModel(QObject* parent) : QAbstractTableModel(parent) {}

void ChangeGridModel::set_grid(std::optional<ChangeGrid> grid) {
    beginResetModel();
    grid_ = std::move(grid);
    endResetModel();
}

int ChangeGridModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !grid_ ? 0 : int(grid_->rows.size());
}

int ChangeGridModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() || !grid_ ? 0 : int(grid_->columns.size());
}

// Linear in the relative change: the largest cell is the top of the scale.
QColor ChangeGridModel::cell_colour(double rel) const {
    const double t = grid_->max_relative_l2 > 0 ? rel / grid_->max_relative_l2 : 1.0;
    return QColor(HeatmapWidget::colour(0.15 + 0.85 * std::min(1.0, t), false));
}

QVariant ChangeGridModel::data(const QModelIndex& index, int role) const {
    if (!grid_ || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const ChangeCell& c = grid_->cells[size_t(index.row())][size_t(index.column())];
    const double rel = c.relative_l2();
    switch (role) {
        case Qt::DisplayRole:
            return c.changed ? QString::number(rel, 'g', 3) : QStringLiteral("·");
        case Qt::TextAlignmentRole:
            return int(Qt::AlignCenter);
        case Qt::BackgroundRole:
            if (c.elements == 0) return QBrush(QColor(248, 248, 248));
            if (c.changed == 0) return QBrush(QColor(232, 232, 232));
            return QBrush(cell_colour(rel));
        case Qt::ForegroundRole:  // white on the dark end of the scale, black on the bright end
            if (c.changed && cell_colour(rel).lightness() < 140) return QBrush(Qt::white);
            return {};
        case Qt::ToolTipRole:
            return tr("%1, %2\nrelative L2 change %3\n%4 of %5 elements changed (%6%)")
                .arg(QString::fromStdString(grid_->rows[size_t(index.row())]),
                     QString::fromStdString(grid_->columns[size_t(index.column())]))
                .arg(rel, 0, 'g', 4)
                .arg(qulonglong(c.changed))
                .arg(qulonglong(c.elements))
                .arg(100.0 * c.changed_fraction(), 0, 'f', 2);
        case Qt::UserRole:
            return rel;
        default:
            return {};
    }
}

QVariant ChangeGridModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (!grid_ || role != Qt::DisplayRole || section < 0) return {};
    const auto& names = orientation == Qt::Horizontal ? grid_->columns : grid_->rows;
    if (size_t(section) >= names.size()) return {};
    return QString::fromStdString(names[size_t(section)]);
}

}  // namespace strata::studio
