#include "views/shard_diff_panel.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "models/change_grid_model.h"
#include "models/shard_grid_model.h"
#include "models/tensor_tree_model.h"  // human_bytes
#include "models/transfer_matrix_model.h"
#include "widgets/heatmap_widget.h"
#include "widgets/path_drop.h"

namespace strata::studio {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QTableView* grid_table(QAbstractItemModel* model, const char* name, QWidget* parent) {
    auto* view = new QTableView(parent);
    view->setObjectName(name);
    view->setModel(model);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->horizontalHeader()->setDefaultSectionSize(26);
    view->horizontalHeader()->setMinimumSectionSize(18);
    view->verticalHeader()->setDefaultSectionSize(20);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    return view;
}

// A colour scale as rich text: "0 [ramp] max (scale)", the ramp drawn with the models' colours.
QString legend_html(const QString& low, const QString& high, const QString& scale) {
    QString ramp;
    for (int i = 0; i <= 10; ++i) {
        const QColor c(HeatmapWidget::colour(0.15 + 0.85 * i / 10.0, false));
        ramp += QStringLiteral("<span style='background:%1'>&nbsp;&nbsp;</span>").arg(c.name());
    }
    return QObject::tr("Colour: %1 %2 %3 (%4)").arg(low.toHtmlEscaped(), ramp, high.toHtmlEscaped(), scale);
}

QWidget* titled(QLabel* label, QWidget* body, QWidget* parent) {
    auto* box = new QWidget(parent);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(label);
    layout->addWidget(body, 1);
    return box;
}

}  // namespace

ShardDiffPanel::ShardDiffPanel(StudioContext* ctx, QWidget* parent) : QWidget(parent), ctx_(ctx) {
    a_ = new QLineEdit(this);
    a_->setObjectName("shardDiffA");
    a_->setPlaceholderText(tr("A: checkpoint, preset, MODEL@tp=2,pp=2,ep=4, or a plan (tp=1,pp=4,ep=2)"));
    b_ = new QLineEdit(this);
    b_->setObjectName("shardDiffB");
    b_->setPlaceholderText(tr("B: as A; a bare plan such as tp=1,pp=4,ep=2 takes the other side's model"));
    accept_path_drops(a_);
    accept_path_drops(b_);
    auto* use_open = new QPushButton(tr("Use open checkpoint as A"), this);
    connect(use_open, &QPushButton::clicked, this, [this] {
        if (ctx_->current()) a_->setText(ctx_->current()->path);
    });
    // The open checkpoint is the natural A; a side the user typed is left alone.
    connect(ctx_, &StudioContext::current_changed, this, [this] {
        if (ctx_->current() && a_->text().isEmpty()) a_->setText(ctx_->current()->path);
    });
    run_ = new QPushButton(tr("Compare layouts"), this);
    connect(run_, &QPushButton::clicked, this, [this] { run(); });
    connect(a_, &QLineEdit::returnPressed, this, [this] { run(); });
    connect(b_, &QLineEdit::returnPressed, this, [this] { run(); });
    connect(a_, &QLineEdit::textChanged, this, &ShardDiffPanel::mark_stale);
    connect(b_, &QLineEdit::textChanged, this, &ShardDiffPanel::mark_stale);
    title_ = new QLabel(tr("Pick two layouts: two plans, a checkpoint and a plan, or two checkpoints."), this);
    title_->setObjectName("shardDiffTitle");
    title_->setTextFormat(Qt::RichText);
    title_->setWordWrap(true);
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    grid_a_ = new ShardGridModel(this);
    grid_b_ = new ShardGridModel(this);
    grid_a_title_ = new QLabel(tr("A: ranks × layers"), this);
    grid_b_title_ = new QLabel(tr("B: ranks × layers"), this);
    for (QLabel* l : {grid_a_title_, grid_b_title_}) {
        l->setTextFormat(Qt::RichText);
        l->setWordWrap(true);  // a long layout description must not push the other grid away
    }
    auto* grids = new QSplitter(Qt::Horizontal, this);
    grid_a_view_ = grid_table(grid_a_, "shardDiffGridA", this);
    grid_b_view_ = grid_table(grid_b_, "shardDiffGridB", this);
    grids->addWidget(titled(grid_a_title_, grid_a_view_, this));
    grids->addWidget(titled(grid_b_title_, grid_b_view_, this));

    matrix_ = new TransferMatrixModel(this);
    matrix_view_ = new QTableView(this);
    matrix_view_->setObjectName("transferMatrix");
    matrix_view_->setModel(matrix_);
    matrix_view_->setSelectionMode(QAbstractItemView::SingleSelection);
    matrix_view_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    matrix_view_->verticalHeader()->setDefaultSectionSize(20);
    matrix_view_->setStyleSheet("QTableView#transferMatrix::item:selected { border: 2px solid #d01c8b; }");
    connect(matrix_view_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) { show_cell(current); });
    slice_title_ = new QLabel(tr("Click a cell to list the tensor slices it moves."), this);
    slice_title_->setTextFormat(Qt::RichText);
    slice_title_->setWordWrap(true);
    slices_ = new QTreeWidget(this);
    slices_->setObjectName("transferSlices");
    slices_->setHeaderLabels({tr("Canonical tensor"), tr("Box"), tr("Bytes"), tr("From (A)"), tr("To (B)")});
    slices_->setRootIsDecorated(false);
    slices_->setUniformRowHeights(true);
    matrix_legend_ = new QLabel(this);
    matrix_legend_->setObjectName("transferLegend");
    matrix_legend_->setTextFormat(Qt::RichText);
    auto* matrix_box = new QWidget(this);
    auto* matrix_layout = new QVBoxLayout(matrix_box);
    matrix_layout->setContentsMargins(0, 0, 0, 0);
    matrix_layout->addWidget(matrix_view_, 1);
    matrix_layout->addWidget(matrix_legend_);
    auto* transfer = new QSplitter(Qt::Horizontal, this);
    transfer->addWidget(matrix_box);
    transfer->addWidget(titled(slice_title_, slices_, this));
    transfer->setStretchFactor(0, 3);
    transfer->setStretchFactor(1, 1);
    transfer->setSizes({900, 380});  // the matrix and its totals first; the slice list scrolls

    changes_ = new ChangeGridModel(this);
    change_view_ = grid_table(changes_, "changeGrid", this);
    change_view_->horizontalHeader()->setDefaultSectionSize(64);
    changes_note_ = new QLabel(this);
    changes_note_->setWordWrap(true);
    change_legend_ = new QLabel(this);
    change_legend_->setObjectName("changeLegend");
    change_legend_->setTextFormat(Qt::RichText);
    auto* change_box = titled(changes_note_, change_view_, this);
    change_box->layout()->addWidget(change_legend_);

    tabs_ = new QTabWidget(this);
    tabs_->addTab(transfer, tr("Transfer A → B"));
    tabs_->addTab(change_box, tr("Changed (A vs B)"));
    tabs_->setTabEnabled(1, false);  // until two checkpoints stored alike are compared

    auto* form = new QGridLayout;
    form->addWidget(new QLabel(tr("A"), this), 0, 0);
    form->addWidget(a_, 0, 1);
    form->addWidget(use_open, 0, 2);
    form->addWidget(new QLabel(tr("B"), this), 1, 0);
    form->addWidget(b_, 1, 1);
    form->addWidget(run_, 1, 2);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(grids);
    split->addWidget(tabs_);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(title_);
    layout->addWidget(split, 1);
}

void ShardDiffPanel::set_sides(const QString& a, const QString& b) {
    a_->setText(a);
    b_->setText(b);
}

void ShardDiffPanel::mark_stale() {
    if (!diff_ || stale_) return;
    stale_ = true;
    title_->setText(tr("<font color=#a06000><b>Stale</b>: A or B changed since this comparison; press Compare "
                       "layouts.</font><br>%1")
                        .arg(result_title_));
}

bool ShardDiffPanel::run() {
    if (task_ || a_->text().trimmed().isEmpty() || b_->text().trimmed().isEmpty()) return false;
    const std::string a = a_->text().trimmed().toStdString(), b = b_->text().trimmed().toStdString();
    run_->setEnabled(false);
    title_->setText(tr("Comparing layouts…"));
    task_ = ctx_->runner()->run<Result<std::shared_ptr<const LayoutDiff>>>(
        tr("Shard diff"),
        [a, b](ProgressSink& p, const CancelToken& c) -> Result<std::shared_ptr<const LayoutDiff>> {
            STRATA_TRY(LayoutDiff d, diff_layouts(a, b, p, c));
            return std::make_shared<const LayoutDiff>(std::move(d));
        },
        this,
        [this](Result<std::shared_ptr<const LayoutDiff>> r) {
            task_.reset();
            run_->setEnabled(true);
            stale_ = false;
            if (!r) {
                diff_.reset();
                result_title_.clear();
                grid_a_->clear();
                grid_b_->clear();
                matrix_->clear();
                changes_->set_grid(std::nullopt);
                changes_note_->clear();
                tabs_->setTabEnabled(1, false);
                tabs_->setCurrentIndex(0);
                slices_->clear();
                title_->setText(tr("<font color=#b00000>%1</font>").arg(q(r.status().to_string()).toHtmlEscaped()));
                Q_EMIT diff_finished(false);
                return;
            }
            diff_ = std::move(*r);
            show_diff();
            Q_EMIT diff_finished(true);
        });
    return true;
}

void ShardDiffPanel::show_diff() {
    const LayoutDiff& d = *diff_;
    auto side_title = [](const char* which, const LayoutSide& s) {
        return tr("<b>%1</b>: %2 — %3, %4 rank file(s), largest %5")
            .arg(QString::fromLatin1(which), q(s.name).toHtmlEscaped(), q(s.description).toHtmlEscaped())
            .arg(s.shards.ranks.size())
            .arg(human_bytes(s.shards.max_rank_bytes()));
    };
    grid_a_title_->setText(side_title("A", d.a));
    grid_b_title_->setText(side_title("B", d.b));
    grid_a_->set_layout(std::shared_ptr<const ShardLayout>(diff_, &d.a.shards));
    grid_b_->set_layout(std::shared_ptr<const ShardLayout>(diff_, &d.b.shards));
    for (QTableView* v :
         {grid_a_view_, grid_b_view_}) {  // layer columns stay narrow; "embed" and "head" need their names
        v->resizeColumnToContents(0);
        v->resizeColumnToContents(v->model()->columnCount() - 1);
    }
    matrix_->set_diff(diff_);
    matrix_view_->resizeColumnsToContents();
    matrix_legend_->setText(legend_html(tr("1 B"), human_bytes(d.transfer.max_cell_bytes()),
                                        tr("square root of the bytes; grey: nothing sent; blue-grey: totals")));
    slices_->clear();
    slice_title_->setText(tr("Click a cell to list the tensor slices it moves."));
    uint64_t a_bytes = 0, b_bytes = 0;
    for (auto v : d.transfer.source_bytes) a_bytes += v;
    for (auto v : d.transfer.target_bytes) b_bytes += v;
    result_title_ = tr("Reshard A → B moves <b>%1</b> from %2 rank file(s) (%3) to %4 rank file(s) (%5).")
                        .arg(human_bytes(d.transfer.total()))
                        .arg(d.transfer.source_bytes.size())
                        .arg(human_bytes(a_bytes))
                        .arg(d.transfer.target_bytes.size())
                        .arg(human_bytes(b_bytes));
    title_->setText(result_title_);
    changes_->set_grid(d.changes);
    if (d.changes) {
        changes_note_->setText(tr("Relative L2 change ||A−B|| / ||A|| per rank file and layer: %1 of %2 stored "
                                  "tensors changed, largest cell %3 (grey: unchanged).")
                                   .arg(d.changes->changed_tensors)
                                   .arg(d.changes->tensors)
                                   .arg(d.changes->max_relative_l2, 0, 'g', 3));
        change_view_->resizeColumnsToContents();
        change_legend_->setText(legend_html(tr("0"), QString::number(d.changes->max_relative_l2, 'g', 3),
                                            tr("relative L2, linear; grey: unchanged")));
    } else {
        changes_note_->setText(q(d.changes_note));
    }
    tabs_->setTabEnabled(1, d.changes.has_value());
    // Two checkpoints stored alike move nothing new (each file to itself): what changed is the news.
    tabs_->setCurrentIndex(d.changes ? 1 : 0);
}

bool ShardDiffPanel::select_matrix_cell(int source, int target) {
    if (!diff_ || source < 0 || target < 0 || source >= matrix_->source_files() || target >= matrix_->target_files())
        return false;
    tabs_->setCurrentIndex(0);
    const QModelIndex index = matrix_->index(source, target);
    matrix_view_->setCurrentIndex(index);
    matrix_view_->scrollTo(index);
    return true;
}

void ShardDiffPanel::show_cell(const QModelIndex& index) {
    slices_->clear();
    const TransferCell* cell = matrix_->cell(index);
    if (!cell) {
        slice_title_->setText(tr("Totals: click a cell inside the matrix to list its slices."));
        return;
    }
    const auto list = matrix_->cell_slices(index);
    slice_title_->setText(tr("<b>%1</b> → <b>%2</b>: %3 in %4 slice(s)")
                              .arg(matrix_->headerData(index.row(), Qt::Vertical).toString(),
                                   matrix_->headerData(index.column(), Qt::Horizontal).toString(),
                                   human_bytes(cell->bytes))
                              .arg(list.size()));
    QList<QTreeWidgetItem*> items;
    items.reserve(qsizetype(list.size()));
    for (const CellSlice& s : list)
        items.append(new QTreeWidgetItem({s.canonical, s.box, s.bytes, s.source, s.target}));
    slices_->addTopLevelItems(items);
    slices_->resizeColumnToContents(0);
    slices_->resizeColumnToContents(1);
}

}  // namespace strata::studio
