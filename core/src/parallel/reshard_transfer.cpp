// ReshardTransfer: the target layout's pieces intersected with the source layout's, per
// canonical tensor, summed per (source file, target file).
#include "strata/parallel/reshard_transfer.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <unordered_map>

#include "strata/progress.h"  // format_byte_size

namespace strata {
namespace {

uint64_t numel_of(const Shape& shape) {
    uint64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

uint64_t element_bytes(DType dtype) { return std::max<uint64_t>(1, dtype_size(dtype)); }

// The copies of each distinct box of one canonical tensor, in piece (= file) order.
struct BoxCopies {
    const Box* box = nullptr;
    std::vector<uint32_t> pieces;
};

std::vector<BoxCopies> group_by_box(const Layout& l, const std::vector<uint32_t>& pieces) {
    std::vector<BoxCopies> out;
    for (uint32_t p : pieces) {
        const Box& box = l.pieces[p].box;
        auto it = std::find_if(out.begin(), out.end(), [&](const BoxCopies& g) { return *g.box == box; });
        if (it == out.end())
            out.push_back({&box, {p}});
        else
            it->pieces.push_back(p);
    }
    return out;
}

// Stored bytes per file, and the bytes of them that pieces cover (the rest is padding).
void file_bytes(const Layout& l, std::vector<uint64_t>& stored, std::vector<uint64_t>& covered) {
    stored.assign(l.files.size(), 0);
    covered.assign(l.files.size(), 0);
    for (const LayoutTensor& t : l.tensors) stored[t.file] += numel_of(t.shape) * element_bytes(t.dtype);
    for (const Piece& p : l.pieces) {
        const LayoutTensor& t = l.tensors[p.tensor];
        covered[t.file] += p.box.numel() * element_bytes(t.dtype);
    }
}

}  // namespace

uint64_t ReshardTransfer::sent(size_t source) const {
    uint64_t s = 0;
    for (const auto& c : cells[source]) s += c.bytes;
    return s;
}

uint64_t ReshardTransfer::received(size_t target) const {
    uint64_t s = 0;
    for (const auto& row : cells) s += row[target].bytes;
    return s;
}

uint64_t ReshardTransfer::total() const {
    uint64_t s = 0;
    for (size_t i = 0; i < cells.size(); ++i) s += sent(i);
    return s;
}

uint64_t ReshardTransfer::max_cell_bytes() const {
    uint64_t m = 0;
    for (const auto& row : cells)
        for (const auto& c : row) m = std::max(m, c.bytes);
    return m;
}

Result<ReshardTransfer> reshard_transfer(const Layout& source, const Layout& target) {
    ReshardTransfer out;
    out.cells.assign(source.files.size(), std::vector<TransferCell>(target.files.size()));
    std::vector<uint64_t> source_covered, target_covered;
    file_bytes(source, out.source_bytes, source_covered);
    file_bytes(target, out.target_bytes, target_covered);
    std::vector<uint64_t> used(source.files.size(), 0);  // source bytes sent at least once

    std::unordered_map<std::string_view, uint32_t> source_index;
    for (uint32_t c = 0; c < source.canonical.size(); ++c) source_index.emplace(source.canonical[c].name, c);
    const auto source_pieces = source.pieces_by_canonical();
    const auto target_pieces = target.pieces_by_canonical();

    for (uint32_t c = 0; c < target.canonical.size(); ++c) {
        const TensorEntry& entry = target.canonical[c];
        if (target_pieces[c].empty()) continue;
        auto found = source_index.find(entry.name);
        if (found == source_index.end())
            return Status::not_found("the target stores it but the source layout has no such tensor (another model?)")
                .in_tensor(entry.name);
        const uint32_t sc = found->second;
        if (source.canonical[sc].shape != entry.shape)
            return Status::invalid_argument("shape " + shape_to_string(source.canonical[sc].shape) +
                                            " in the source, " + shape_to_string(entry.shape) +
                                            " in the target (another model?)")
                .in_tensor(entry.name);
        const auto source_boxes = group_by_box(source, source_pieces[sc]);
        for (const BoxCopies& wanted : group_by_box(target, target_pieces[c])) {
            uint64_t filled = 0;
            for (const BoxCopies& held : source_boxes) {
                const auto common = intersect(*wanted.box, *held.box);
                if (!common) continue;
                const uint64_t n = common->numel();
                filled += n;
                const size_t copies = held.pieces.size();
                for (size_t k = 0; k < wanted.pieces.size(); ++k) {
                    const Piece& from = source.pieces[held.pieces[k % copies]];
                    const Piece& to = target.pieces[wanted.pieces[k]];
                    const LayoutTensor& st = source.tensors[from.tensor];
                    TransferCell& cell = out.cells[st.file][target.tensors[to.tensor].file];
                    cell.elements += n;
                    cell.bytes += n * element_bytes(st.dtype);
                    cell.slices.push_back({c, *common, from.tensor, to.tensor});
                }
                for (size_t j = 0; j < std::min(copies, wanted.pieces.size()); ++j) {
                    const LayoutTensor& st = source.tensors[source.pieces[held.pieces[j]].tensor];
                    used[st.file] += n * element_bytes(st.dtype);
                }
            }
            if (filled != wanted.box->numel())
                return Status::not_found("the source layout covers " + std::to_string(filled) + " of the " +
                                         std::to_string(wanted.box->numel()) + " elements of box " +
                                         box_to_string(*wanted.box))
                    .in_tensor(entry.name);
        }
    }
    out.unsent.resize(source.files.size());
    for (size_t s = 0; s < source.files.size(); ++s)
        out.unsent[s] = out.source_bytes[s] - std::min(used[s], out.source_bytes[s]);
    out.zero_fill.resize(target.files.size());
    for (size_t t = 0; t < target.files.size(); ++t) out.zero_fill[t] = out.target_bytes[t] - target_covered[t];
    return out;
}

std::string rank_file_label(const LayoutFile& file) {
    if (file.path.empty()) return "hf";
    const auto slash = file.path.find('/');
    return file.path.substr(0, slash);
}

std::string reshard_transfer_text(const ReshardTransfer& t, const Layout& source, const Layout& target) {
    std::ostringstream os;
    char buf[64];
    auto cell_text = [&](uint64_t bytes) { return bytes ? format_byte_size(bytes) : std::string("-"); };
    auto pad = [](const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; };
    size_t label_width = 10;
    for (const auto& f : source.files) label_width = std::max(label_width, rank_file_label(f).size());
    os << "target rank files:\n";
    for (size_t j = 0; j < target.files.size(); ++j) {
        std::snprintf(buf, sizeof buf, "  t%-3zu ", j);
        os << buf << rank_file_label(target.files[j]) << "  " << format_byte_size(t.target_bytes[j]) << "\n";
    }
    os << "\nbytes sent (rows: source rank files, columns: target rank files)\n";
    os << std::string(label_width, ' ');
    for (size_t j = 0; j < target.files.size(); ++j) os << pad("t" + std::to_string(j), 11);
    os << pad("sent", 11) << pad("unsent", 11) << pad("file", 11) << "\n";
    for (size_t i = 0; i < source.files.size(); ++i) {
        std::string label = rank_file_label(source.files[i]);
        os << label << std::string(label_width - label.size(), ' ');
        for (size_t j = 0; j < target.files.size(); ++j) os << pad(cell_text(t.cells[i][j].bytes), 11);
        os << pad(format_byte_size(t.sent(i)), 11) << pad(cell_text(t.unsent[i]), 11)
           << pad(format_byte_size(t.source_bytes[i]), 11) << "\n";
    }
    auto footer = [&](const std::string& name, auto value) {
        os << name << std::string(label_width - name.size(), ' ');
        for (size_t j = 0; j < target.files.size(); ++j) os << pad(value(j), 11);
        os << "\n";
    };
    footer("received", [&](size_t j) { return format_byte_size(t.received(j)); });
    footer("zero fill", [&](size_t j) { return cell_text(t.zero_fill[j]); });
    footer("file", [&](size_t j) { return format_byte_size(t.target_bytes[j]); });
    uint64_t source_total = 0, target_total = 0;
    for (auto b : t.source_bytes) source_total += b;
    for (auto b : t.target_bytes) target_total += b;
    os << "\ntotal: " << format_byte_size(t.total()) << " (" << t.total() << " bytes) sent from " << source.files.size()
       << " source file(s) holding " << format_byte_size(source_total) << " to " << target.files.size()
       << " target file(s) holding " << format_byte_size(target_total) << "\n";
    return os.str();
}

nlohmann::json reshard_transfer_json(const ReshardTransfer& t, const Layout& source, const Layout& target,
                                     bool slices) {
    using nlohmann::json;
    json j;
    j["source_files"] = json::array();
    for (size_t i = 0; i < source.files.size(); ++i)
        j["source_files"].push_back(
            {{"file", source.files[i].path},
             {"label", rank_file_label(source.files[i])},
             {"rank",
              {{"tp", source.files[i].rank.tp}, {"pp", source.files[i].rank.pp}, {"ep", source.files[i].rank.ep}}},
             {"bytes", t.source_bytes[i]},
             {"sent", t.sent(i)},
             {"unsent", t.unsent[i]}});
    j["target_files"] = json::array();
    for (size_t k = 0; k < target.files.size(); ++k)
        j["target_files"].push_back(
            {{"file", target.files[k].path},
             {"label", rank_file_label(target.files[k])},
             {"rank",
              {{"tp", target.files[k].rank.tp}, {"pp", target.files[k].rank.pp}, {"ep", target.files[k].rank.ep}}},
             {"bytes", t.target_bytes[k]},
             {"received", t.received(k)},
             {"zero_fill", t.zero_fill[k]}});
    j["cells"] = json::array();
    for (const auto& row : t.cells) {
        json r = json::array();
        for (const auto& c : row) r.push_back(c.bytes);
        j["cells"].push_back(std::move(r));
    }
    j["total"] = t.total();
    if (slices) {
        j["slices"] = json::array();
        for (size_t i = 0; i < t.cells.size(); ++i)
            for (size_t k = 0; k < t.cells[i].size(); ++k) {
                const auto& cell = t.cells[i][k];
                if (cell.slices.empty()) continue;
                json list = json::array();
                for (const auto& s : cell.slices)
                    list.push_back({{"canonical", target.canonical[s.canonical].name},
                                    {"start", s.box.start},
                                    {"extent", s.box.extent},
                                    {"source", source.tensors[s.source_tensor].name},
                                    {"target", target.tensors[s.target_tensor].name}});
                j["slices"].push_back({{"source", i}, {"target", k}, {"bytes", cell.bytes}, {"slices", list}});
            }
    }
    return j;
}

}  // namespace strata
