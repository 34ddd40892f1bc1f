// `convert --device`: conversions built on a kernels backend (DeviceAssembler) must write
// the same bytes, file for file, as the host path. Compiled into core_tests against the
// cpu backend (so the staging, strided-copy, cast and host-op logic is checked
// everywhere) and into convert_cuda_parity against cuda, which is SKIPPED without a GPU.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include "convert_device/device_parity.h"
#include "strata/convert/convert.h"
#include "strata/synth/synth.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
namespace fs = std::filesystem;

namespace {

ConvertReport convert(const fs::path& src, const fs::path& out, const LayoutOptions& target,
                      std::optional<DType> dtype, kernels::Backend* device) {
    ConvertOptions o;
    o.source = src;
    o.out = out;
    o.target = target;
    o.dtype = dtype;
    o.executor.threads = 2;
    o.executor.device = device;
    NullProgress p;
    CancelToken c;
    auto r = convert_checkpoint(o, p, c);
    if (!r) FAIL(r.status().to_string());
    return std::move(*r);
}

// Converts `src` on the host and on the parity backend; every written file must match.
void require_same_output(const test::TempDir& dir, const fs::path& src, const LayoutOptions& target,
                         std::optional<DType> dtype, const std::string& tag) {
    const fs::path host = dir / (tag + "-host"), dev = dir / (tag + "-device");
    const ConvertReport h = convert(src, host, target, dtype, nullptr);
    const ConvertReport d = convert(src, dev, target, dtype, &parity_backend());
    CHECK(h.execution.device_tensors == 0);
    CHECK(d.execution.device_tensors > 0);  // the device path really ran
    const auto files = test::list_tree(host);
    REQUIRE(files == test::list_tree(dev));
    for (const auto& f : files) {
        if (fs::is_directory(host / f)) continue;
        const auto a = test::read_file(host / f), b = test::read_file(dev / f);
        const auto diff = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
        INFO(tag << ": " << f << " first differs at byte " << (diff.first - a.begin()) << " of " << a.size());
        CHECK((diff.first == a.end() && diff.second == b.end()));
    }
}

}  // namespace

TEST_CASE("device conversion writes the host path's bytes: HF -> Megatron, fused, casts", "[convert][device]") {
    test::TempDir dir;
    const fs::path tiny = test::synth_ok(dir / "tiny", "tiny");
    // QKV group interleave, gate/up interleave per rank, EP-local experts, vocab padding rows.
    require_same_output(dir, tiny, test::target(LayoutKind::Megatron, 2, 2, 4), std::nullopt, "tp2pp2ep4");
    // bf16 -> f32 and -> f16: gather, cast, scatter on the device.
    require_same_output(dir, tiny, test::target(LayoutKind::Megatron, 2, 1, 2), DType::F32, "tp2ep2-f32");
    require_same_output(dir, tiny, test::target(LayoutKind::HfFusedV5), DType::F16, "fused-v5-f16");
    require_same_output(dir, tiny, test::target(LayoutKind::HfFused), std::nullopt, "fused");
}

TEST_CASE("device conversion writes the host path's bytes: Megatron -> HF and GDN hybrids", "[convert][device]") {
    test::TempDir dir;
    const fs::path tiny = test::synth_ok(dir / "tiny", "tiny");
    const fs::path meg = dir / "meg";
    convert(tiny, meg, test::target(LayoutKind::Megatron, 2, 2, 4), std::nullopt, nullptr);
    require_same_output(dir, meg, test::target(LayoutKind::Hf), std::nullopt, "meg-hf");
    // Row-parallel slices scattered back into whole rows while casting.
    require_same_output(dir, meg, test::target(LayoutKind::Hf), DType::F32, "meg-hf-f32");
    require_same_output(dir, meg, test::target(LayoutKind::Megatron, 1, 4, 2), std::nullopt, "reshard");
    // GDN in_proj/conv1d per-rank blocks; zero-centred norms (+1/-1) run as host ops.
    const fs::path gdn = test::synth_ok(dir / "qwen3.5-moe-tiny", "qwen3.5-moe-tiny");
    require_same_output(dir, gdn, test::target(LayoutKind::Megatron, 2, 1, 2), std::nullopt, "gdn-tp2ep2");
    require_same_output(dir, gdn, test::target(LayoutKind::Megatron, 2, 1, 2), DType::F32, "gdn-tp2ep2-f32");
}
