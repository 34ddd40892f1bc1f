// Reader side of safetensors: single files, shard folders and index.json.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "strata/formats/safetensors.h"
#include "strata/io/atomic_output.h"
#include "strata/formats/hf_config_files.h"
#include "strata/io/bounded_read.h"

namespace strata {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

uint64_t read_u64_le(const std::byte* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
    return v;
}

bool is_valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t n = 0;
        if (c < 0x80) n = 0;
        else if ((c >> 5) == 0x6) n = 1;
        else if ((c >> 4) == 0xE) n = 2;
        else if ((c >> 3) == 0x1E) n = 3;
        else return false;
        if (i + n >= s.size() && n > 0) return false;
        for (size_t k = 1; k <= n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
        i += n + 1;
    }
    return true;
}

// Parses JSON and reports the first duplicate key of the top-level object.
Result<json> parse_header_json(std::string_view text, std::string* duplicate) {
    std::set<std::string> seen;
    bool dup = false;
    json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::key && depth == 1 && !dup) {
            auto key = parsed.get<std::string>();
            if (!seen.insert(key).second) {
                dup = true;
                *duplicate = key;
            }
        }
        return true;
    };
    auto j = parse_json_bounded(text, kMaxJsonDepth, cb);
    if (!j) return Status::corrupt("header: " + j.status().message());
    return j;
}

struct RawEntry {
    std::string name;
    DType dtype;
    Shape shape;
    uint64_t begin = 0;
    uint64_t end = 0;
};

Result<RawEntry> parse_entry(const std::string& name, const json& v) {
    auto err = [&](const std::string& m) { return Status::corrupt(m).in_tensor(name); };
    if (!v.is_object()) return err("header entry is not an object");
    if (!v.contains("dtype") || !v["dtype"].is_string()) return err("missing or non-string 'dtype'");
    if (!v.contains("shape") || !v["shape"].is_array()) return err("missing or non-array 'shape'");
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
        return err("'data_offsets' must be an array of two integers");
    RawEntry e;
    e.name = name;
    const auto dt = parse_dtype(v["dtype"].get<std::string>());
    if (!dt) return err("unknown dtype '" + v["dtype"].get<std::string>() + "'");
    e.dtype = *dt;
    for (const auto& d : v["shape"]) {
        if (!d.is_number_unsigned()) return err("shape has a negative or non-integer dimension");
        e.shape.push_back(d.get<uint64_t>());
    }
    for (const auto& o : v["data_offsets"])
        if (!o.is_number_unsigned()) return err("data_offsets must be non-negative integers");
    e.begin = v["data_offsets"][0].get<uint64_t>();
    e.end = v["data_offsets"][1].get<uint64_t>();
    return e;
}

}  // namespace

// Opens one .safetensors file and appends its tensors to ckpt (file index = files.size()).
Status append_safetensors_file(Checkpoint& ckpt, const fs::path& path, const std::string& display_name,
                               json* metadata_out) {
    STRATA_TRY(auto map, MappedFile::open(path));
    auto fail = [&](Status s) { return s.in_file(display_name); };
    const uint64_t size = map->size();
    if (size < 8)
        return fail(Status::truncated("file is " + std::to_string(size) +
                                      " bytes, too small for the 8-byte header length"));
    const uint64_t n = read_u64_le(map->data());
    if (n > kSafetensorsMaxHeader)
        return fail(Status::corrupt("header length " + std::to_string(n) + " exceeds the 100000000-byte limit")
                        .at_offset(0));
    if (n > size - 8)
        return fail(Status::truncated("header length " + std::to_string(n) + " runs past the end of the file (" +
                                      std::to_string(size) + " bytes)")
                        .at_offset(0));
    const std::string_view text(reinterpret_cast<const char*>(map->data() + 8), n);
    if (!is_valid_utf8(text)) return fail(Status::corrupt("header is not valid UTF-8").at_offset(8));
    std::string duplicate;
    auto parsed = parse_header_json(text, &duplicate);
    if (!parsed) return fail(parsed.status().at_offset(8));
    const json& header = *parsed;
    if (!header.is_object()) return fail(Status::corrupt("header is not a JSON object").at_offset(8));
    if (!duplicate.empty()) return fail(Status::corrupt("duplicate tensor name in header").in_tensor(duplicate));

    std::vector<RawEntry> entries;
    entries.reserve(header.size());
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it.value().is_object()) return fail(Status::corrupt("__metadata__ is not an object"));
            for (auto m = it.value().begin(); m != it.value().end(); ++m)
                if (!m.value().is_string())
                    return fail(Status::corrupt("__metadata__ value for '" + m.key() + "' is not a string"));
            if (metadata_out) (*metadata_out)[display_name] = it.value();
            continue;
        }
        auto e = parse_entry(it.key(), it.value());
        if (!e) return fail(e.status());
        entries.push_back(std::move(*e));
    }

    const uint64_t data_start = 8 + n;
    const uint64_t data_size = size - data_start;
    std::sort(entries.begin(), entries.end(), [](const RawEntry& a, const RawEntry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t expected_begin = 0;
    const auto file_index = static_cast<uint32_t>(ckpt.files.size());
    for (const auto& e : entries) {
        auto tensor_err = [&](const std::string& m) {
            return fail(Status::corrupt(m).in_tensor(e.name).at_offset(data_start + std::min(e.begin, data_size)));
        };
        if (e.end < e.begin)
            return tensor_err("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                              ") end before they begin");
        if (e.end > data_size)
            return fail(Status::truncated("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                          ") exceed data size " + std::to_string(data_size))
                            .in_tensor(e.name)
                            .at_offset(data_start + std::min(e.begin, data_size)));
        if (e.begin != expected_begin)
            return tensor_err(e.begin > expected_begin
                                  ? "gap before data_offsets begin " + std::to_string(e.begin) +
                                        " (previous tensor ended at " + std::to_string(expected_begin) + ")"
                                  : "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                        ") overlap the previous tensor ending at " + std::to_string(expected_begin));
        auto count = numel(e.shape);
        if (!count) return fail(count.status().in_tensor(e.name));
        auto bytes = bytes_for(e.dtype, *count);
        if (!bytes) return fail(bytes.status().in_tensor(e.name));
        if (*bytes != e.end - e.begin)
            return tensor_err("shape " + shape_to_string(e.shape) + " of " + std::string(dtype_name(e.dtype)) +
                              " needs " + std::to_string(*bytes) + " bytes but data_offsets span " +
                              std::to_string(e.end - e.begin));
        expected_begin = e.end;
        TensorInfo info;
        info.name = e.name;
        info.dtype = e.dtype;
        info.shape = e.shape;
        info.location.file = file_index;
        info.location.offset = data_start + e.begin;
        info.location.nbytes = *bytes;
        ckpt.tensors.push_back(std::move(info));
    }
    if (expected_begin != data_size)
        return fail(Status::corrupt("data region has " + std::to_string(data_size - expected_begin) +
                                    " bytes not covered by any tensor")
                        .at_offset(data_start + expected_begin));
    ckpt.files.push_back({path, display_name, std::move(map)});
    return Status::ok();
}

namespace {

// A shard found in the folder (or named by an index) that is a symlink must stay inside it.
Status check_stays_inside(const fs::path& folder, const fs::path& p, const std::string& name,
                          const std::string& where) {
    std::error_code ec;
    if (!fs::is_symlink(p, ec)) return Status::ok();
    const fs::path target = fs::canonical(p, ec);
    if (ec) return Status::not_found("shard file '" + name + "' is a dangling symlink").in_file(where);
    const fs::path root = fs::canonical(folder, ec);
    const auto rel = target.lexically_relative(root);
    if (ec || rel.empty() || *rel.begin() == "..")
        return Status::corrupt("shard file '" + name + "' is a symlink that leaves the checkpoint folder").in_file(where);
    return Status::ok();
}

// A shard name from an index must be a plain file inside the folder.
Status check_shard_name(const fs::path& folder, const std::string& name, const std::string& index_name) {
    auto bad = [&](const std::string& why) {
        return Status::corrupt("shard file '" + name + "' " + why).in_file(index_name);
    };
    if (name.empty()) return bad("is empty");
    if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos)
        return bad("is not a plain file name (contains a path separator)");
    if (name == "." || name == "..") return bad("is not a file name");
    std::error_code ec;
    const fs::path p = folder / name;
    if (!fs::exists(p, ec)) return Status::not_found("shard file '" + name + "' does not exist").in_file(index_name);
    return check_stays_inside(folder, p, name, index_name);
}

Result<Checkpoint> open_index(const fs::path& index_path) {
    const fs::path folder = index_path.parent_path().empty() ? fs::path(".") : index_path.parent_path();
    const std::string index_name = index_path.filename().string();
    auto index_result = read_json_file(index_path);
    if (!index_result) return Status(index_result.status().code(), index_result.status().message()).in_file(index_name);
    json index = std::move(index_result).value();
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
        return Status::corrupt("index has no 'weight_map' object").in_file(index_name);
    const json& weight_map = index["weight_map"];

    std::vector<std::string> shard_names;
    std::map<std::string, std::string> tensor_to_shard;
    for (auto it = weight_map.begin(); it != weight_map.end(); ++it) {
        if (!it.value().is_string())
            return Status::corrupt("weight_map value is not a file name").in_tensor(it.key()).in_file(index_name);
        const auto shard = it.value().get<std::string>();
        STRATA_RETURN_IF_ERROR(check_shard_name(folder, shard, index_name));
        if (std::find(shard_names.begin(), shard_names.end(), shard) == shard_names.end()) shard_names.push_back(shard);
        tensor_to_shard[it.key()] = shard;
    }
    std::sort(shard_names.begin(), shard_names.end());

    Checkpoint ckpt;
    ckpt.format = "safetensors";
    ckpt.path = index_path;
    json shard_metadata = json::object();
    for (const auto& shard : shard_names)
        STRATA_RETURN_IF_ERROR(append_safetensors_file(ckpt, folder / shard, shard, &shard_metadata));

    uint64_t total = 0;
    std::set<std::string> in_files;
    for (const auto& t : ckpt.tensors) {
        const auto& file = ckpt.file_of(t).display_name;
        auto it = tensor_to_shard.find(t.name);
        if (it == tensor_to_shard.end())
            return Status::corrupt("tensor stored in '" + file + "' is missing from the index")
                .in_tensor(t.name)
                .in_file(index_name);
        if (it->second != file)
            return Status::corrupt("index maps the tensor to '" + it->second + "' but it is stored in '" + file + "'")
                .in_tensor(t.name)
                .in_file(index_name);
        if (!in_files.insert(t.name).second)
            return Status::corrupt("tensor is stored in two shards").in_tensor(t.name).in_file(index_name);
        total += t.byte_size();
    }
    for (const auto& [name, shard] : tensor_to_shard)
        if (!in_files.count(name))
            return Status::corrupt("index names the tensor but '" + shard + "' does not hold it")
                .in_tensor(name)
                .in_file(index_name);
    if (index.contains("metadata") && index["metadata"].is_object() && index["metadata"].contains("total_size")) {
        const json& ts = index["metadata"]["total_size"];
        if (!ts.is_number_unsigned())
            return Status::corrupt("metadata.total_size is not a non-negative integer").in_file(index_name);
        if (ts.get<uint64_t>() != total)
            return Status::corrupt("metadata.total_size is " + std::to_string(ts.get<uint64_t>()) +
                                   " but the tensors hold " + std::to_string(total) + " bytes")
                .in_file(index_name);
    }
    ckpt.metadata = {{"index", index_name}, {"shards", shard_names.size()}, {"shard_metadata", shard_metadata}};
    return ckpt;
}

}  // namespace

Result<Checkpoint> open_safetensors(const fs::path& path) {
    std::error_code ec;
    Checkpoint ckpt;
    fs::path folder;
    if (fs::is_directory(path, ec)) {
        folder = path;
        if (fs::exists(path / kSafetensorsIndexName, ec)) {
            STRATA_TRY(ckpt, open_index(path / kSafetensorsIndexName));
        } else {
            std::vector<fs::path> files;
            for (const auto& e : fs::directory_iterator(path, ec))
                if (e.path().extension() == ".safetensors" && !is_atomic_temp_name(e.path().filename().string()))
                    files.push_back(e.path());
            std::sort(files.begin(), files.end());
            if (files.empty()) return Status::not_found("no .safetensors files in folder").in_file(path.string());
            ckpt.format = "safetensors";
            ckpt.path = path;
            json meta = json::object();
            for (const auto& f : files) {
                // The same rule as with an index: a symlinked shard must not leave the folder.
                STRATA_RETURN_IF_ERROR(check_stays_inside(path, f, f.filename().string(), path.string()));
                STRATA_RETURN_IF_ERROR(append_safetensors_file(ckpt, f, f.filename().string(), &meta));
            }
            ckpt.metadata = {{"shards", files.size()}, {"shard_metadata", meta}};
        }
    } else if (path.string().size() >= 11 && path.string().ends_with(".index.json")) {
        folder = path.parent_path();
        STRATA_TRY(ckpt, open_index(path));
    } else {
        folder = path.parent_path();
        ckpt.format = "safetensors";
        ckpt.path = path;
        json meta = json::object();
        STRATA_RETURN_IF_ERROR(append_safetensors_file(ckpt, path, path.filename().string(), &meta));
        ckpt.metadata = {{"shards", 1}, {"shard_metadata", meta}};
    }
    if (folder.empty()) folder = ".";
    STRATA_TRY(ckpt.config, read_hf_config_beside(folder));
    STRATA_RETURN_IF_ERROR(ckpt.finalize());
    return ckpt;
}

FormatHandler safetensors_format() {
    FormatHandler h;
    h.name = "safetensors";
    h.description = "safetensors file, sharded folder or model.safetensors.index.json";
    h.sniff = [](const fs::path& p) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            if (fs::exists(p / kSafetensorsIndexName, ec)) return true;
            for (const auto& e : fs::directory_iterator(p, ec))
                if (e.path().extension() == ".safetensors") return true;
            return false;
        }
        const std::string s = p.string();
        if (s.ends_with(".safetensors.index.json") || s.ends_with(".safetensors")) return true;
        // By bytes: a plausible header length followed by '{' (Netron's rule, plus whitespace).
        // Regular files only: opening a FIFO to sniff it would block.
        if (!fs::is_regular_file(p, ec)) return false;
        std::ifstream in(p, std::ios::binary);
        unsigned char b[9] = {};
        if (!in.read(reinterpret_cast<char*>(b), 9)) return false;
        return b[5] == 0 && b[6] == 0 && b[7] == 0 && (b[8] == '{' || b[8] == ' ');
    };
    h.open = open_safetensors;
    return h;
}

}  // namespace strata
