#include "strata/io/atomic_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "strata/io/output_guard.h"
#include "strata/io/temp_sweep.h"

namespace strata {
namespace fs = std::filesystem;
namespace {

constexpr const char* kTempMarker = ".strata-tmp-";

Status fsync_path(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::io(std::string("open for fsync: ") + std::strerror(errno)).in_file(p.string());
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return Status::io(std::string("fsync: ") + std::strerror(err)).in_file(p.string());
    return Status::ok();
}

}  // namespace

bool is_atomic_temp_name(const std::string& filename) { return filename.find(kTempMarker) != std::string::npos; }

Result<AtomicOutput> AtomicOutput::create(const fs::path& final_path, Kind kind, bool overwrite,
                                          const std::vector<fs::path>& sources) {
    static std::atomic<uint64_t> counter{0};
    std::error_code ec;
    const fs::path absolute = fs::absolute(final_path, ec);
    if (ec) return Status::invalid_argument("bad output path: " + ec.message()).in_file(final_path.string());
    const fs::path parent = absolute.parent_path();
    if (!fs::is_directory(parent, ec))
        return Status::not_found("output folder does not exist: " + parent.string()).in_file(final_path.string());
    // Temporaries of runs that died (kill -9, power loss) in this folder go first (a previous
    // output a killed --force had moved aside is put back), then the output rule is checked.
    std::vector<std::string> swept;
    for (const SweptTemp& t : sweep_stale_temps(parent, /*dry_run=*/false))
        if (t.action != SweptTemp::Action::KeptAlive && t.action != SweptTemp::Action::KeptOtherHost)
            swept.push_back(describe_swept(t));
    STRATA_RETURN_IF_ERROR(check_output_target(final_path, sources, overwrite, kind == Kind::Directory));

    AtomicOutput out;
    out.final_ = absolute;
    out.kind_ = kind;
    out.overwrite_ = overwrite;
    out.swept_ = std::move(swept);
    out.temp_ = parent / make_temp_name(absolute.filename().string(), counter.fetch_add(1));
    if (kind == Kind::Directory) {
        if (!fs::create_directory(out.temp_, ec))
            return Status::io("cannot create temporary folder: " + ec.message()).in_file(out.temp_.string());
    } else {
        const int fd = ::open(out.temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) return Status::io(std::string("cannot create: ") + std::strerror(errno)).in_file(out.temp_.string());
        ::close(fd);
    }
    return out;
}

AtomicOutput::AtomicOutput(AtomicOutput&& other) noexcept { *this = std::move(other); }

AtomicOutput& AtomicOutput::operator=(AtomicOutput&& other) noexcept {
    if (this != &other) {
        discard();
        final_ = std::move(other.final_);
        temp_ = std::move(other.temp_);
        kind_ = other.kind_;
        overwrite_ = other.overwrite_;
        committed_ = other.committed_;
        swept_ = std::move(other.swept_);
        other.temp_.clear();
        other.committed_ = true;
    }
    return *this;
}

AtomicOutput::~AtomicOutput() { discard(); }

void AtomicOutput::discard() {
    if (committed_ || temp_.empty()) return;
    std::error_code ec;
    fs::remove_all(temp_, ec);
    temp_.clear();
}

Status AtomicOutput::commit() {
    if (committed_) return Status::internal("AtomicOutput committed twice");
    std::error_code ec;
    if (kind_ == Kind::Directory) {
        // Every committed folder is recognisable as a Strata output (what --force may replace).
        if (!fs::exists(temp_ / kStrataManifestName, ec)) {
            const fs::path m = temp_ / kStrataManifestName;
            const int fd = ::open(m.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0) return Status::io(std::string("cannot create: ") + std::strerror(errno)).in_file(m.string());
            const std::string text = "{\"strata_manifest\": 1}\n";
            const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
            ::close(fd);
            if (!ok) return Status::io("cannot write").in_file(m.string());
        }
        for (auto it = fs::recursive_directory_iterator(temp_, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec))
            if (it->is_regular_file()) STRATA_RETURN_IF_ERROR(fsync_path(it->path()));
    } else {
        STRATA_RETURN_IF_ERROR(fsync_path(temp_));
    }
    if (fs::exists(final_, ec)) {
        if (!overwrite_) return Status::invalid_argument("output appeared while writing").in_file(final_.string());
        // Move the old output aside first so a crash in between never leaves a mix.
        const fs::path old = temp_.string() + ".old";
        fs::rename(final_, old, ec);
        if (ec) return Status::io("cannot move old output aside: " + ec.message()).in_file(final_.string());
        fs::rename(temp_, final_, ec);
        if (ec) return Status::io("cannot rename into place: " + ec.message()).in_file(final_.string());
        fs::remove_all(old, ec);
    } else {
        fs::rename(temp_, final_, ec);
        if (ec) return Status::io("cannot rename into place: " + ec.message()).in_file(final_.string());
    }
    STRATA_RETURN_IF_ERROR(fsync_path(final_.parent_path()));
    committed_ = true;
    temp_.clear();
    return Status::ok();
}

}  // namespace strata
