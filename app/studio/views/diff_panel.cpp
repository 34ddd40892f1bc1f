#include "views/diff_panel.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "strata/formats/format_registry.h"
#include "views/diff_heatmap_view.h"
#include "views/diff_overview.h"
#include "widgets/path_drop.h"

namespace strata::studio {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QColor kind_colour(DiffKind k) {
    switch (k) {
        case DiffKind::Equal: return QColor(218, 242, 220);
        case DiffKind::Value: return QColor(255, 236, 200);
        default: return QColor(250, 205, 205);
    }
}

struct DiffOutcome {
    DiffReport report;
    std::shared_ptr<const DiffSources> sources;  // kept for the heatmaps of a clicked row
};

// Worker side of Run: open both checkpoints, read them as canonical views, diff.
Result<DiffOutcome> run_diff(const std::string& a, const std::string& b, double tolerance, ProgressSink& p,
                             const CancelToken& c) {
    auto src = std::make_shared<DiffSources>();
    STRATA_TRY(auto ca, open_checkpoint(a));
    src->a = std::make_unique<Checkpoint>(std::move(ca));
    STRATA_TRY(auto cb, open_checkpoint(b));
    src->b = std::make_unique<Checkpoint>(std::move(cb));
    STRATA_TRY(src->view_a, CanonicalView::open(*src->a));
    STRATA_TRY(src->view_b, CanonicalView::open(*src->b));
    STRATA_TRY(auto report, diff_views(*src->view_a, *src->view_b, {tolerance, 0}, p, c));
    return DiffOutcome{std::move(report), std::move(src)};
}

}  // namespace

DiffPanel::DiffPanel(StudioContext* ctx, QWidget* parent) : QWidget(parent), ctx_(ctx) {
    a_ = new QLineEdit(this);
    a_->setPlaceholderText(tr("checkpoint A (file or folder; any layout)"));
    a_->setObjectName("diffA");
    b_ = new QLineEdit(this);
    b_->setObjectName("diffB");
    b_->setPlaceholderText(tr("checkpoint B (type a path, or drop a file or folder here)"));
    accept_path_drops(a_);
    accept_path_drops(b_);
    auto* use_open = new QPushButton(tr("Use open checkpoint as A"), this);
    connect(use_open, &QPushButton::clicked, this, [this] {
        if (ctx_->current()) a_->setText(ctx_->current()->path);
    });
    tolerance_ = new QDoubleSpinBox(this);
    tolerance_->setDecimals(8);
    tolerance_->setRange(0, 1e6);
    tolerance_->setToolTip(tr("absolute tolerance per element (0 = exact)"));
    show_equal_ = new QCheckBox(tr("show equal tensors"), this);
    connect(show_equal_, &QCheckBox::toggled, this, &DiffPanel::show_report);
    run_ = new QPushButton(tr("Compare"), this);
    connect(run_, &QPushButton::clicked, this, [this] { run(); });
    verdict_ = new QLabel(this);
    verdict_->setTextFormat(Qt::RichText);
    overview_ = new DiffOverview(this);
    table_ = new QTableWidget(0, 7, this);
    table_->setObjectName("diffTable");
    table_->setHorizontalHeaderLabels(
        {tr("Tensor"), tr("Difference"), tr("DType A / B"), tr("Shape A / B"), tr("Differing"), tr("Max |a-b|"), tr("Max rel")});
    table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(22);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSortingEnabled(true);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    heatmaps_ = new DiffHeatmapView(ctx_->runner(), this);
    connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (const QTableWidgetItem* item = row >= 0 ? table_->item(row, 0) : nullptr) heatmaps_->show_tensor(item->text());
    });

    auto* grid = new QGridLayout;
    grid->addWidget(new QLabel(tr("A"), this), 0, 0);
    grid->addWidget(a_, 0, 1);
    grid->addWidget(use_open, 0, 2);
    grid->addWidget(new QLabel(tr("B"), this), 1, 0);
    grid->addWidget(b_, 1, 1);
    auto* opts = new QHBoxLayout;
    opts->addWidget(new QLabel(tr("Tolerance"), this));
    opts->addWidget(tolerance_);
    opts->addWidget(show_equal_);
    opts->addStretch();
    opts->addWidget(run_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(grid);
    layout->addLayout(opts);
    layout->addWidget(verdict_);
    layout->addWidget(overview_);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(table_);
    split->addWidget(heatmaps_);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    layout->addWidget(split, 1);
}

bool DiffPanel::select_tensor(const QString& name) {
    for (int r = 0; r < table_->rowCount(); ++r)
        if (table_->item(r, 0)->text() == name) {
            table_->setCurrentCell(r, 0);
            return true;
        }
    return false;
}

void DiffPanel::set_paths(const QString& a, const QString& b) {
    a_->setText(a);
    b_->setText(b);
}

bool DiffPanel::run() {
    if (task_ || a_->text().isEmpty() || b_->text().isEmpty()) return false;
    const std::string a = a_->text().trimmed().toStdString(), b = b_->text().trimmed().toStdString();
    const double tol = tolerance_->value();
    run_->setEnabled(false);
    verdict_->setText(tr("Comparing…"));
    heatmaps_->set_sources(nullptr);
    task_ = ctx_->runner()->run<Result<DiffOutcome>>(
        tr("Diff"), [a, b, tol](ProgressSink& p, const CancelToken& c) { return run_diff(a, b, tol, p, c); }, this,
        [this](Result<DiffOutcome> r) {
            task_.reset();
            run_->setEnabled(true);
            if (!r) {
                has_report_ = false;
                verdict_->setText(tr("<font color=#b00000>%1</font>").arg(q(r.status().to_string()).toHtmlEscaped()));
                overview_->set_report(nullptr);
                table_->setRowCount(0);
                Q_EMIT diff_finished(false);
                return;
            }
            report_ = std::move(r->report);
            heatmaps_->set_sources(std::move(r->sources));
            has_report_ = true;
            show_report();
            Q_EMIT diff_finished(true);
        });
    return true;
}

void DiffPanel::show_report() {
    if (!has_report_) return;
    const DiffReport& r = report_;
    verdict_->setText(tr("<b>%1</b> vs <b>%2</b>: %3 compared · <font color=#b00000>%4 missing · %5 extra · %6 shape · "
                         "%7 dtype</font> · <font color=#a06000>%8 values differ</font> · %9 equal")
                          .arg(q(r.layout_a).toHtmlEscaped(), q(r.layout_b).toHtmlEscaped())
                          .arg(r.compared)
                          .arg(r.count(DiffKind::Missing))
                          .arg(r.count(DiffKind::Extra))
                          .arg(r.count(DiffKind::Shape))
                          .arg(r.count(DiffKind::DType))
                          .arg(r.count(DiffKind::Value))
                          .arg(r.count(DiffKind::Equal)));
    overview_->set_report(&r);
    table_->setSortingEnabled(false);
    table_->setRowCount(0);
    for (const TensorDiff& t : r.tensors) {
        if (t.kind == DiffKind::Equal && !show_equal_->isChecked()) continue;
        const int row = table_->rowCount();
        table_->insertRow(row);
        const bool has_a = t.kind != DiffKind::Extra, has_b = t.kind != DiffKind::Missing;
        const QString dt = QStringLiteral("%1 / %2").arg(has_a ? QString::fromUtf8(dtype_name(t.dtype_a).data()) : "—",
                                                         has_b ? QString::fromUtf8(dtype_name(t.dtype_b).data()) : "—");
        const QString sh = QStringLiteral("%1 / %2").arg(has_a ? q(shape_to_string(t.shape_a)) : "—",
                                                         has_b ? q(shape_to_string(t.shape_b)) : "—");
        const QString cells[] = {q(t.name), QString::fromLatin1(diff_kind_name(t.kind)), dt, sh,
                                 QString::number(t.differing), QString::number(t.max_abs, 'g', 4),
                                 QString::number(t.max_rel, 'g', 4)};
        for (int c = 0; c < 7; ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c == 4) item->setData(Qt::DisplayRole, qulonglong(t.differing));  // numeric sort
            if (c == 5) item->setData(Qt::DisplayRole, t.max_abs);
            if (c == 6) item->setData(Qt::DisplayRole, t.max_rel);
            item->setBackground(kind_colour(t.kind));
            table_->setItem(row, c, item);
        }
    }
    table_->setSortingEnabled(true);
    table_->sortItems(5, Qt::DescendingOrder);  // largest absolute difference first
    table_->resizeColumnsToContents();
    table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
}

}  // namespace strata::studio
