// OutputFile: big writes go around the page cache (O_DIRECT) with their unaligned ends
// buffered; whatever mix of offsets, sizes, source alignments and threads, the file must
// read back exactly as written, on disk file systems and on ones that refuse O_DIRECT.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <thread>

#include <unistd.h>

#include "strata/io/output_file.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

struct Piece {
    uint64_t offset;
    size_t size;
    size_t source_shift;  // where in the aligned source buffer the bytes start
};

// Writes `pieces` of `source` (each from source + shift) with one thread per piece,
// then reads the file back and returns whether every byte is where it was put.
void write_and_check(const fs::path& path, const std::vector<Piece>& pieces, const std::byte* source) {
    uint64_t size = 0;
    for (const auto& p : pieces) size = std::max<uint64_t>(size, p.offset + p.size);
    auto file = OutputFile::create(path);
    REQUIRE(file);
    REQUIRE(file->truncate(size));
    std::vector<Status> results(pieces.size(), Status::ok());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < pieces.size(); ++i)
        threads.emplace_back([&, i] {
            const Piece& p = pieces[i];
            results[i] = file->write_at(p.offset, std::span(source + p.source_shift, p.size));
        });
    for (auto& t : threads) t.join();
    for (const auto& st : results) REQUIRE(st);
    REQUIRE(file->sync());
    REQUIRE(file->close());

    const auto bytes = test::read_file(path);
    REQUIRE(bytes.size() == size);
    for (const auto& p : pieces) {
        INFO("piece at offset " << p.offset << ", " << p.size << " bytes, source shift " << p.source_shift);
        CHECK(std::memcmp(bytes.data() + p.offset, source + p.source_shift, p.size) == 0);
    }
}

std::vector<Piece> mixed_pieces() {
    // Back to back, so neighbours share partial blocks: small headers, big unaligned
    // tensors (bounce-buffered), one aligned in file and memory (written in place), and
    // one larger than the bounce buffer.
    const size_t MB = 1u << 20;
    const std::vector<std::pair<size_t, size_t>> sizes_shifts = {
        {100, 0},          {3 * MB + 17, 5},  {64, 1},     {4096 * 5 - 100, 7},
        {2 * MB, 0},       {9 * MB + 3, 333}, {30, 2},     {MB, 4096},
        {MB + 4096, 8192}, {5 * MB - 1, 11},  {4095, 3},
    };
    std::vector<Piece> pieces;
    uint64_t cursor = 0;
    for (const auto& [size, shift] : sizes_shifts) {
        pieces.push_back({cursor, size, shift});
        cursor += size;
        if (size == 4096 * 5 - 100) cursor = (cursor + 4095) & ~uint64_t{4095};  // next piece aligned in the file
    }
    return pieces;
}

struct AlignedBytes {
    explicit AlignedBytes(size_t n) : data(static_cast<std::byte*>(std::aligned_alloc(4096, n))) {
        std::mt19937_64 rng(42);
        for (size_t i = 0; i + 8 <= n; i += 8) {
            const uint64_t v = rng();
            std::memcpy(data.get() + i, &v, 8);
        }
    }
    struct Free {
        void operator()(std::byte* p) const { std::free(p); }
    };
    std::unique_ptr<std::byte, Free> data;
};

}  // namespace

TEST_CASE("OutputFile writes mixed aligned and unaligned ranges from several threads exactly", "[io]") {
    test::TempDir dir;
    AlignedBytes source(16u << 20);
    write_and_check(dir / "out.bin", mixed_pieces(), source.data.get());
}

TEST_CASE("OutputFile falls back to the page cache where O_DIRECT is refused", "[io]") {
    // tmpfs refuses O_DIRECT; where /dev/shm is not tmpfs this repeats the disk case.
    const fs::path shm = "/dev/shm";
    if (!fs::is_directory(shm)) {
        WARN("no /dev/shm here; the O_DIRECT fallback is covered only by the disk case");
        return;
    }
    const fs::path path = shm / ("strata-output-file-test-" + std::to_string(::getpid()) + ".bin");
    AlignedBytes source(16u << 20);
    write_and_check(path, mixed_pieces(), source.data.get());
    fs::remove(path);
}
