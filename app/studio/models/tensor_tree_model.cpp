#include "models/tensor_tree_model.h"

#include <QLocale>

#include <algorithm>

namespace strata::studio {

QString human_bytes(uint64_t bytes) {
    static const char* kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1000.0 && u < 5) {
        v /= 1000.0;
        ++u;
    }
    return u == 0 ? QStringLiteral("%1 B").arg(bytes) : QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : 1).arg(kUnits[u]);
}

QString human_count(uint64_t count) {
    static const char* kUnits[] = {"", "K", "M", "B", "T"};
    double v = double(count);
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        ++u;
    }
    return u == 0 ? QString::number(count) : QStringLiteral("%1%2").arg(v, 0, 'f', v < 10 ? 2 : 1).arg(kUnits[u]);
}

TensorTreeModel::TensorTreeModel(QObject* parent) : QAbstractItemModel(parent) {}

void TensorTreeModel::set_tree(std::shared_ptr<const Checkpoint> ckpt, std::shared_ptr<TensorTree> tree) {
    beginResetModel();
    ckpt_ = std::move(ckpt);
    tree_ = std::move(tree);
    if (tree_ && sort_column_ >= 0) sort_children(sort_column_, sort_order_);
    rebuild_rows();
    endResetModel();
}

void TensorTreeModel::clear() { set_tree(nullptr, nullptr); }

void TensorTreeModel::rebuild_rows() {
    row_.assign(tree_ ? tree_->nodes.size() : 0, 0);
    if (!tree_) return;
    for (const auto& n : tree_->nodes)
        for (size_t r = 0; r < n.children.size(); ++r) row_[size_t(n.children[r])] = int32_t(r);
}

const TreeNode* TensorTreeModel::node(const QModelIndex& index) const {
    if (!tree_) return nullptr;
    if (!index.isValid()) return &tree_->nodes[0];
    return &tree_->nodes[size_t(index.internalId())];
}

QModelIndex TensorTreeModel::index(int row, int column, const QModelIndex& parent) const {
    const TreeNode* p = node(parent);
    if (!p || row < 0 || column < 0 || column >= ColumnCount || size_t(row) >= p->children.size()) return {};
    if (parent.isValid() && parent.column() != 0) return {};
    return createIndex(row, column, quintptr(p->children[size_t(row)]));
}

QModelIndex TensorTreeModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || !tree_) return {};
    const int32_t p = tree_->nodes[size_t(child.internalId())].parent;
    if (p <= 0) return {};
    return createIndex(row_[size_t(p)], 0, quintptr(p));
}

int TensorTreeModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() && parent.column() != 0) return 0;
    const TreeNode* n = node(parent);
    return n ? int(n->children.size()) : 0;
}

int TensorTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QString TensorTreeModel::full_name(int32_t id) const {
    const TreeNode& n = tree_->nodes[size_t(id)];
    if (n.tensor >= 0) return QString::fromStdString(ckpt_->tensors[size_t(n.tensor)].name);
    QString name = QString::fromStdString(n.label);
    for (int32_t p = n.parent; p > 0; p = tree_->nodes[size_t(p)].parent)
        name.prepend(QString::fromStdString(tree_->nodes[size_t(p)].label) + '.');
    return name;
}

QVariant TensorTreeModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !tree_) return {};
    const TreeNode& n = *node(index);
    const TensorInfo* t = n.tensor >= 0 ? &ckpt_->tensors[size_t(n.tensor)] : nullptr;
    const int col = index.column();
    if (role == FullNameRole) return full_name(int32_t(index.internalId()));
    if (role == TensorIndexRole) return n.tensor;
    if (role == Qt::ToolTipRole) {
        if (t) return QStringLiteral("%1\n%2 %3").arg(full_name(int32_t(index.internalId())),
                                                     QString::fromUtf8(dtype_name(t->dtype).data()),
                                                     QString::fromStdString(shape_to_string(t->shape)));
        return tr("%1\n%2 tensors, %3 parameters").arg(full_name(int32_t(index.internalId()))).arg(n.tensor_count)
            .arg(QLocale().toString(qulonglong(n.parameters)));
    }
    if (role == Qt::TextAlignmentRole && (col == Parameters || col == Bytes))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::DisplayRole) {
        switch (col) {
            case Name:
                return n.tensor >= 0 ? QString::fromStdString(n.label)
                                     : QStringLiteral("%1  (%2)").arg(QString::fromStdString(n.label)).arg(n.tensor_count);
            case DTypeCol:
                return n.dtype >= 0 ? QString::fromUtf8(dtype_name(DType(n.dtype)).data())
                                    : (n.dtype == -2 ? tr("mixed") : QString());
            case ShapeCol: return t ? QString::fromStdString(shape_to_string(t->shape)) : QString();
            case Parameters: return QLocale().toString(qulonglong(n.parameters));
            case Bytes: return human_bytes(n.bytes);
            case File:
                if (n.file >= 0) return QString::fromStdString(ckpt_->files[size_t(n.file)].display_name);
                return n.file == -2 ? tr("several files") : QString();
        }
    }
    if (role == SortKeyRole) {
        switch (col) {
            case Parameters: return qulonglong(n.parameters);
            case Bytes: return qulonglong(n.bytes);
            default: return data(index, Qt::DisplayRole);
        }
    }
    return {};
}

QVariant TensorTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case Name: return tr("Name");
        case DTypeCol: return tr("DType");
        case ShapeCol: return tr("Shape");
        case Parameters: return tr("Parameters");
        case Bytes: return tr("Bytes");
        case File: return tr("File");
    }
    return {};
}

Qt::ItemFlags TensorTreeModel::flags(const QModelIndex& index) const {
    if (!index.isValid()) return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (node(index)->tensor >= 0) f |= Qt::ItemNeverHasChildren;
    return f;
}

void TensorTreeModel::sort_children(int column, Qt::SortOrder order) {
    auto& nodes = tree_->nodes;
    const Checkpoint* ck = ckpt_.get();
    auto shape_key = [&](const TreeNode& n) -> uint64_t {
        return n.tensor >= 0 ? ck->tensors[size_t(n.tensor)].element_count() : n.parameters;
    };
    auto file_key = [&](const TreeNode& n) { return n.file; };
    auto less = [&](int32_t ia, int32_t ib) {
        const TreeNode& a = nodes[size_t(ia)];
        const TreeNode& b = nodes[size_t(ib)];
        switch (column) {
            case DTypeCol: if (a.dtype != b.dtype) return a.dtype < b.dtype; break;
            case ShapeCol: if (shape_key(a) != shape_key(b)) return shape_key(a) < shape_key(b); break;
            case Parameters: if (a.parameters != b.parameters) return a.parameters < b.parameters; break;
            case Bytes: if (a.bytes != b.bytes) return a.bytes < b.bytes; break;
            case File: if (file_key(a) != file_key(b)) return file_key(a) < file_key(b); break;
            default:
                if ((a.tensor < 0) != (b.tensor < 0)) return a.tensor < 0;  // groups first
                break;
        }
        return natural_less(a.label, b.label);
    };
    for (auto& n : nodes) {
        if (n.children.empty()) continue;
        if (order == Qt::AscendingOrder) std::stable_sort(n.children.begin(), n.children.end(), less);
        else std::stable_sort(n.children.begin(), n.children.end(), [&](int32_t a, int32_t b) { return less(b, a); });
    }
}

void TensorTreeModel::sort(int column, Qt::SortOrder order) {
    sort_column_ = column;
    sort_order_ = order;
    if (!tree_) return;
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList before = persistentIndexList();
    sort_children(column, order);
    rebuild_rows();
    QModelIndexList after;
    after.reserve(before.size());
    for (const QModelIndex& i : before)
        after.push_back(i.isValid() ? createIndex(row_[size_t(i.internalId())], i.column(), i.internalId()) : QModelIndex());
    changePersistentIndexList(before, after);
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

const TensorInfo* TensorTreeModel::tensor_at(const QModelIndex& index) const {
    if (!index.isValid() || !tree_) return nullptr;
    const TreeNode& n = *node(index);
    return n.tensor >= 0 ? &ckpt_->tensors[size_t(n.tensor)] : nullptr;
}

QModelIndex TensorTreeModel::index_of_tensor(const QString& name) const {
    if (!tree_) return {};
    const std::string key = name.toStdString();
    for (size_t i = 1; i < tree_->nodes.size(); ++i) {
        const TreeNode& n = tree_->nodes[i];
        if (n.tensor >= 0 && ckpt_->tensors[size_t(n.tensor)].name == key)
            return createIndex(row_[i], 0, quintptr(i));
    }
    return {};
}

}  // namespace strata::studio
