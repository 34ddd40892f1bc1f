// Launch-script flags (megatron/launch_flags.h) and their check against a checkpoint
// (parallel/launch_check.h), on Qwen3-30B-A3B (the synth preset at real dims) and
// Megatron-LM's own Qwen3 example scripts (tests/reference/fixtures/launch_flags).
#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <sstream>

#include "strata/megatron/launch_flags.h"
#include "strata/parallel/launch_check.h"
#include "strata/synth/synth.h"

using namespace strata;

namespace {

const std::string kFixtures = std::string(STRATA_SOURCE_DIR) + "/tests/reference/fixtures/launch_flags/";

LaunchFlags parse(const std::string& text) {
    auto f = parse_launch_flags(text, "train.sh");
    REQUIRE(f.is_ok());
    return *f;
}

const SynthPreset& qwen3_30b() {
    const SynthPreset* p = find_synth_preset("qwen3-30b-a3b");
    REQUIRE(p != nullptr);
    return *p;
}

LaunchCheck check_hf(const std::string& script) {
    const SynthPreset& p = qwen3_30b();
    auto spec = model_spec_from_hf_config(p.config);
    REQUIRE(spec.is_ok());
    auto c = check_launch_flags(parse(script), *spec, p.config, false, MegatronVersion::V0_16);
    REQUIRE(c.is_ok());
    return *c;
}

const LaunchFinding* finding(const LaunchCheck& c, const std::string& flag) {
    for (const auto& f : c.findings)
        if (f.flag == flag) return &f;
    return nullptr;
}

std::string all_messages(const LaunchCheck& c) {
    std::string s;
    for (const auto& f : c.findings)
        s += std::string(launch_finding_kind_name(f.kind)) + " " + f.flag + ": " + f.message + "\n";
    return s;
}

// Flags that build Qwen3-30B-A3B exactly as strata writes it for Megatron.
const std::string kMatching = R"(#!/bin/bash
MODEL_ARGS=(
    --num-layers 48 --hidden-size 2048 --ffn-hidden-size 6144   # dense FFN (unused: every layer is MoE)
    --num-attention-heads 32 --group-query-attention --num-query-groups 4 --kv-channels 128
    --num-experts 128 --moe-ffn-hidden-size 768 --moe-router-topk 8
    --position-embedding-type rope --rotary-base 1000000 --normalization RMSNorm --norm-epsilon 1e-6
    --swiglu --qk-layernorm --disable-bias-linear --untie-embeddings-and-output-weights
)
PAR=(--tensor-model-parallel-size 2 --sequence-parallel --expert-model-parallel-size 8
     --make-vocab-size-divisible-by 64)  # 151936 = 1187 x 64 x TP 2: no padding
torchrun pretrain_gpt.py "${MODEL_ARGS[@]}" "${PAR[@]}" --load /ckpt
)";

}  // namespace

TEST_CASE("launch flags: continuations, variables, defaults, quotes and arrays", "[megatron][launch]") {
    const auto f = parse(R"(#!/bin/bash
NUM_LAYERS=96   # a comment
TP=${TP:-4}
NAME='single $NOT_EXPANDED'
ARGS="--num-layers ${NUM_LAYERS} \
      --hidden-size 2048"
EXTRA=(--swiglu
       --normalization "RMSNorm")
torchrun pretrain_gpt.py $ARGS "${EXTRA[@]}" \
    --tensor-model-parallel-size $TP --tokenizer-type "$NAME" --seq-length=4096 \
    --load $CHECKPOINT --ffn-hidden-size $FFN --kv-channels abc
)");
    CHECK(f.get("num_layers") == std::optional<std::string>("96"));
    CHECK(f.get("hidden_size") == std::optional<std::string>("2048"));
    CHECK(f.get("swiglu") == std::optional<std::string>("true"));
    CHECK(f.get("normalization") == std::optional<std::string>("RMSNorm"));
    CHECK(f.get("tensor_model_parallel_size") == std::optional<std::string>("4"));
    CHECK(f.get("tokenizer_type") == std::optional<std::string>("single $NOT_EXPANDED"));
    CHECK(f.get("seq_length") == std::optional<std::string>("4096"));
    CHECK(f.line_of("tensor_model_parallel_size") == 10);  // the line that writes it
    // Unassigned variables and bad values are reported with the line, never guessed.
    CHECK_FALSE(f.get("ffn_hidden_size"));
    CHECK_FALSE(f.get("kv_channels"));
    REQUIRE(f.problems.size() == 2);
    CHECK(f.problems[0].message ==
          "train.sh:11: --ffn-hidden-size $FFN: the file does not assign it, so its value is unknown");
    CHECK(f.problems[1].message == "train.sh:11: --kv-channels 'abc' is not an integer");
    const LaunchFlag* load = f.find("--load");
    REQUIRE(load != nullptr);
    CHECK_FALSE(load->resolved);
    CHECK(load->unresolved == "$CHECKPOINT");
    // argparse keeps the last value; store_false switches read as false.
    const auto g = parse("python x.py --num-layers 2 --disable-bias-linear --num-layers 3 --no-position-embedding\n");
    CHECK(g.get("num_layers") == std::optional<std::string>("3"));
    CHECK(g.get("add_bias_linear") == std::optional<std::string>("false"));
    CHECK(g.get("add_position_embedding") == std::optional<std::string>("false"));
}

TEST_CASE("launch flags: a block no command expands counts, one a command expands counts once", "[megatron][launch]") {
    // Megatron-LM's modelopt conf: MODEL_ARGS="..." for another script to source.
    auto modelopt = read_launch_flags(kFixtures + "qwen3_30b_a3b_modelopt.sh");
    REQUIRE(modelopt.is_ok());
    CHECK(modelopt->get("num_layers") == std::optional<std::string>("48"));
    CHECK(modelopt->get("make_vocab_size_divisible_by") == std::optional<std::string>("1187"));
    CHECK(modelopt->problems.empty());
    // The RL config: ${TP:-4} defaults, $(...) and a variable the fixture leaves unassigned.
    auto rl = read_launch_flags(kFixtures + "qwen3_30b_a3b_rl.sh");
    REQUIRE(rl.is_ok());
    CHECK(rl->get("tensor_model_parallel_size") == std::optional<std::string>("4"));
    CHECK(rl->get("expert_model_parallel_size") == std::optional<std::string>("2"));
    REQUIRE(rl->problems.size() == 1);
    CHECK(rl->problems[0].message.find("--seq-length $MAX_SEQ_LENGTH: the file does not assign it") !=
          std::string::npos);
    const auto twice = parse("A=\"--num-layers 4\"\nB=\"$A --swiglu\"\npython x.py $B\n");
    int layers = 0;
    for (const auto& fl : twice.flags) layers += fl.flag == "--num-layers";
    CHECK(layers == 1);
    // Lines: the one uncommented line that writes a flag, else the command that passes it.
    const auto lines =
        parse("A=\"--swiglu\"\n# --swiglu\nB=\"--num-layers 2\"\nC=\"--num-layers 3\"\npython x.py $A $B $C\n");
    CHECK(lines.line_of("swiglu") == 1);
    CHECK(lines.line_of("num_layers") == 5);
    CHECK(lines.get("num_layers") == std::optional<std::string>("3"));
}

TEST_CASE("launch flags: text no shell would run is an error naming the file and line", "[megatron][launch]") {
    auto a = parse_launch_flags("A=1\nB=\"--num-layers 4\n", "bad.sh");
    REQUIRE_FALSE(a.is_ok());
    CHECK(a.status().message() == "bad.sh:2: unterminated double quote");
    auto b = parse_launch_flags("ARGS=(\n --swiglu\n", "bad.sh");
    REQUIRE_FALSE(b.is_ok());
    CHECK(b.status().message().find("bad.sh:1: unterminated '('") != std::string::npos);
    auto c = parse_launch_flags("python x.py --num-layers ${N\n", "bad.sh");
    REQUIRE_FALSE(c.is_ok());
    CHECK(c.status().message() == "bad.sh:1: unterminated ${");
    auto d = read_launch_flags("/nonexistent/train.sh");
    REQUIRE_FALSE(d.is_ok());
    CHECK(d.status().to_string() == "/nonexistent/train.sh: no such file");
}

TEST_CASE("launch check: flags that build the checkpoint's model give no finding", "[megatron][launch]") {
    const LaunchCheck c = check_hf(kMatching);
    INFO(all_messages(c));
    CHECK(c.findings.empty());
    CHECK_FALSE(c.stops);
    CHECK(c.plan.tp == 2);
    CHECK(c.plan.ep == 8);
    CHECK(c.basis.find("strata convert --to megatron") != std::string::npos);
}

TEST_CASE("launch check: each kind of mismatch is named", "[megatron][launch]") {
    auto with = [](const std::string& from, const std::string& to) {
        std::string s = kMatching;
        const auto at = s.find(from);
        REQUIRE(at != std::string::npos);
        return s.replace(at, from.size(), to);
    };
    SECTION("check_checkpoint_args") {
        const LaunchCheck c = check_hf(with("--num-layers 48", "--num-layers 47"));
        const LaunchFinding* f = finding(c, "--num-layers");
        REQUIRE(f != nullptr);
        CHECK(f->kind == LaunchFindingKind::CheckpointArgs);
        CHECK(f->stops);
        CHECK(f->message ==
              "megatron-core would stop in check_checkpoint_args: AssertionError: num_layers value from "
              "checkpoint (48) is not equal to the input argument value (47)");
        CHECK(c.stops);
        // --finetune skips check_checkpoint_args; the layers' keys still differ.
        const LaunchCheck ft = check_hf(with("--num-layers 48", "--num-layers 47 --finetune"));
        REQUIRE(finding(ft, "--num-layers") != nullptr);
        CHECK(finding(ft, "--num-layers")->kind == LaunchFindingKind::Shape);
    }
    SECTION("add_position_embedding: the issue's AssertionError, and --use-checkpoint-args") {
        const SynthPreset& p = qwen3_30b();
        auto spec = model_spec_from_hf_config(p.config);
        REQUIRE(spec.is_ok());
        nlohmann::json args = check_hf(kMatching).checkpoint_args;
        args["add_position_embedding"] = false;  // what Strata wrote before, and Bridge-style args
        auto c = check_launch_flags(parse(kMatching), *spec, args, true, MegatronVersion::V0_16);
        REQUIRE(c.is_ok());
        const LaunchFinding* f = finding(*c, "--no-position-embedding");
        REQUIRE(f != nullptr);
        CHECK(f->kind == LaunchFindingKind::CheckpointArgs);
        CHECK(f->message.find("add_position_embedding value from checkpoint (False) is not equal to the input "
                              "argument value (True). Fix: pass --no-position-embedding") != std::string::npos);
        CHECK(c->basis == "the checkpoint's Megatron args");
        auto fixed = check_launch_flags(parse(kMatching + "python x.py --use-checkpoint-args\n"), *spec, args, true,
                                        MegatronVersion::V0_16);
        REQUIRE(fixed.is_ok());
        CHECK(finding(*fixed, "--no-position-embedding") == nullptr);
        CHECK_FALSE(fixed->stops);
        // A legacy checkpoint at another TP is not resharded on load.
        args["ckpt_format"] = "torch";
        args["tensor_model_parallel_size"] = 1;
        auto legacy = check_launch_flags(parse(kMatching), *spec, args, true, MegatronVersion::V0_16);
        REQUIRE(legacy.is_ok());
        REQUIRE(finding(*legacy, "--tensor-model-parallel-size") != nullptr);
        CHECK(finding(*legacy, "--tensor-model-parallel-size")->kind == LaunchFindingKind::Parallel);
    }
    SECTION("shape") {
        const LaunchCheck c = check_hf(with("--moe-ffn-hidden-size 768", "--moe-ffn-hidden-size 1536"));
        const LaunchFinding* f = finding(c, "--moe-ffn-hidden-size");
        REQUIRE(f != nullptr);
        CHECK(f->kind == LaunchFindingKind::Shape);
        CHECK(f->launch_value == "1536");
        CHECK(f->checkpoint_value == "768");
        const LaunchCheck tie = check_hf(with(" --untie-embeddings-and-output-weights", ""));
        REQUIRE(finding(tie, "--untie-embeddings-and-output-weights") != nullptr);
        CHECK(finding(tie, "--untie-embeddings-and-output-weights")->message.find("output_layer.weight") !=
              std::string::npos);
        // Megatron's default position embedding type is learned_absolute: a tensor RoPE checkpoints lack.
        const LaunchCheck pos = check_hf(with("--position-embedding-type rope", ""));
        REQUIRE(finding(pos, "--position-embedding-type") != nullptr);
        CHECK(finding(pos, "--position-embedding-type")->kind == LaunchFindingKind::Shape);
        const LaunchCheck vocab = check_hf(with("--swiglu", "--swiglu --make-vocab-size-divisible-by 1000"));
        REQUIRE(finding(vocab, "--make-vocab-size-divisible-by") == nullptr);  // strata pads with the flags' divisor
    }
    SECTION("parallel, from the plan checks") {
        const LaunchCheck c = check_hf(with("--tensor-model-parallel-size 2", "--tensor-model-parallel-size 8"));
        const LaunchFinding* f = finding(c, "--tensor-model-parallel-size");
        REQUIRE(f != nullptr);
        CHECK(f->kind == LaunchFindingKind::Parallel);
        CHECK(f->message.find("KV groups 4 is not divisible by TP=8") != std::string::npos);
        CHECK(f->line == 9);  // the PAR=( line, not the torchrun line that expands it
    }
    SECTION("warning: the job starts, but not as the checkpoint was trained") {
        const LaunchCheck c = check_hf(with(" --norm-epsilon 1e-6", ""));
        const LaunchFinding* f = finding(c, "--norm-epsilon");
        REQUIRE(f != nullptr);
        CHECK(f->kind == LaunchFindingKind::Warning);
        CHECK_FALSE(f->stops);
        CHECK_FALSE(c.stops);
        const LaunchCheck topk = check_hf(with("--moe-router-topk 8", "--moe-router-topk 4"));
        REQUIRE(finding(topk, "--moe-router-topk") != nullptr);
        CHECK_FALSE(finding(topk, "--moe-router-topk")->stops);
    }
    SECTION("argument: names Megatron-LM does not have") {
        const LaunchCheck c = check_hf(kMatching + "python x.py --mamba-ngroups 4\n");
        const LaunchFinding* f = finding(c, "--mamba-ngroups");
        REQUIRE(f != nullptr);
        CHECK(f->kind == LaunchFindingKind::Argument);
        CHECK(f->message.find("argparse stops with 'unrecognized arguments'") != std::string::npos);
        // validate_args: --no-position-embedding only with RoPE.
        const LaunchCheck nope = check_hf(with("--position-embedding-type rope", "--no-position-embedding"));
        const LaunchFinding* g = finding(nope, "--no-position-embedding");
        REQUIRE(g != nullptr);
        CHECK(g->kind == LaunchFindingKind::Argument);
        CHECK(g->message.find("RuntimeError: --no-position-embedding is deprecated") != std::string::npos);
        CHECK(f->message.find("--mamba-num-groups") != std::string::npos);
    }
}

TEST_CASE("launch flags: mutated scripts give a result or an error, never an exception or a hang",
          "[megatron][launch]") {
    const SynthPreset& p = qwen3_30b();
    auto spec = model_spec_from_hf_config(p.config);
    REQUIRE(spec.is_ok());
    std::vector<std::string> seeds = {kMatching};
    for (const char* name : {"qwen3_30b_a3b_modelopt.sh", "qwen3_30b_a3b_rl.sh", "seed_hybrid_96.sh"}) {
        std::ifstream f(kFixtures + name);
        std::stringstream ss;
        ss << f.rdbuf();
        REQUIRE(ss.str().size() > 100);
        seeds.push_back(ss.str());
    }
    const std::string alphabet = "\"'\\$(){}[]@:-=+# ;\n\t`*0123456789aZ_";
    std::mt19937 rng(15);
    int parsed = 0, refused = 0;
    for (int i = 0; i < 1200; ++i) {
        std::string text = seeds[static_cast<size_t>(i) % seeds.size()];
        const int edits = 1 + static_cast<int>(rng() % 6);
        for (int e = 0; e < edits && !text.empty(); ++e) {
            const size_t at = rng() % text.size();
            switch (rng() % 4) {
                case 0:
                    text.erase(at, 1);
                    break;
                case 1:
                    text.insert(at, 1, alphabet[rng() % alphabet.size()]);
                    break;
                case 2:
                    text[at] = alphabet[rng() % alphabet.size()];
                    break;
                default:
                    text.resize(at);
                    break;
            }
        }
        Result<LaunchFlags> flags = Status::internal("not run");
        REQUIRE_NOTHROW(flags = parse_launch_flags(text, "mutated.sh"));
        if (!flags) {
            ++refused;
            CHECK(flags.status().message().rfind("mutated.sh:", 0) == 0);
            continue;
        }
        ++parsed;
        if (i % 4 == 0)
            REQUIRE_NOTHROW((void)check_launch_flags(*flags, *spec, p.config, false, MegatronVersion::V0_16));
    }
    CHECK(parsed > 100);  // the mutations exercise both paths
    CHECK(refused > 100);
}
