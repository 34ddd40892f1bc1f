#include "models/tensor_tree.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "strata/formats/checkpoint_summary.h"

namespace strata::studio {

namespace {

bool is_number(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(uint8_t(c)); });
}

// "model.layers.3.mlp.experts.7.up_proj.weight" -> model | layers.3 | mlp | experts.7 | up_proj | weight
std::vector<std::string> split_name(const std::string& name) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        std::string seg = name.substr(start, dot - start);
        if (is_number(seg) && !parts.empty() && dot != name.size()) parts.back() += "." + seg;
        else parts.push_back(std::move(seg));
        start = dot + 1;
    }
    return parts;
}

int32_t merge_code(int32_t a, int32_t b) { return a == -1 ? b : (a == b ? a : -2); }

}  // namespace

bool natural_less(const std::string& a, const std::string& b) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (std::isdigit(uint8_t(a[i])) && std::isdigit(uint8_t(b[j]))) {
            size_t ie = i, je = j;
            while (ie < a.size() && std::isdigit(uint8_t(a[ie]))) ++ie;
            while (je < b.size() && std::isdigit(uint8_t(b[je]))) ++je;
            // Compare digit runs by length first (no leading zeros in layer indices), then text.
            if (ie - i != je - j) return ie - i < je - j;
            const int c = a.compare(i, ie - i, b, j, je - j);
            if (c != 0) return c < 0;
            i = ie;
            j = je;
        } else {
            if (a[i] != b[j]) return a[i] < b[j];
            ++i;
            ++j;
        }
    }
    return a.size() - i < b.size() - j;
}

bool tensor_filter_matches(const std::string& filter, const std::string& name) {
    if (filter.empty()) return true;
    if (filter.find_first_of("*?[") != std::string::npos) return glob_match(filter, name);
    auto lower = [](std::string s) {
        for (auto& c : s) c = char(std::tolower(uint8_t(c)));
        return s;
    };
    return lower(name).find(lower(filter)) != std::string::npos;
}

Result<std::shared_ptr<TensorTree>> build_tensor_tree(const Checkpoint& ckpt, const std::string& filter,
                                                      const CancelToken& cancel) {
    auto tree = std::make_shared<TensorTree>();
    auto& nodes = tree->nodes;
    nodes.emplace_back();
    std::unordered_map<std::string, int32_t> group_of;  // "parent\x1flabel" -> node
    for (size_t ti = 0; ti < ckpt.tensors.size(); ++ti) {
        if ((ti & 1023) == 0) STRATA_RETURN_IF_ERROR(cancel.check());
        const TensorInfo& t = ckpt.tensors[ti];
        if (!tensor_filter_matches(filter, t.name)) continue;
        ++tree->matched;
        const auto parts = split_name(t.name);
        int32_t cur = 0;
        for (size_t p = 0; p + 1 < parts.size(); ++p) {
            std::string key = std::to_string(cur) + '\x1f' + parts[p];
            auto [it, inserted] = group_of.try_emplace(std::move(key), int32_t(nodes.size()));
            if (inserted) {
                TreeNode g;
                g.label = parts[p];
                g.parent = cur;
                nodes.push_back(std::move(g));
                nodes[size_t(cur)].children.push_back(it->second);
            }
            cur = it->second;
        }
        TreeNode leaf;
        leaf.label = parts.back();
        leaf.parent = cur;
        leaf.tensor = int32_t(ti);
        leaf.parameters = t.element_count();
        leaf.bytes = t.byte_size();
        leaf.tensor_count = 1;
        leaf.dtype = int32_t(t.dtype);
        leaf.file = int32_t(t.location.file);
        nodes[size_t(cur)].children.push_back(int32_t(nodes.size()));
        nodes.push_back(std::move(leaf));
    }
    // Children always come after their parent, so one backward pass sums every subtree.
    for (size_t i = nodes.size(); i-- > 1;) {
        const TreeNode& n = nodes[i];
        TreeNode& p = nodes[size_t(n.parent)];
        p.parameters += n.parameters;
        p.bytes += n.bytes;
        p.tensor_count += n.tensor_count;
        p.dtype = merge_code(p.dtype, n.dtype);
        p.file = merge_code(p.file, n.file);
    }
    for (auto& n : nodes) {
        if (n.tensor >= 0) continue;
        std::stable_sort(n.children.begin(), n.children.end(), [&](int32_t a, int32_t b) {
            const bool ga = nodes[size_t(a)].tensor < 0, gb = nodes[size_t(b)].tensor < 0;
            if (ga != gb) return ga;  // groups first, like a file browser
            return natural_less(nodes[size_t(a)].label, nodes[size_t(b)].label);
        });
    }
    return tree;
}

}  // namespace strata::studio
