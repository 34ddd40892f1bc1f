// ForwardModel: the Forward tab's table over one immutable ForwardRun (built in a worker
// from core run_forward / top_tokens / compare_logits): a row per token position with its
// input id and the top-k next tokens of A ("id  p"), and, when B was run too, B's top-1,
// the max |Δ logit|, KL(A‖B) and whether the top-1 tokens agree.
// Usage: model->set_run(std::make_shared<const ForwardRun>(std::move(run))); view->setModel(model);
#pragma once

#include <QAbstractTableModel>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

#include "strata/forward/forward.h"
#include "strata/forward/logits_compare.h"

namespace strata::studio {

struct ForwardRun {
    std::vector<int32_t> tokens;
    std::vector<std::vector<TopToken>> top_a;  // per position, k entries
    std::vector<TopToken> top1_b;              // per position, when compared
    std::optional<LogitsComparison> comparison;
    QString label_a, label_b;  // "qwen3_moe, hf layout, 0.05 s"
};

// Worker side of Run: parse the ids, run A (and B), take the top-k and compare.
Result<ForwardRun> run_forward_panel(const std::string& a, const std::string& b, const std::string& tokens, int k,
                                     const ForwardOptions& options, ProgressSink& progress, const CancelToken& cancel);

class ForwardModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Position, Token, FirstTop };  // then k top columns, then the comparison columns
    explicit ForwardModel(QObject* parent = nullptr);
    void set_run(std::shared_ptr<const ForwardRun> run);
    void clear() { set_run(nullptr); }
    const ForwardRun* run() const { return run_.get(); }
    int top_k() const;
    // Column of the comparison values (B top-1, max |Δ|, KL, agree); -1 without a comparison.
    int comparison_column() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant comparison_data(int row, int which, int role) const;
    std::shared_ptr<const ForwardRun> run_;
};

}  // namespace strata::studio
