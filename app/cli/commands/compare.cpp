// strata compare A B --tokens 1,2,3 [--tolerance X] [--device] [--dtype] [--json]: runs the
// reference forward on two checkpoints (any layouts; a .npy path is taken as saved logits)
// and prints per-position max/mean abs difference, KL divergence and top-1 agreement.
// Exits 1 past --tolerance (max abs per position), naming the first position that diverges.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.h"
#include "strata/forward/forward.h"
#include "strata/forward/logits_compare.h"
#include "strata/forward/npy.h"

namespace strata::cli {
namespace {

struct Side {
    std::string label;  // "qwen3_moe, megatron layout" or "saved logits"
    std::vector<float> logits;
    uint64_t tokens = 0, vocab = 0;
};

Result<Side> load_side(const std::string& path, const std::vector<int32_t>& tokens, const ForwardOptions& o,
                       ProgressSink& progress, const CancelToken& cancel) {
    Side s;
    if (path.size() > 4 && path.ends_with(".npy")) {
        STRATA_TRY(NpyArray a, read_npy(path));
        if (a.shape.size() != 2)
            return Status::invalid_argument("compare: logits must be [tokens, vocab]").in_file(path);
        s.label = "saved logits";
        s.tokens = a.shape[0];
        s.vocab = a.shape[1];
        s.logits = std::move(a.data);
        return s;
    }
    if (tokens.empty()) return Status::invalid_argument("compare: --tokens is required to run " + path);
    STRATA_TRY(ForwardResult r, run_forward(path, tokens, o, progress, cancel));
    s.label = r.model_type + ", " + r.layout + " layout";
    s.tokens = r.tokens;
    s.vocab = r.vocab;
    s.logits = std::move(r.logits);
    return s;
}

}  // namespace

void add_compare_command(CLI::App& app) {
    struct Args {
        std::string a, b, tokens, device = "cpu", dtype = "f32";
        double tolerance = 1e-4;
        bool json = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("compare", "Run two checkpoints on the same tokens and compare their logits");
    cmd->add_option("a", args->a, "first checkpoint (or saved logits .npy)")->required();
    cmd->add_option("b", args->b, "second checkpoint (or saved logits .npy)")->required();
    cmd->add_option("--tokens", args->tokens, "token ids, comma-separated: 1,2,3");
    cmd->add_option("--tolerance", args->tolerance,
                    "largest allowed max abs logit difference per position (default 1e-4)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--device", args->device, "kernels backend: cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
    cmd->add_option("--dtype", args->dtype, "compute precision: f32 or bf16")->check(CLI::IsMember({"f32", "bf16"}));
    cmd->add_flag("--json", args->json, "machine-readable output");
    cmd->callback([args] {
        std::vector<int32_t> tokens;
        if (!args->tokens.empty()) {
            auto t = parse_token_list(args->tokens);
            check(t.status());
            tokens = *t;
        }
        ForwardOptions o;
        o.device = args->device;
        o.precision = args->dtype == "bf16" ? ForwardPrecision::BF16 : ForwardPrecision::F32;
        TerminalProgress progress(!args->json);
        CancelToken cancel;
        auto a = load_side(args->a, tokens, o, progress, cancel);
        check(a.status());
        auto b = load_side(args->b, tokens, o, progress, cancel);
        check(b.status());
        if (a->tokens != b->tokens || a->vocab != b->vocab)
            check(Status::invalid_argument("compare: A has logits [" + std::to_string(a->tokens) + ", " +
                                           std::to_string(a->vocab) + "], B [" + std::to_string(b->tokens) + ", " +
                                           std::to_string(b->vocab) + "]"));
        auto c = compare_logits(a->logits, b->logits, a->tokens, a->vocab);
        check(c.status());
        const auto first = c->first_divergent(args->tolerance);
        auto token_at = [&](uint64_t t) { return t < tokens.size() ? tokens[t] : -1; };
        if (args->json) {
            nlohmann::json j{{"a", args->a},
                             {"b", args->b},
                             {"a_label", a->label},
                             {"b_label", b->label},
                             {"tokens", a->tokens},
                             {"vocab", a->vocab},
                             {"tolerance", args->tolerance},
                             {"max_abs", c->max_abs},
                             {"mean_abs", c->mean_abs},
                             {"max_kl", c->max_kl},
                             {"top1_agreement", c->top1_agreement},
                             {"ok", !first.has_value()}};
            j["first_divergent"] = first ? nlohmann::json(*first) : nlohmann::json();
            auto& pos = j["positions"] = nlohmann::json::array();
            for (uint64_t t = 0; t < c->tokens; ++t) {
                const auto& p = c->positions[t];
                pos.push_back({{"position", t},
                               {"token", token_at(t)},
                               {"max_abs", p.max_abs},
                               {"mean_abs", p.mean_abs},
                               {"kl", p.kl},
                               {"top1_a", p.top1_a},
                               {"top1_b", p.top1_b}});
            }
            std::cout << j.dump(1) << "\n";
        } else {
            std::printf("A: %s (%s)\nB: %s (%s)\n", args->a.c_str(), a->label.c_str(), args->b.c_str(),
                        b->label.c_str());
            std::printf("%5s %8s %12s %12s %12s %9s\n", "pos", "token", "max_abs", "mean_abs", "KL", "top1 A/B");
            uint64_t agree = 0;
            for (uint64_t t = 0; t < c->tokens; ++t) {
                const auto& p = c->positions[t];
                agree += p.top1_a == p.top1_b;
                std::printf("%5llu %8d %12.4e %12.4e %12.4e %4d/%-4d%s\n", static_cast<unsigned long long>(t),
                            token_at(t), p.max_abs, p.mean_abs, p.kl, p.top1_a, p.top1_b,
                            p.top1_a == p.top1_b ? "" : " !");
            }
            std::printf("overall: max abs %.4e, mean abs %.4e, max KL %.4e, top-1 agreement %llu/%llu (%.1f%%)\n",
                        c->max_abs, c->mean_abs, c->max_kl, static_cast<unsigned long long>(agree),
                        static_cast<unsigned long long>(c->tokens), 100.0 * c->top1_agreement);
            if (first)
                std::printf("FAIL: position %llu (token %d) diverges first: max abs %.4e > tolerance %.1e\n",
                            static_cast<unsigned long long>(*first), token_at(*first), c->positions[*first].max_abs,
                            args->tolerance);
            else
                std::printf("OK: every position within tolerance %.1e\n", args->tolerance);
        }
        std::fflush(stdout);
        if (first) {
            std::cerr << "strata: compare: logits diverge first at position " << *first << " (max abs "
                      << c->positions[*first].max_abs << " > tolerance " << args->tolerance << ")\n";
            exit_with(1);
        }
    });
}

}  // namespace strata::cli
