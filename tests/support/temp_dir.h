// TempDir: a fresh folder under the system temp dir, removed with its contents
// when the test ends. Test helpers shared by every test binary live in support/.
// Usage: TempDir dir; auto p = dir.path() / "model";
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace strata::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Bytes of a whole file.
std::vector<unsigned char> read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::vector<unsigned char>& bytes);
void write_file(const std::filesystem::path& path, const std::string& text);
// Names of everything in a folder, recursively, relative to it (sorted).
std::vector<std::string> list_tree(const std::filesystem::path& folder);
// Runs the built `strata` CLI with arguments; returns exit code, fills stdout/stderr.
int run_cli(const std::string& args, std::string* out = nullptr, std::string* err = nullptr);

}  // namespace strata::test
