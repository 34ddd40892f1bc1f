// TransferMatrixModel: core reshard_transfer() as a table: one row per source rank file and
// one column per target rank file, each cell the bytes that source sends that target, coloured
// by size; then the totals: a "sent" / "unsent" / "file" column per row and a "received" /
// "zero fill" / "file" row per column. cell_slices() lists a cell's canonical slices.
// Usage: model->set_diff(diff); auto slices = model->cell_slices(model->index(0, 0));
#pragma once

#include <QAbstractTableModel>
#include <QColor>

#include <memory>
#include <vector>

#include "strata/parallel/layout_diff.h"

namespace strata::studio {

// One slice a cell moves: canonical tensor and box, the source and target stored tensors.
struct CellSlice {
    QString canonical, box, source, target, bytes;
};

class TransferMatrixModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int kTotalColumns = 3;  // sent, unsent, file
    static constexpr int kTotalRows = 3;     // received, zero fill, file

    explicit TransferMatrixModel(QObject* parent = nullptr);
    void set_diff(std::shared_ptr<const LayoutDiff> diff);
    void clear();
    const LayoutDiff* diff() const { return diff_.get(); }
    int source_files() const;
    int target_files() const;
    // The transfer cell at a matrix index; null for a totals row or column.
    const TransferCell* cell(const QModelIndex& index) const;
    std::vector<CellSlice> cell_slices(const QModelIndex& index) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    uint64_t bytes_at(int row, int column, bool* total) const;
    QColor cell_colour(uint64_t bytes) const;
    std::shared_ptr<const LayoutDiff> diff_;
    uint64_t max_cell_ = 1;
};

}  // namespace strata::studio
