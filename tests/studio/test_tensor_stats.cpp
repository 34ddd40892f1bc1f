// core/stats/tensor_stats (the Studio's tensor view math) on hand-made
// safetensors files with known values: moments, NaN/Inf counts, histogram,
// heatmap downsampling, value blocks and cancellation.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "strata/formats/format_registry.h"
#include "strata/kernels/scalar_types.h"
#include "strata/stats/tensor_stats.h"
#include "support/temp_dir.h"

using namespace strata;

namespace {

// One-tensor safetensors file: u64 header length, JSON header (space padded to 8), data.
std::filesystem::path write_one(const strata::test::TempDir& dir, const std::string& dtype, const std::string& shape,
                                const std::vector<unsigned char>& data) {
    std::string header = R"({"t":{"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":[0,)" +
                         std::to_string(data.size()) + "]}}";
    while (header.size() % 8) header += ' ';
    std::vector<unsigned char> bytes(8);
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) bytes[size_t(i)] = static_cast<unsigned char>(n >> (8 * i));
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.insert(bytes.end(), data.begin(), data.end());
    const auto path = dir / "t.safetensors";
    strata::test::write_file(path, bytes);
    return path;
}

std::vector<unsigned char> f32_bytes(const std::vector<float>& v) {
    std::vector<unsigned char> out(v.size() * 4);
    std::memcpy(out.data(), v.data(), out.size());
    return out;
}

Checkpoint open_path(const std::filesystem::path& p) {
    auto r = open_checkpoint(p);
    INFO(r.status().to_string());
    REQUIRE(r.is_ok());
    return std::move(r).value();
}

}  // namespace

TEST_CASE("tensor_stats: moments over finite values, NaN/Inf/zero counts, histogram", "[studio][stats]") {
    strata::test::TempDir dir;
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const auto ckpt = open_path(write_one(dir, "F32", "[2,4]", f32_bytes({1, 2, 3, 4, 0, nan, inf, -inf})));
    NullProgress p;
    CancelToken c;
    auto s = tensor_stats(ckpt, ckpt.tensors[0], 4, p, c);
    REQUIRE(s.is_ok());
    CHECK(s->count == 8);
    CHECK(s->nan_count == 1);
    CHECK(s->inf_count == 2);
    CHECK(s->zero_count == 1);
    CHECK(s->min == 0.0);
    CHECK(s->max == 4.0);
    CHECK(s->mean == Approx(2.0));
    CHECK(s->std == Approx(std::sqrt(2.0)));  // population std of 0..4
    REQUIRE(s->histogram.size() == 4);
    // bins of width 1 over [0, 4]: {0}, {1}, {2}, {3, 4} (the max falls in the last bin)
    CHECK(s->histogram == std::vector<uint64_t>{1, 1, 1, 2});
}

TEST_CASE("tensor_stats decodes BF16 and respects cancellation", "[studio][stats]") {
    strata::test::TempDir dir;
    std::vector<unsigned char> data;
    for (float v : {-1.5f, 0.25f, 3.0f, 0.0f}) {
        const uint16_t b = kernels::float_to_bf16(v);
        data.push_back(static_cast<unsigned char>(b & 0xff));
        data.push_back(static_cast<unsigned char>(b >> 8));
    }
    const auto ckpt = open_path(write_one(dir, "BF16", "[4]", data));
    NullProgress p;
    CancelToken c;
    auto s = tensor_stats(ckpt, ckpt.tensors[0], 8, p, c);
    REQUIRE(s.is_ok());
    CHECK(s->min == -1.5);
    CHECK(s->max == 3.0);
    CHECK(s->mean == Approx(0.4375));
    auto v = tensor_values(ckpt, ckpt.tensors[0], 1, 3);
    REQUIRE(v.is_ok());
    CHECK(*v == std::vector<double>{0.25, 3.0, 0.0});
    CHECK(tensor_values(ckpt, ckpt.tensors[0], 2, 3).status().code() == StatusCode::InvalidArgument);
    c.cancel();
    CHECK(tensor_stats(ckpt, ckpt.tensors[0], 8, p, c).status().code() == StatusCode::Cancelled);
}

TEST_CASE("tensor_heatmap averages blocks, tensor_block pages a slice", "[studio][stats]") {
    strata::test::TempDir dir;
    // shape [2, 4, 4]: slice 1 holds 16..31 row-major
    std::vector<float> v(32);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(i);
    const auto ckpt = open_path(write_one(dir, "F32", "[2,4,4]", f32_bytes(v)));
    const TensorInfo& t = ckpt.tensors[0];
    const MatrixView m = matrix_view(t.shape);
    CHECK(m.slices == 2);
    CHECK(m.rows == 4);
    CHECK(m.cols == 4);
    NullProgress p;
    CancelToken c;
    auto h = tensor_heatmap(ckpt, t, 1, 2, 2, HeatmapReduce::Mean, p, c);
    REQUIRE(h.is_ok());
    REQUIRE(h->rows == 2);
    REQUIRE(h->cols == 2);
    // top-left block of slice 1: 16, 17, 20, 21 -> mean 18.5
    CHECK(h->cells[0] == Approx(18.5));
    CHECK(h->cells[3] == Approx(28.5));  // 26, 27, 30, 31
    CHECK(h->lo == Approx(18.5));
    CHECK(h->hi == Approx(28.5));
    auto big = tensor_heatmap(ckpt, t, 0, 100, 100, HeatmapReduce::MaxAbs, p, c);
    REQUIRE(big.is_ok());
    CHECK(big->rows == 4);  // never upsampled
    CHECK(big->cells[5] == Approx(5.0));
    CHECK(tensor_heatmap(ckpt, t, 2, 2, 2, HeatmapReduce::Mean, p, c).status().code() == StatusCode::InvalidArgument);

    auto b = tensor_block(ckpt, t, 1, 2, 1, 10, 2);
    REQUIRE(b.is_ok());
    CHECK(b->rows == 2);  // clipped to the matrix
    CHECK(b->cols == 2);
    CHECK(b->values == std::vector<double>{25, 26, 29, 30});
}
