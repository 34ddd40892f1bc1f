// strata forward CKPT --tokens 1,2,3 [--device cpu|cuda] [--dtype f32|bf16] [--logits-out F.npy] [--json]:
// runs the reference forward on any layout, prints the top-5 tokens per position and
// writes all logits as float32 .npy [T, vocab]. Exits 1 when a logit is NaN or Inf.
#include <cmath>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.h"
#include "strata/forward/forward.h"
#include "strata/forward/npy.h"

namespace strata::cli {
namespace {

std::string human_bytes(uint64_t b) {
    char buf[32];
    if (b >= (uint64_t(1) << 30))
        std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(uint64_t(1) << 30));
    else if (b >= (uint64_t(1) << 20))
        std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1 << 20));
    else if (b >= 1024)
        std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024.0);
    else
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
    return buf;
}

uint64_t count_non_finite(const std::vector<float>& v) {
    uint64_t n = 0;
    for (float x : v)
        if (!std::isfinite(x)) ++n;
    return n;
}

}  // namespace

void add_forward_command(CLI::App& app) {
    struct Args {
        std::string ckpt, tokens, device = "cpu", dtype = "f32", logits_out;
        bool json = false, allow_unmapped = false;
        int top = 5;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("forward", "Run the reference forward pass and print the top tokens per position");
    cmd->add_option("checkpoint", args->ckpt, "checkpoint file or folder (HF, fused or Megatron)")->required();
    cmd->add_option("--tokens", args->tokens, "token ids, comma-separated: 1,2,3")->required();
    cmd->add_option("--device", args->device, "kernels backend: cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
    cmd->add_option("--dtype", args->dtype, "compute precision: f32 (reference) or bf16")
        ->check(CLI::IsMember({"f32", "bf16"}));
    cmd->add_option("--logits-out", args->logits_out, "write all logits as float32 .npy [tokens, vocab]");
    cmd->add_option("--top", args->top, "tokens to print per position (default 5)")->check(CLI::Range(1, 100));
    cmd->add_flag("--json", args->json, "machine-readable output");
    cmd->add_flag("--allow-unmapped", args->allow_unmapped, "ignore stored tensors no mapping rule covers");
    cmd->callback([args] {
        auto tokens = parse_token_list(args->tokens);
        check(tokens.status());
        ForwardOptions o;
        o.device = args->device;
        o.precision = args->dtype == "bf16" ? ForwardPrecision::BF16 : ForwardPrecision::F32;
        o.allow_unmapped = args->allow_unmapped;
        TerminalProgress progress(!args->json);
        CancelToken cancel;
        auto r = run_forward(args->ckpt, *tokens, o, progress, cancel);
        check(r.status());
        if (!args->logits_out.empty()) check(write_npy_f32(args->logits_out, r->logits, {r->tokens, r->vocab}));
        const uint64_t bad = count_non_finite(r->logits);
        if (args->json) {
            nlohmann::json j;
            j["checkpoint"] = args->ckpt;
            j["model_type"] = r->model_type;
            j["layout"] = r->layout;
            j["device"] = r->device;
            j["dtype"] = args->dtype;
            j["tokens"] = *tokens;
            j["vocab"] = r->vocab;
            j["seconds"] = r->seconds;
            j["weight_bytes_read"] = r->weight_bytes_read;
            j["peak_resident_bytes"] = r->peak_resident_bytes;
            j["non_finite_logits"] = bad;
            j["logits_out"] = args->logits_out.empty() ? nlohmann::json() : nlohmann::json(args->logits_out);
            auto& pos = j["positions"] = nlohmann::json::array();
            for (uint64_t t = 0; t < r->tokens; ++t) {
                nlohmann::json p{{"position", t}, {"token", (*tokens)[t]}};
                auto& top = p["top"] = nlohmann::json::array();
                for (const auto& tt : top_tokens(r->row(t), args->top))
                    top.push_back({{"id", tt.id}, {"logit", tt.logit}, {"prob", tt.prob}});
                pos.push_back(std::move(p));
            }
            std::cout << j.dump(1) << "\n";
        } else {
            std::printf("%s: %s (%s layout), %llu tokens, vocab %llu, %s on %s\n", args->ckpt.c_str(),
                        r->model_type.c_str(), r->layout.c_str(), static_cast<unsigned long long>(r->tokens),
                        static_cast<unsigned long long>(r->vocab), args->dtype.c_str(), r->device.c_str());
            std::printf("weights read %s, peak resident %s, %.3f s\n", human_bytes(r->weight_bytes_read).c_str(),
                        human_bytes(r->peak_resident_bytes).c_str(), r->seconds);
            std::printf("%5s %8s  top-%d (id:logit)\n", "pos", "token", args->top);
            for (uint64_t t = 0; t < r->tokens; ++t) {
                std::printf("%5llu %8d ", static_cast<unsigned long long>(t), (*tokens)[t]);
                for (const auto& tt : top_tokens(r->row(t), args->top)) std::printf(" %d:%.4f", tt.id, tt.logit);
                std::printf("\n");
            }
            if (!args->logits_out.empty())
                std::printf("logits [%llu, %llu] float32 -> %s\n", static_cast<unsigned long long>(r->tokens),
                            static_cast<unsigned long long>(r->vocab), args->logits_out.c_str());
        }
        std::fflush(stdout);
        if (bad) {
            std::cerr << "strata: forward: " << bad << " logits are NaN or Inf\n";
            exit_with(1);
        }
    });
}

}  // namespace strata::cli
