// TorchPtWriter -> open_torch_pt round trips: dtypes, scalars, empty tensors, extra
// entries (Namespace args, nested dicts, tensors placed inside them), the
// weights_only_safe profile, and the container layout torch.save produces.
#include <catch2/catch.hpp>

#include <cstring>

#include "strata/formats/format_registry.h"
#include "strata/formats/megatron.h"
#include "strata/formats/torch_pt.h"
#include "support/temp_dir.h"

using namespace strata;
using strata::test::TempDir;

namespace {

std::vector<std::byte> pattern(size_t n, uint8_t seed) {
    std::vector<std::byte> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<uint8_t>(seed * 31 + i * 7 + 1));
    return v;
}

// Writes entries in reverse order (write() must accept any order) and returns the data.
std::vector<std::vector<std::byte>> write_all(TorchPtWriter& w, const std::vector<TensorEntry>& entries) {
    std::vector<std::vector<std::byte>> data;
    for (size_t i = 0; i < entries.size(); ++i) data.push_back(pattern(entries[i].byte_size(), static_cast<uint8_t>(i)));
    REQUIRE(w.begin(entries).is_ok());
    for (size_t i = entries.size(); i-- > 0;) REQUIRE(w.write(i, data[i]).is_ok());
    auto s = w.finish();
    INFO(s.to_string());
    REQUIRE(s.is_ok());
    return data;
}

uint32_t le32(const std::vector<unsigned char>& b, size_t at) {
    return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

}  // namespace

TEST_CASE("torch .pt writer output reads back as a plain state dict", "[torch_pt]") {
    TempDir dir;
    const auto path = dir / "weights.pt";
    const std::vector<TensorEntry> entries = {
        {"embed.weight", DType::BF16, {5, 3}}, {"layer.0.weight", DType::F32, {4, 6}}, {"positions", DType::I64, {7}},
        {"half", DType::F16, {2, 2}},         {"bytes", DType::U8, {9}},            {"mask", DType::Bool, {3}},
        {"scalar", DType::F64, {}},           {"empty", DType::F32, {0, 4}},        {"fp8", DType::F8_E4M3, {8}},
        {"ints", DType::I32, {2, 3, 4, 5}}};
    TorchPtWriterOptions plain;
    plain.tensors_key = "";
    TorchPtWriter w(path, plain);
    const auto data = write_all(w, entries);
    CHECK(std::filesystem::file_size(path) == w.file_size());

    auto ckpt = open_checkpoint(path);
    INFO(ckpt.status().to_string());
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->format == "torch");
    CHECK(ckpt->metadata["archive"] == "weights");
    REQUIRE(ckpt->tensors.size() == entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        INFO(entries[i].name);
        // The file order is the writer's order (an OrderedDict).
        CHECK(ckpt->tensors[i].name == entries[i].name);
        CHECK(ckpt->tensors[i].dtype == entries[i].dtype);
        CHECK(ckpt->tensors[i].shape == entries[i].shape);
        CHECK(ckpt->tensors[i].location.is_contiguous());
        CHECK(ckpt->tensors[i].location.offset % 64 == 0);  // records are 64-byte aligned
        auto bytes = ckpt->read(ckpt->tensors[i]);
        REQUIRE(bytes.is_ok());
        CHECK(*bytes == data[i]);
    }
}

TEST_CASE("torch .pt writer lays records out as torch.save does", "[torch_pt]") {
    TempDir dir;
    const auto path = dir / "model_optim_rng.pt";
    TorchPtWriter w(path);
    write_all(w, {{"w", DType::F32, {3}}, {"b", DType::BF16, {2}}});
    const auto raw = test::read_file(path);
    // First record: model_optim_rng/data.pkl, flag 0x0808, zero sizes, FB padding to 64.
    REQUIRE(raw.size() > 200);
    CHECK(le32(raw, 0) == 0x04034b50);
    CHECK((raw[6] | raw[7] << 8) == 0x0808);
    CHECK(le32(raw, 18) == 0);
    const size_t name_len = raw[26] | raw[27] << 8, extra_len = raw[28] | raw[29] << 8;
    CHECK(std::string(raw.begin() + 30, raw.begin() + 30 + static_cast<long>(name_len)) == "model_optim_rng/data.pkl");
    CHECK(raw[30 + name_len] == 'F');
    CHECK(raw[31 + name_len] == 'B');
    CHECK((30 + name_len + extra_len) % 64 == 0);
    CHECK(raw[30 + name_len + extra_len] == 0x80);  // PROTO
    CHECK(raw[31 + name_len + extra_len] == 2);
    // Ends with a zip64 end record, its locator, and the classic end record.
    CHECK(le32(raw, raw.size() - 22) == 0x06054b50);
    CHECK(le32(raw, raw.size() - 42) == 0x07064b50);
    CHECK(le32(raw, raw.size() - 98) == 0x06064b50);
    const std::string text(raw.begin(), raw.end());
    for (const char* rec : {"model_optim_rng/byteorder", "model_optim_rng/data/0", "model_optim_rng/data/1",
                            "model_optim_rng/version"})
        CHECK(text.find(rec) != std::string::npos);
    CHECK(text.find("little") != std::string::npos);
}

TEST_CASE("Megatron-style .pt: args Namespace becomes config, model tensors keep their names", "[torch_pt]") {
    TempDir dir;
    const auto path = dir / "model_optim_rng.pt";
    const nlohmann::json args = {{"num_layers", 2},      {"hidden_size", 8},       {"lr", 3.0e-4},
                                 {"swiglu", true},       {"params_dtype", "torch.bfloat16"},
                                 {"seq_length", 4096},   {"data_path", {"a", "b"}}, {"vpp", nullptr},
                                 {"big", 1LL << 40},     {"neg", -70000},          {"nested", {{"k", 1}}}};
    TorchPtWriterOptions opts;
    opts.extra = megatron_extra_entries(args, 1234);
    TorchPtWriter w(path, opts);
    write_all(w, {{"decoder.layers.0.mlp.linear_fc1.weight", DType::BF16, {4, 8}}, {"output_layer.weight", DType::F32, {2, 8}}});

    auto ckpt = open_torch_pt(path);
    INFO(ckpt.status().to_string());
    REQUIRE(ckpt.is_ok());
    REQUIRE(ckpt->tensors.size() == 2);
    CHECK(ckpt->find("decoder.layers.0.mlp.linear_fc1.weight") != nullptr);
    CHECK(ckpt->find("model.output_layer.weight") == nullptr);
    CHECK(ckpt->config == args);  // "torch.bfloat16" went out as the torch dtype global and came back
    CHECK(ckpt->metadata["iteration"] == 1234);
    CHECK(ckpt->metadata["checkpoint_version"] == 3.0);
    CHECK(ckpt->metadata["keys"] == nlohmann::json({"args", "checkpoint_version", "iteration", "model"}));

    auto value = read_torch_pt_pickle(path);
    REQUIRE(value.is_ok());
    const PickleValue* a = value->get("args");
    REQUIRE(a != nullptr);
    CHECK(a->is(PickleValue::Kind::Namespace));
    REQUIRE(a->get("params_dtype") != nullptr);
    CHECK(a->get("params_dtype")->is(PickleValue::Kind::Global));
    CHECK(a->get("lr")->is(PickleValue::Kind::Float));
}

TEST_CASE("weights_only_safe writes args as a dict and no floats", "[torch_pt]") {
    TempDir dir;
    const auto path = dir / "safe.pt";
    TorchPtWriterOptions opts;
    opts.extra = megatron_extra_entries({{"lr", 0.5}, {"layers", 2}}, 7);
    opts.weights_only_safe = true;
    TorchPtWriter w(path, opts);
    write_all(w, {{"w", DType::F32, {2}}});
    auto value = read_torch_pt_pickle(path);
    REQUIRE(value.is_ok());
    const PickleValue* a = value->get("args");
    REQUIRE(a != nullptr);
    CHECK(a->is(PickleValue::Kind::Dict));
    CHECK(a->get("lr")->as_string() == "0.5");
    CHECK(value->get("checkpoint_version")->is(PickleValue::Kind::Int));
    CHECK(value->get("checkpoint_version")->as_int() == 3);
    const auto raw = test::read_file(path);
    const std::string text(raw.begin(), raw.end());
    CHECK(text.find("argparse") == std::string::npos);

    TorchPtWriterOptions bad;
    bad.extra = {{"blob", PickleValue::bytes("xyz")}};
    bad.weights_only_safe = true;
    TorchPtWriter w2(dir / "bad.pt", bad);
    auto s = w2.begin({{"w", DType::F32, {2}}});
    CHECK(s.code() == StatusCode::InvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains("bytes"));
}

TEST_CASE("tensors placed inside extra entries are flattened with dotted names", "[torch_pt]") {
    TempDir dir;
    const auto path = dir / "nested.pt";
    PickleTensorRef ref;
    ref.entry = 1;
    TorchPtWriterOptions opts;
    opts.tensors_key = "state";
    opts.extra = {{"encoder", PickleValue::dict({{PickleValue::string("layers"),
                                                  PickleValue::list({PickleValue::tensor(ref), PickleValue::integer(3)})},
                                                 {PickleValue::string("blob"), PickleValue::bytes(std::string("\x00\xff", 2))}})},
                  {"step", PickleValue::integer(-5)}};
    TorchPtWriter w(path, opts);
    const auto data = write_all(w, {{"x", DType::I16, {3}}, {"y", DType::F32, {2, 2}}});
    auto ckpt = open_torch_pt(path);
    INFO(ckpt.status().to_string());
    REQUIRE(ckpt.is_ok());
    REQUIRE(ckpt->tensors.size() == 2);
    const TensorInfo* y = ckpt->find("encoder.layers.0");
    const TensorInfo* x = ckpt->find("state.x");
    REQUIRE(y != nullptr);
    REQUIRE(x != nullptr);
    CHECK(*ckpt->read(*y) == data[1]);
    CHECK(*ckpt->read(*x) == data[0]);
    auto value = read_torch_pt_pickle(path);
    REQUIRE(value.is_ok());
    CHECK(value->get("encoder")->get("blob")->as_string() == std::string("\x00\xff", 2));
    CHECK(value->get("step")->as_int() == -5);
}

TEST_CASE("torch .pt writer refuses bad plans and unfinished files", "[torch_pt]") {
    TempDir dir;
    {
        TorchPtWriter w(dir / "dup.pt");
        auto s = w.begin({{"a", DType::F32, {1}}, {"a", DType::F32, {1}}});
        CHECK(s.code() == StatusCode::InvalidArgument);
        CHECK(s.tensor() == "a");
    }
    {
        TorchPtWriter w(dir / "f4.pt");
        auto s = w.begin({{"packed", DType::F4, {4}}});
        CHECK(s.code() == StatusCode::Unsupported);
        CHECK(s.tensor() == "packed");
    }
    {
        TorchPtWriter w(dir / "partial.pt");
        REQUIRE(w.begin({{"a", DType::F32, {2}}, {"b", DType::F32, {2}}}).is_ok());
        REQUIRE(w.write(0, pattern(8, 0)).is_ok());
        CHECK(w.write(1, pattern(4, 0)).code() == StatusCode::Internal);  // wrong size
        auto s = w.finish();
        CHECK(s.code() == StatusCode::Internal);
        CHECK(s.tensor() == "b");
    }
}
