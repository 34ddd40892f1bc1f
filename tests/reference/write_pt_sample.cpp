// Test helper for test_torch_pt_load.py: writes two small .pt files with Strata's
// TorchPtWriter so real torch can load them.
//   megatron.pt  Megatron profile: args as argparse.Namespace, checkpoint_version 3.0
//   safe.pt      weights_only_safe profile: args as a plain dict, no floats
// Tensor values: element i of tensor k is (k + 1) * 100 + i (as the tensor's dtype).
// Usage: write_pt_sample OUT_DIR
#include <cstring>
#include <iostream>

#include "strata/formats/megatron.h"
#include "strata/formats/torch_pt.h"

using namespace strata;

namespace {

std::vector<std::byte> values(const TensorEntry& e, int k) {
    const uint64_t n = *numel(e.shape);
    std::vector<std::byte> out(e.byte_size());
    for (uint64_t i = 0; i < n; ++i) {
        const double v = (k + 1) * 100.0 + static_cast<double>(i);
        std::byte* p = out.data() + i * dtype_size(e.dtype);
        if (e.dtype == DType::F32) {
            const float f = static_cast<float>(v);
            std::memcpy(p, &f, 4);
        } else if (e.dtype == DType::BF16) {  // exact for these small integers
            const float f = static_cast<float>(v);
            uint32_t bits;
            std::memcpy(&bits, &f, 4);
            const uint16_t h = static_cast<uint16_t>(bits >> 16);
            std::memcpy(p, &h, 2);
        } else if (e.dtype == DType::I64) {
            const int64_t x = static_cast<int64_t>(v);
            std::memcpy(p, &x, 8);
        } else if (e.dtype == DType::F16) {  // 100..199 and 300..: exact in f16, built from the f32 bits
            const float f = static_cast<float>(v);
            uint32_t bits;
            std::memcpy(&bits, &f, 4);
            const uint16_t h = static_cast<uint16_t>(((bits >> 16) & 0x8000) | ((((bits >> 23) & 0xff) - 112) << 10) |
                                                     ((bits >> 13) & 0x3ff));
            std::memcpy(p, &h, 2);
        }
    }
    return out;
}

int write(const std::filesystem::path& path, TorchPtWriterOptions opts) {
    const std::vector<TensorEntry> entries = {{"embedding.word_embeddings.weight", DType::BF16, {4, 3}},
                                              {"decoder.final_layernorm.weight", DType::F32, {3}},
                                              {"positions", DType::I64, {5}},
                                              {"decoder.layers.0.mlp.linear_fc2.weight", DType::F16, {2, 2, 2}}};
    TorchPtWriter w(path, std::move(opts));
    Status s = w.begin(entries);
    for (size_t i = 0; s.is_ok() && i < entries.size(); ++i) s = w.write(i, values(entries[i], static_cast<int>(i)));
    if (s.is_ok()) s = w.finish();
    if (!s.is_ok()) {
        std::cerr << s.to_string() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: write_pt_sample OUT_DIR\n";
        return 2;
    }
    const std::filesystem::path out = argv[1];
    const nlohmann::json args = {{"num_layers", 1}, {"hidden_size", 3}, {"lr", 0.25},
                                 {"params_dtype", "torch.bfloat16"}, {"tokenizer_type", "GPT2BPETokenizer"},
                                 {"swiglu", true}, {"vpp", nullptr}, {"ranks", {1, 2}}};
    TorchPtWriterOptions mg;
    mg.extra = megatron_extra_entries(args, 10);
    TorchPtWriterOptions safe = mg;
    safe.weights_only_safe = true;
    return write(out / "megatron.pt", mg) | write(out / "safe.pt", safe);
}
