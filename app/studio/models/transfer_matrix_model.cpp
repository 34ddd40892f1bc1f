#include "models/transfer_matrix_model.h"

#include <QBrush>
#include <QColor>
#include <QStringList>

#include <cmath>

#include "models/tensor_tree_model.h"  // human_bytes
#include "widgets/heatmap_widget.h"

namespace strata::studio {

namespace {
// "PP1 EP0": the axes the plan splits (TP1 files need no "TP0"), so the matrix stays narrow.
QString rank_name(const LayoutFile& f, const ParallelPlan& plan) {
    if (f.path.empty()) return QStringLiteral("HF");
    QStringList parts;
    if (plan.tp > 1) parts << QStringLiteral("TP%1").arg(f.rank.tp);
    if (plan.pp > 1) parts << QStringLiteral("PP%1").arg(f.rank.pp);
    if (plan.ep > 1) parts << QStringLiteral("EP%1").arg(f.rank.ep);
    return parts.isEmpty() ? QStringLiteral("rank 0") : parts.join(' ');
}
}  // namespace

TransferMatrixModel::TransferMatrixModel(QObject* parent) : QAbstractTableModel(parent) {}

void TransferMatrixModel::set_diff(std::shared_ptr<const LayoutDiff> diff) {
    beginResetModel();
    diff_ = std::move(diff);
    max_cell_ = std::max<uint64_t>(1, diff_ ? diff_->transfer.max_cell_bytes() : 1);
    endResetModel();
}

void TransferMatrixModel::clear() { set_diff(nullptr); }

int TransferMatrixModel::source_files() const { return diff_ ? int(diff_->transfer.cells.size()) : 0; }
int TransferMatrixModel::target_files() const { return diff_ ? int(diff_->transfer.target_bytes.size()) : 0; }

int TransferMatrixModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !diff_ ? 0 : source_files() + kTotalRows;
}

int TransferMatrixModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() || !diff_ ? 0 : target_files() + kTotalColumns;
}

const TransferCell* TransferMatrixModel::cell(const QModelIndex& index) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return nullptr;
    if (index.row() >= source_files() || index.column() >= target_files()) return nullptr;
    return &diff_->transfer.cells[size_t(index.row())][size_t(index.column())];
}

// The bytes shown at (row, column): a matrix cell, a row total, a column total, or the grand total.
uint64_t TransferMatrixModel::bytes_at(int row, int column, bool* total) const {
    const ReshardTransfer& t = diff_->transfer;
    const int s = source_files(), k = target_files();
    *total = row >= s || column >= k;
    if (row < s && column < k) return t.cells[size_t(row)][size_t(column)].bytes;
    if (row < s) {
        switch (column - k) {
            case 0:
                return t.sent(size_t(row));
            case 1:
                return t.unsent[size_t(row)];
            default:
                return t.source_bytes[size_t(row)];
        }
    }
    if (column < k) {
        switch (row - s) {
            case 0:
                return t.received(size_t(column));
            case 1:
                return t.zero_fill[size_t(column)];
            default:
                return t.target_bytes[size_t(column)];
        }
    }
    // Corner: what everything sends (= what everything receives); the other corners stay empty.
    return row - s == 0 && column - k == 0 ? t.total() : 0;
}

QColor TransferMatrixModel::cell_colour(uint64_t bytes) const {
    const double t = std::sqrt(double(bytes) / double(max_cell_));  // sqrt: small cells stay visible
    return QColor(HeatmapWidget::colour(0.15 + 0.85 * t, false));
}

QVariant TransferMatrixModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || !diff_) return {};
    bool total = false;
    const uint64_t bytes = bytes_at(index.row(), index.column(), &total);
    switch (role) {
        case Qt::DisplayRole: {
            const bool corner = index.row() >= source_files() && index.column() >= target_files();
            if (corner && !(index.row() == source_files() && index.column() == target_files())) return QString();
            return bytes ? human_bytes(bytes) : QStringLiteral("·");
        }
        case Qt::TextAlignmentRole:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        case Qt::BackgroundRole: {
            if (total) return QBrush(QColor(232, 236, 242));
            if (bytes == 0) return QBrush(QColor(248, 248, 248));
            return QBrush(cell_colour(bytes));
        }
        case Qt::ForegroundRole:  // white on the dark end of the scale, black on the bright end
            if (total || bytes == 0) return {};
            return QBrush(cell_colour(bytes).lightness() < 140 ? Qt::white : Qt::black);
        case Qt::ToolTipRole: {
            if (const TransferCell* c = cell(index))
                return tr("%1 → %2\n%3 (%4 bytes) in %5 slice(s)")
                    .arg(headerData(index.row(), Qt::Vertical, Qt::ToolTipRole).toString(),
                         headerData(index.column(), Qt::Horizontal, Qt::ToolTipRole).toString(), human_bytes(c->bytes))
                    .arg(qulonglong(c->bytes))
                    .arg(c->slices.size());
            return QStringLiteral("%1 bytes").arg(qulonglong(bytes));
        }
        case Qt::UserRole:
            return QVariant::fromValue<qulonglong>(bytes);
        default:
            return {};
    }
}

QVariant TransferMatrixModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (!diff_ || (role != Qt::DisplayRole && role != Qt::ToolTipRole)) return {};
    if (orientation == Qt::Horizontal) {
        const int k = target_files();
        if (section < k) {
            const LayoutFile& f = diff_->b.shards.layout.files[size_t(section)];
            return role == Qt::ToolTipRole ? tr("B: %1").arg(QString::fromStdString(f.path.empty() ? "HF" : f.path))
                                           : rank_name(f, diff_->b.shards.layout.options.plan);
        }
        static const char* kNames[] = {QT_TR_NOOP("sent"), QT_TR_NOOP("unsent"), QT_TR_NOOP("file A")};
        static const char* kTips[] = {QT_TR_NOOP("bytes this source file sends (row sum)"),
                                      QT_TR_NOOP("bytes of this file no target needs (extra copies, padding)"),
                                      QT_TR_NOOP("bytes this source rank file stores")};
        if (section - k >= kTotalColumns) return {};
        return role == Qt::ToolTipRole ? tr(kTips[section - k]) : tr(kNames[section - k]);
    }
    const int s = source_files();
    if (section < s) {
        const LayoutFile& f = diff_->a.shards.layout.files[size_t(section)];
        return role == Qt::ToolTipRole ? tr("A: %1").arg(QString::fromStdString(f.path.empty() ? "HF" : f.path))
                                       : rank_name(f, diff_->a.shards.layout.options.plan);
    }
    static const char* kNames[] = {QT_TR_NOOP("received"), QT_TR_NOOP("zero fill"), QT_TR_NOOP("file B")};
    static const char* kTips[] = {QT_TR_NOOP("bytes this target file receives (column sum)"),
                                  QT_TR_NOOP("bytes of this file no source fills (vocab padding, written as zeros)"),
                                  QT_TR_NOOP("bytes this target rank file stores")};
    if (section - s >= kTotalRows) return {};
    return role == Qt::ToolTipRole ? tr(kTips[section - s]) : tr(kNames[section - s]);
}

std::vector<CellSlice> TransferMatrixModel::cell_slices(const QModelIndex& index) const {
    const TransferCell* c = cell(index);
    if (!c) return {};
    const Layout& a = diff_->a.shards.layout;
    const Layout& b = diff_->b.shards.layout;
    std::vector<CellSlice> out;
    out.reserve(c->slices.size());
    for (const TransferSlice& s : c->slices) {
        const LayoutTensor& st = a.tensors[s.source_tensor];
        out.push_back({QString::fromStdString(b.canonical[s.canonical].name),
                       QString::fromStdString(box_to_string(s.box)), QString::fromStdString(st.name),
                       QString::fromStdString(b.tensors[s.target_tensor].name),
                       human_bytes(s.box.numel() * std::max<uint64_t>(1, dtype_size(st.dtype)))});
    }
    return out;
}

}  // namespace strata::studio
