#include "models/forward_model.h"

#include <QBrush>
#include <QColor>

namespace strata::studio {

namespace {
constexpr int kComparisonColumns = 4;  // B top-1, max |Δ|, KL, top-1 agrees

QString label_of(const ForwardResult& r) {
    return QStringLiteral("%1, %2 layout, %3 s")
        .arg(QString::fromStdString(r.model_type), QString::fromStdString(r.layout))
        .arg(r.seconds, 0, 'f', 2);
}
}  // namespace

Result<ForwardRun> run_forward_panel(const std::string& a, const std::string& b, const std::string& tokens, int k,
                                     const ForwardOptions& options, ProgressSink& progress, const CancelToken& cancel) {
    ForwardRun run;
    STRATA_TRY(run.tokens, parse_token_list(tokens));
    if (run.tokens.empty()) return Status::invalid_argument("no token ids given");
    STRATA_TRY(ForwardResult ra, run_forward(std::filesystem::path(a), run.tokens, options, progress, cancel));
    run.label_a = label_of(ra);
    for (uint64_t t = 0; t < ra.tokens; ++t) run.top_a.push_back(top_tokens(ra.row(t), k));
    if (b.empty()) return run;
    STRATA_TRY(ForwardResult rb, run_forward(std::filesystem::path(b), run.tokens, options, progress, cancel));
    run.label_b = label_of(rb);
    for (uint64_t t = 0; t < rb.tokens; ++t) run.top1_b.push_back(top_tokens(rb.row(t), 1).front());
    STRATA_TRY(run.comparison, compare_logits(ra.logits, rb.logits, ra.tokens, ra.vocab));
    return run;
}

ForwardModel::ForwardModel(QObject* parent) : QAbstractTableModel(parent) {}

void ForwardModel::set_run(std::shared_ptr<const ForwardRun> run) {
    beginResetModel();
    run_ = std::move(run);
    endResetModel();
}

int ForwardModel::top_k() const { return run_ && !run_->top_a.empty() ? int(run_->top_a.front().size()) : 0; }

int ForwardModel::comparison_column() const { return run_ && run_->comparison ? FirstTop + top_k() : -1; }

int ForwardModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !run_ ? 0 : int(run_->top_a.size());
}

int ForwardModel::columnCount(const QModelIndex& parent) const {
    if (parent.isValid() || !run_) return 0;
    return FirstTop + top_k() + (run_->comparison ? kComparisonColumns : 0);
}

QVariant ForwardModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const int row = index.row(), col = index.column();
    if (role == Qt::TextAlignmentRole) return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (col == Position) return role == Qt::DisplayRole ? QVariant(row) : QVariant();
    if (col == Token) return role == Qt::DisplayRole ? QVariant(run_->tokens[size_t(row)]) : QVariant();
    if (col < FirstTop + top_k()) {
        const TopToken& t = run_->top_a[size_t(row)][size_t(col - FirstTop)];
        if (role == Qt::DisplayRole) return QStringLiteral("%1  %2").arg(t.id).arg(t.prob, 0, 'g', 3);
        if (role == Qt::ToolTipRole) return tr("token %1, logit %2, p = %3").arg(t.id).arg(t.logit).arg(t.prob);
        if (role == Qt::UserRole) return t.id;
        return {};
    }
    return comparison_data(row, col - FirstTop - top_k(), role);
}

QVariant ForwardModel::comparison_data(int row, int which, int role) const {
    const PositionDiff& d = run_->comparison->positions[size_t(row)];
    const bool agree = d.top1_a == d.top1_b;
    if (role == Qt::BackgroundRole && which == 3) return QBrush(agree ? QColor(218, 242, 220) : QColor(250, 205, 205));
    if (role == Qt::UserRole) {
        switch (which) {
            case 0:
                return d.top1_b;
            case 1:
                return d.max_abs;
            case 2:
                return d.kl;
            default:
                return agree;
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (which) {
        case 0:
            return d.top1_b;
        case 1:
            return QString::number(d.max_abs, 'g', 4);
        case 2:
            return QString::number(d.kl, 'g', 4);
        default:
            return agree ? tr("yes") : tr("no");
    }
}

QVariant ForwardModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal || section < 0 || section >= columnCount()) return {};
    if (section == Position) return tr("Pos");
    if (section == Token) return tr("Token");
    if (section < FirstTop + top_k()) return tr("Top %1 (id  p)").arg(section - FirstTop + 1);
    const QString names[] = {tr("B top-1"), tr("Max |Δ logit|"), tr("KL(A‖B)"), tr("Top-1 agrees")};
    return names[section - FirstTop - top_k()];
}

}  // namespace strata::studio
