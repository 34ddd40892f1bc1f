#include "widgets/layer_labels.h"

#include <cmath>

namespace strata::studio {

int layer_label_step(int count, double cell_width, int label_width) {
    if (count <= 0 || !(cell_width > 0) || label_width <= 0) return 0;
    // 1, 2, 5, 10, 20, 50, ...: steps a reader can count along, as on a chart axis.
    const int kMantissas[] = {1, 2, 5};
    for (long long decade = 1; decade < count * 10LL; decade *= 10)
        for (int m : kMantissas)
            if (double(m * decade) * cell_width >= label_width) return int(m * decade);
    return 0;  // not even one label fits the whole row
}

std::vector<int> labelled_layers(int count, double cell_width, int label_width) {
    std::vector<int> out;
    const int step = layer_label_step(count, cell_width, label_width);
    if (step == 0) return out;
    const double row_end = count * cell_width;
    for (int i = 0; i < count; i += step)
        if (i * cell_width + label_width <= row_end + 0.5) out.push_back(i);  // 0.5: rounding of the cell edges
    return out;
}

}  // namespace strata::studio
