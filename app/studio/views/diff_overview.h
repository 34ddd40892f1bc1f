// DiffOverview: the Diff tab's strip of one cell per decoder layer, coloured by the worst
// difference inside it (green: equal, red: a structural difference, a ramp for values),
// with the layer numbers under the cells that have room for them (layer_labels.h).
// Usage: overview->set_report(&report); overview->label_rect(3);
#pragma once

#include <QWidget>

#include <map>
#include <vector>

#include "strata/diff/diff.h"

namespace strata::studio {

class DiffOverview : public QWidget {
    Q_OBJECT
public:
    explicit DiffOverview(QWidget* parent = nullptr);
    void set_report(const DiffReport* report);  // null clears
    int layer_count() const { return worst_.empty() ? 0 : worst_.rbegin()->first + 1; }
    std::vector<int> labelled() const;  // the layers whose numbers are drawn, for this width and font
    QRect cell_rect(int layer) const;
    QRect label_rect(int layer) const;
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    double cell_width() const;
    int label_width() const;  // the widest layer number plus a gap

    std::map<int, double> worst_;  // layer -> largest max_rel of a value difference (0: equal)
    std::map<int, bool> structural_;
};

}  // namespace strata::studio
