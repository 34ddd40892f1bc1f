#include "views/inspector_panel.h"

#include <QAction>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include "models/tensor_tree_model.h"
#include "views/summary_panel.h"
#include "views/tensor_view.h"

namespace strata::studio {

namespace {
constexpr uint32_t kExpandAllBelow = 400;  // expand every group when a filter leaves this few tensors
}

InspectorPanel::InspectorPanel(StudioContext* ctx, QWidget* parent) : QWidget(parent), ctx_(ctx) {
    filter_ = new QLineEdit(this);
    filter_->setObjectName("filterEdit");
    filter_->setPlaceholderText(tr("Filter tensors: text or glob, e.g. *.experts.*.down_proj.*   (Ctrl+F)"));
    filter_->setClearButtonEnabled(true);
    count_ = new QLabel(this);
    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(200);
    connect(filter_, &QLineEdit::textChanged, debounce_, qOverload<>(&QTimer::start));
    auto* clear_filter = new QAction(tr("Clear filter"), filter_);
    clear_filter->setShortcut(QKeySequence(Qt::Key_Escape));
    clear_filter->setShortcutContext(Qt::WidgetShortcut);
    connect(clear_filter, &QAction::triggered, filter_, &QLineEdit::clear);
    filter_->addAction(clear_filter);
    connect(debounce_, &QTimer::timeout, this, &InspectorPanel::apply_filter);
    filter_->installEventFilter(this);  // lets the tree's Ctrl+E / Ctrl+Shift+E through

    model_ = new TensorTreeModel(this);
    tree_ = new QTreeView(this);
    tree_->setObjectName("tensorTree");
    tree_->setModel(model_);
    tree_->setUniformRowHeights(true);  // keeps scrolling O(visible rows) on 18k+ tensors
    tree_->setSortingEnabled(true);
    tree_->sortByColumn(-1, Qt::AscendingOrder);  // natural order until the user clicks a header
    tree_->setAlternatingRowColors(true);
    tree_->header()->setStretchLastSection(true);
    tree_->setColumnWidth(TensorTreeModel::Name, 230);
    tree_->setColumnWidth(TensorTreeModel::DTypeCol, 56);
    tree_->setColumnWidth(TensorTreeModel::ShapeCol, 110);
    tree_->setColumnWidth(TensorTreeModel::Parameters, 100);
    tree_->setColumnWidth(TensorTreeModel::Bytes, 72);
    connect(tree_->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& index) {
        const QVariant t = index.data(TensorTreeModel::TensorIndexRole);
        if (!t.isValid() || t.toInt() < 0 || !ctx_->current()) return;
        tensor_view_->set_tensor(ctx_->current()->ckpt, size_t(t.toInt()));
        side_->setCurrentWidget(tensor_view_);
        emit tensor_selected(index.data(TensorTreeModel::FullNameRole).toString());
    });

    auto* left = new QWidget(this);
    auto* left_layout = new QVBoxLayout(left);
    left_layout->setContentsMargins(0, 0, 0, 0);
    left_layout->addWidget(filter_);
    left_layout->addWidget(tree_, 1);
    left_layout->addWidget(count_);

    summary_ = new SummaryPanel(this);
    tensor_view_ = new TensorView(ctx_->runner(), this);
    side_ = new QTabWidget(this);
    side_->setObjectName("inspectorSideTabs");
    side_->addTab(summary_, tr("Summary"));
    side_->addTab(tensor_view_, tr("Tensor"));

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(side_);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({700, 580});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    connect(ctx_, &StudioContext::current_changed, this, &InspectorPanel::on_current_changed);
    on_current_changed();
}

QKeySequence InspectorPanel::expand_all_keys() { return QKeySequence(tr("Ctrl+E")); }
QKeySequence InspectorPanel::collapse_all_keys() { return QKeySequence(tr("Ctrl+Shift+E")); }

// QLineEdit takes Ctrl+E as "end of line" (a ShortcutOverride it accepts), so the window's
// expand / collapse shortcuts never fired from the filter box; those two keys go to the window.
bool InspectorPanel::eventFilter(QObject* watched, QEvent* event) {
    if (watched == filter_ && event->type() == QEvent::ShortcutOverride) {
        const QKeySequence pressed(static_cast<QKeyEvent*>(event)->keyCombination());
        if (pressed == expand_all_keys() || pressed == collapse_all_keys()) {
            event->ignore();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void InspectorPanel::on_current_changed() {
    ++filter_generation_;
    filter_pending_ = false;
    tensor_view_->clear();
    const auto& cur = ctx_->current();
    // A filter belongs to the checkpoint it was typed for: another checkpoint starts unfiltered
    // (a reload of the same path keeps it).
    const QString path = cur ? cur->path : QString();
    if (path != shown_path_) {
        QSignalBlocker block(filter_);
        filter_->clear();
        debounce_->stop();
    }
    shown_path_ = path;
    if (!cur) {
        model_->clear();
        summary_->clear();
        count_->clear();
        return;
    }
    summary_->show_summary(cur->path, cur->summary, cur->ckpt->config);
    side_->setCurrentWidget(summary_);
    if (filter_->text().isEmpty()) {
        model_->set_tree(cur->ckpt, cur->tree);
        after_tree_swap();
    } else {
        apply_filter();
    }
}

void InspectorPanel::set_filter(const QString& text) {
    {
        QSignalBlocker block(filter_);
        filter_->setText(text);
    }
    debounce_->stop();
    apply_filter();
}

void InspectorPanel::apply_filter() {
    const auto cur = ctx_->current();
    if (!cur) return;
    if (filter_task_) filter_task_->cancel.cancel();
    const int gen = ++filter_generation_;
    filter_pending_ = true;
    const std::string filter = filter_->text().trimmed().toStdString();
    auto ckpt = cur->ckpt;
    filter_task_ = ctx_->runner()->run<Result<std::shared_ptr<TensorTree>>>(
        tr("Filtering"),
        [ckpt, filter](ProgressSink&, const CancelToken& c) { return build_tensor_tree(*ckpt, filter, c); }, this,
        [this, gen, ckpt](Result<std::shared_ptr<TensorTree>> r) {
            if (gen != filter_generation_) return;
            filter_task_.reset();
            filter_pending_ = false;
            if (!r) return;
            model_->set_tree(ckpt, std::move(r).value());
            after_tree_swap();
        });
}

void InspectorPanel::after_tree_swap() {
    const auto& cur = ctx_->current();
    const uint32_t matched = model_->matched();
    if (!filter_->text().isEmpty() && matched <= kExpandAllBelow) tree_->expandAll();
    else tree_->expandToDepth(0);
    const QLocale loc;
    count_->setText(filter_->text().isEmpty()
                        ? tr("%1 tensors").arg(loc.toString(matched))
                        : tr("%1 of %2 tensors match").arg(loc.toString(matched), loc.toString(qulonglong(cur->summary.tensor_count))));
    emit filter_applied(int(matched));
}

bool InspectorPanel::select_tensor(const QString& name) {
    const QModelIndex idx = model_->index_of_tensor(name);
    if (!idx.isValid()) return false;
    tree_->scrollTo(idx);
    tree_->setCurrentIndex(idx);
    return true;
}

void InspectorPanel::focus_filter() {
    filter_->setFocus();
    filter_->selectAll();
}

void InspectorPanel::expand_all() { tree_->expandAll(); }
void InspectorPanel::collapse_all() { tree_->collapseAll(); }

}  // namespace strata::studio
