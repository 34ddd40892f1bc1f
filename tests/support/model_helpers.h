// Test helpers for whole-model tests: the committed forward fixtures, running a forward or
// a conversion that must succeed (failing the test with the core's message otherwise),
// and bit-exact comparison of logits. Shared so forward and layout tests do not each
// carry their own copy.
// Usage: convert_ok(src, out, target(LayoutKind::Megatron, 2, 1, 2)); auto r = forward_ok(out, tokens);
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "strata/formats/checkpoint.h"
#include "strata/forward/forward.h"
#include "strata/mapping/layout.h"

namespace strata::test {

// `strata synth --preset P [--sparse] [--seed S]` into `out`, which must succeed; returns `out`.
std::filesystem::path synth_ok(const std::filesystem::path& out, const std::string& preset = "tiny",
                               bool sparse = false, uint64_t seed = 0);
// open_checkpoint that must succeed.
Checkpoint open_ok(const std::filesystem::path& path);

// tests/reference/fixtures/forward/<name>, and the token ids its logits were made with.
std::filesystem::path forward_fixture(const std::string& name);
std::vector<int32_t> fixture_tokens(const std::filesystem::path& dir);

ForwardResult forward_ok(const std::filesystem::path& dir, const std::vector<int32_t>& tokens,
                         const ForwardOptions& options = {});

// Runs the fp32 CPU forward on forward fixture `name` and checks it against the fixture's
// committed logits: model type, max abs <= 1e-4 on logits that span several units, the same
// top-1 tokens, and at most a third of the model resident at once. Returns the result.
ForwardResult check_against_fixture_logits(const std::string& name, const std::string& expect_type);

LayoutOptions target(LayoutKind kind, int tp = 1, int pp = 1, int ep = 1);
void convert_ok(const std::filesystem::path& src, const std::filesystem::path& out, const LayoutOptions& target,
                bool allow_unmapped = false);
// HF `hf` -> Megatron `megatron` -> HF, through dir/<tag>-mg (removed again) into dir/<tag>-hf;
// both conversions must succeed. Returns the HF copy, opened.
Checkpoint megatron_round_trip(const std::filesystem::path& hf, const std::filesystem::path& dir,
                               const std::string& tag, const LayoutOptions& megatron, bool allow_unmapped = false);

// Every tensor of `a` that `skip` does not name is in `b` (same rank) with the same dtype,
// shape and bytes, and `b` holds nothing else.
void require_same_tensors(const Checkpoint& a, const Checkpoint& b,
                          const std::function<bool(const std::string&)>& skip = {});

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace strata::test
