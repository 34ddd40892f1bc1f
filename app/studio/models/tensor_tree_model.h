// TensorTreeModel: a lazy QAbstractItemModel over an immutable TensorTree snapshot
// (built in a worker by build_tensor_tree). Rows are created on demand from the
// snapshot; set_tree() swaps a whole new snapshot in; sort() reorders children
// in place and keeps persistent indexes. It never touches files.
// Usage: model->set_tree(ckpt, tree); view->setModel(model); model->tensor_at(index);
#pragma once

#include <QAbstractItemModel>

#include <memory>

#include "models/tensor_tree.h"

namespace strata::studio {

class TensorTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { Name, DTypeCol, ShapeCol, Parameters, Bytes, File, ColumnCount };
    enum Role { FullNameRole = Qt::UserRole + 1, TensorIndexRole, SortKeyRole };

    explicit TensorTreeModel(QObject* parent = nullptr);

    // The checkpoint must outlive the snapshot's use; both are shared and immutable.
    void set_tree(std::shared_ptr<const Checkpoint> ckpt, std::shared_ptr<TensorTree> tree);
    void clear();
    const TensorInfo* tensor_at(const QModelIndex& index) const;
    QModelIndex index_of_tensor(const QString& name) const;
    uint32_t matched() const { return tree_ ? tree_->matched : 0; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    const TreeNode* node(const QModelIndex& index) const;
    QString full_name(int32_t node_id) const;
    void sort_children(int column, Qt::SortOrder order);
    void rebuild_rows();

    std::shared_ptr<const Checkpoint> ckpt_;
    std::shared_ptr<TensorTree> tree_;
    std::vector<int32_t> row_;  // row of each node within its parent
    int sort_column_ = -1;
    Qt::SortOrder sort_order_ = Qt::AscendingOrder;
};

// "1.23 GB", "512 B": decimal units as the HF Hub prints sizes.
QString human_bytes(uint64_t bytes);
// "30.5B", "3.3M", "768".
QString human_count(uint64_t count);

}  // namespace strata::studio
