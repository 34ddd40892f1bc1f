#include "strata/io/temp_sweep.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>

namespace strata {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kMarker = ".strata-tmp-";
constexpr std::string_view kOld = ".old";

bool all_digits(std::string_view s) {
    if (s.empty() || s.size() > 18) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

uint64_t tree_bytes(const fs::path& p) {
    std::error_code ec;
    if (fs::is_regular_file(fs::symlink_status(p, ec))) return fs::file_size(p, ec);
    uint64_t total = 0;
    for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
        if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
    return total;
}

std::string human(uint64_t bytes) {
    char buf[32];
    if (bytes >= (1ull << 30))
        std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / 1e9);
    else if (bytes >= (1ull << 20))
        std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    return buf;
}

}  // namespace

const std::string& this_host() {
    static const std::string host = [] {
        char buf[HOST_NAME_MAX + 1] = {};
        if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return std::string("localhost");
        std::string h(buf);
        for (char& c : h)
            if (c == '/' || c == '@') c = '_';
        return h;
    }();
    return host;
}

std::string make_temp_name(const std::string& final_name, uint64_t serial) {
    return final_name + std::string(kMarker) + std::to_string(::getpid()) + "-" + std::to_string(serial) + "@" +
           this_host();
}

std::optional<TempOwner> parse_temp_name(const std::string& filename) {
    const auto at = filename.rfind(kMarker);
    if (at == std::string::npos || at == 0) return std::nullopt;
    TempOwner o;
    o.final_name = filename.substr(0, at);
    std::string_view rest = std::string_view(filename).substr(at + kMarker.size());
    if (rest.size() > kOld.size() && rest.substr(rest.size() - kOld.size()) == kOld) {
        o.old = true;
        rest.remove_suffix(kOld.size());
    }
    if (const auto h = rest.find('@'); h != std::string_view::npos) {
        o.host = std::string(rest.substr(h + 1));
        rest = rest.substr(0, h);
        if (o.host.empty()) return std::nullopt;
    }
    const auto dash = rest.find('-');
    if (dash == std::string_view::npos || !all_digits(rest.substr(0, dash)) || !all_digits(rest.substr(dash + 1)))
        return std::nullopt;
    o.pid = std::stol(std::string(rest.substr(0, dash)));
    o.serial = std::stoull(std::string(rest.substr(dash + 1)));
    return o;
}

bool owner_alive(const TempOwner& owner) {
    if (!owner.host.empty() && owner.host != this_host()) return true;  // cannot tell: keep it
    if (owner.pid <= 0) return false;
    if (owner.pid == ::getpid()) return true;
    return ::kill(static_cast<pid_t>(owner.pid), 0) == 0 || errno == EPERM;
}

std::vector<SweptTemp> sweep_stale_temps(const fs::path& folder, bool dry_run) {
    std::vector<SweptTemp> out;
    std::error_code ec;
    std::vector<fs::path> names;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        names.push_back(it->path());
    std::sort(names.begin(), names.end());
    for (const fs::path& p : names) {
        auto owner = parse_temp_name(p.filename().string());
        if (!owner) continue;
        SweptTemp t;
        t.path = p;
        t.owner = *owner;
        t.bytes = tree_bytes(p);
        if (!owner->host.empty() && owner->host != this_host()) {
            t.action = SweptTemp::Action::KeptOtherHost;
        } else if (owner_alive(*owner)) {
            t.action = SweptTemp::Action::KeptAlive;
        } else if (owner->old && !fs::exists(fs::symlink_status(folder / owner->final_name, ec))) {
            // Killed between moving the previous output aside and renaming the new one in.
            t.action = SweptTemp::Action::Restored;
            if (!dry_run) {
                fs::rename(p, folder / owner->final_name, ec);
                if (ec) {
                    t.action = SweptTemp::Action::Failed;
                    t.error = ec.message();
                }
            }
        } else {
            t.action = SweptTemp::Action::Removed;
            if (!dry_run) {
                fs::remove_all(p, ec);
                if (ec) {
                    t.action = SweptTemp::Action::Failed;
                    t.error = ec.message();
                }
            }
        }
        out.push_back(std::move(t));
    }
    return out;
}

std::string describe_swept(const SweptTemp& t, bool dry_run) {
    const std::string owner =
        "process " + std::to_string(t.owner.pid) + (t.owner.host.empty() ? std::string() : " on " + t.owner.host);
    switch (t.action) {
        case SweptTemp::Action::Removed:
            return std::string(dry_run ? "would remove" : "removed") + " stale temporary " + t.path.string() + " (" +
                   owner + " is gone; " + human(t.bytes) + ")";
        case SweptTemp::Action::Restored:
            return std::string(dry_run ? "would restore" : "restored") + " previous output " +
                   (t.path.parent_path() / t.owner.final_name).string() + " from " + t.path.string() + " (" + owner +
                   " is gone)";
        case SweptTemp::Action::KeptAlive:
            return "kept " + t.path.string() + " (" + owner + " is still running)";
        case SweptTemp::Action::KeptOtherHost:
            return "kept " + t.path.string() + " (owned by " + owner + ", another host: cannot tell if it is running)";
        case SweptTemp::Action::Failed:
            return "cannot remove stale temporary " + t.path.string() + ": " + t.error;
    }
    return {};
}

}  // namespace strata
