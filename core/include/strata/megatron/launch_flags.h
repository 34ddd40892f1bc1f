// A Megatron-LM launch script read as the flags it passes: `\` continuations, variables
// assigned in the same file (NAME=..., NAME=( ... ) arrays, ${NAME}, $NAME, ${NAME:-default},
// ${NAME[@]}), single and double quotes, comments. Flags come from the command lines; a
// variable no command line of the file expands (a MODEL_ARGS="..." block another script
// sources) is read as flags too. A value the file cannot give (an unassigned variable, $(...))
// is kept unresolved and reported with its line, never guessed. Megatron's flag names and
// argparse destinations (megatron/training/arguments.py, the ArgumentGroupFactory over
// TransformerConfig / ModelParallelConfig) have one home here: megatron_flag_rule().
// Usage: STRATA_TRY(LaunchFlags f, read_launch_flags("train.sh")); f.get("num_layers");
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata {

// How argparse stores a flag (arguments.py): a typed value, or a store_true/store_false switch.
enum class FlagType { Int, Float, String, StoreTrue, StoreFalse };

struct MegatronFlagRule {
    const char* flag;  // "--num-layers"
    const char* dest;  // "num_layers" (the args Namespace field check_checkpoint_args reads)
    FlagType type;
    // Names Megatron-LM does not define (MindSpeed-LLM's): the Megatron-LM flag to use instead.
    const char* megatron_name = nullptr;
};
// The rule for a flag Strata checks ("--disable-bias-linear" -> add_bias_linear, StoreFalse);
// nullptr for the many flags that do not change what a checkpoint must hold.
const MegatronFlagRule* megatron_flag_rule(std::string_view flag);
// The first flag that sets `dest` ("tensor_model_parallel_size" -> "--tensor-model-parallel-size").
std::string megatron_flag_for_dest(std::string_view dest);

struct LaunchFlag {
    std::string flag;                  // "--num-layers"
    std::optional<std::string> value;  // none for a switch
    int line = 0;            // 1-based: the line that writes the flag (when one line does), else its command's
    bool resolved = true;    // false: the value uses a variable the file does not assign
    std::string unresolved;  // "$CHECKPOINT" (what could not be resolved)
};

struct LaunchProblem {
    int line = 0;
    std::string message;
};

struct LaunchFlags {
    std::string file;                     // as given, for messages
    std::vector<LaunchFlag> flags;        // in order; a later one overrides an earlier (argparse)
    std::vector<LaunchProblem> problems;  // unresolved values, values of the wrong type

    // The last occurrence of `flag`, or nullptr.
    const LaunchFlag* find(std::string_view flag) const;
    // argparse's value for `dest` over the known rules: "true"/"false" for switches, the typed
    // flag's text otherwise; nullopt when no flag sets it or its value is unresolved.
    std::optional<std::string> get(std::string_view dest) const;
    // The flag (as written) that set `dest`, or "".
    std::string flag_of(std::string_view dest) const;
    int line_of(std::string_view dest) const;
};

// Parses a script's text. InvalidArgument (with "FILE:LINE:") only for text no shell would run:
// an unterminated quote, ${...} or ( ... ) array.
Result<LaunchFlags> parse_launch_flags(std::string_view text, const std::string& file_name);
// Reads and parses a file (at most 1 MiB).
Result<LaunchFlags> read_launch_flags(const std::string& path);

}  // namespace strata
