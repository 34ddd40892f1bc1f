#!/usr/bin/env bash
# Engine code never compares a model_type or an architecture name: it asks the architecture
# registry (core/include/strata/model/architecture.h). Fails listing every comparison or
# model-type whitelist call found in core/ and app/ outside core/src/architectures/.
# Usage: no_model_type_checks.sh PROJECT_ROOT
set -u
root="${1:?project root}"
cd "$root" || exit 2
names='qwen|llama|mistral|nemotron|m1_hybrid|megatron_(gpt|hybrid|gdn)|deepseek|glm|gpt_oss'
pattern="model_type(\(\))?[[:space:]]*(==|!=)|(==|!=)[[:space:]]*[A-Za-z_.>()-]*model_type|(==|!=)[[:space:]]*\"($names)|\"($names)[a-z0-9_.]*\"[[:space:]]*(==|!=)|kM1HybridModelType[[:space:]]*(==|!=)|(==|!=)[[:space:]]*kM1HybridModelType|is_[a-z0-9_]*_model_type\("
hits=$(grep -rnE --include='*.cpp' --include='*.h' "$pattern" core app | grep -v '^core/src/architectures/' |
       grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' | grep -vE '^core/include/[^:]+:[0-9]+:bool is_[a-z0-9_]*_model_type\(' |
       grep -v 'rope_scaling')  # rope_scaling types ("llama3") are config features named after a family
if [ -n "$hits" ]; then
    echo "model_type / architecture-name comparisons outside core/src/architectures (ask the registry instead):"
    echo "$hits"
    exit 1
fi
echo "no model_type comparisons outside core/src/architectures"
