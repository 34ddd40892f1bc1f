// Hostile inputs (issue 16): each gives a one-line error within bounded time and memory,
// never an abort, a stack overflow, a hang, a SIGBUS or a leak. One case per finding.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "pt_test_builders.h"
#include "strata/convert/convert.h"
#include "strata/formats/format_registry.h"
#include "strata/formats/megatron.h"
#include "strata/formats/safetensors.h"
#include "strata/formats/torch_pt.h"
#include "strata/io/bounded_read.h"
#include "strata/model/hf_config.h"
#include "strata/model/model_spec.h"
#include "strata/pattern/layer_pattern.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;
using namespace strata::test;
namespace fs = std::filesystem;

namespace {

// A one-tensor safetensors file whose header is `header` (data: 4 bytes).
std::string safetensors_bytes(const std::string& header) {
    std::string out;
    put_le(out, header.size(), 8);
    return out + header + std::string(4, '\0');
}

std::string tiny_header() { return R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})"; }

// A torch.save archive around a pickle (no tensors).
std::string pt_bytes(const std::string& pkl) {
    return build_zip({{"archive/data.pkl", pkl}, {"archive/version", "3\n"}});
}

// 60 lists, each holding the previous one twice: 900 bytes that a tree walk expands to 2^60.
std::string shared_lists_pickle(int levels) {
    Pickle p;
    p.op(']').op('q').op('\0');
    for (int i = 1; i <= levels; ++i) {
        p.op('(').op('h').op(static_cast<char>(i - 1)).op('h').op(static_cast<char>(i - 1)).op('l');
        p.op('q').op(static_cast<char>(i));
    }
    return p.done();
}

template <class F>
auto within_seconds(double seconds, F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = f();
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds);
    return r;
}

}  // namespace

TEST_CASE("hostile: a number too large for a double in any JSON Strata reads is a Corrupt error", "[hostile][json]") {
    TempDir dir;
    // config.json (the issue's repro: echo '{"num_hidden_layers":1e400}' > M/config.json; strata inspect M)
    fs::create_directories(dir / "m");
    write_file(dir / "m/model.safetensors", safetensors_bytes(tiny_header()));
    write_file(dir / "m/config.json", std::string(R"({"num_hidden_layers":1e400})"));
    auto m = open_checkpoint(dir / "m");
    REQUIRE_FALSE(m.is_ok());
    CHECK(m.status().code() == StatusCode::Corrupt);
    CHECK_THAT(m.status().to_string(), Catch::Contains("config.json") && Catch::Contains("1e400"));

    // a safetensors header
    write_file(dir / "h.safetensors",
               safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}})"));
    auto h = open_safetensors(dir / "h.safetensors");
    REQUIRE_FALSE(h.is_ok());
    CHECK(h.status().code() == StatusCode::Corrupt);
    CHECK_THAT(h.status().message(), Catch::Contains("1e400"));

    // index.json
    fs::create_directories(dir / "i");
    write_file(dir / "i/model.safetensors", safetensors_bytes(tiny_header()));
    write_file(dir / "i/model.safetensors.index.json",
               std::string(R"({"metadata":{"total_size":1e400},"weight_map":{"w":"model.safetensors"}})"));
    auto i = open_checkpoint(dir / "i");
    REQUIRE_FALSE(i.is_ok());
    CHECK(i.status().code() == StatusCode::Corrupt);
}

TEST_CASE("hostile: JSON nested 100k levels deep is refused at the 64-level limit, without recursion",
          "[hostile][json]") {
    TempDir dir;
    fs::create_directories(dir / "m");
    write_file(dir / "m/model.safetensors", safetensors_bytes(tiny_header()));
    const int depth = 100000;
    write_file(dir / "m/config.json",
               std::string(R"({"model_type":"qwen3","x":)") + std::string(depth, '[') + std::string(depth, ']') + "}");
    auto m = within_seconds(5.0, [&] { return open_checkpoint(dir / "m"); });
    REQUIRE_FALSE(m.is_ok());
    CHECK(m.status().code() == StatusCode::Corrupt);
    CHECK_THAT(m.status().to_string(), Catch::Contains("config.json") && Catch::Contains("nests deeper than 64"));
    // A safetensors header nested too deep, too.
    write_file(dir / "d.safetensors", safetensors_bytes(std::string(200, '[') + std::string(200, ']')));
    auto d = open_safetensors(dir / "d.safetensors");
    REQUIRE_FALSE(d.is_ok());
    CHECK_THAT(d.status().message(), Catch::Contains("nests deeper than 64"));
}

TEST_CASE("hostile: declared sizes are checked before anything is allocated from them", "[hostile][limits]") {
    auto config = nlohmann::json{{"model_type", "qwen3"},    {"hidden_size", 64}, {"num_attention_heads", 4},
                                 {"num_key_value_heads", 2}, {"vocab_size", 128}, {"intermediate_size", 128},
                                 {"num_hidden_layers", 1e9}};
    auto spec = within_seconds(2.0, [&] { return model_spec_from_hf_config(config); });
    REQUIRE_FALSE(spec.is_ok());
    CHECK_THAT(spec.status().message(), Catch::Contains("num_hidden_layers 1000000000 exceeds the limit of 10000"));
    config["num_hidden_layers"] = 2;
    config["vocab_size"] = uint64_t{1} << 40;
    REQUIRE_FALSE(model_spec_from_hf_config(config).is_ok());
}

TEST_CASE("hostile: index ranges are checked before they are expanded", "[hostile][limits][pattern]") {
    // strata pattern --attn-layers 0-99999999 --layers 25 expanded 10^8 ints (7.7 GB with its copies).
    auto r = within_seconds(1.0, [] { return parse_index_list("0-99999999", 25); });
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Catch::Contains("runs past the last layer 24"));
    auto e = within_seconds(1.0, [] { return parse_index_list("0,1,...,999999999", 0); });
    REQUIRE_FALSE(e.is_ok());
    // Within the model's layers, lists still expand as before.
    CHECK(*parse_index_list("0-3,8", 12) == std::vector<int>{0, 1, 2, 3, 8});
}

TEST_CASE("hostile: a huge latest_checkpointed_iteration.txt is refused without being read", "[hostile][megatron]") {
    TempDir dir;
    fs::create_directories(dir / "ckpt/release/mp_rank_00");
    {
        // Sparse: 4 GiB of apparent size, no disk used.
        const int fd = ::open((dir / "ckpt/latest_checkpointed_iteration.txt").c_str(), O_WRONLY | O_CREAT, 0644);
        REQUIRE(fd >= 0);
        REQUIRE(::ftruncate(fd, off_t{4} << 30) == 0);
        ::close(fd);
    }
    auto r = within_seconds(2.0, [&] { return open_megatron(dir / "ckpt"); });
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().to_string(),
               Catch::Contains("latest_checkpointed_iteration.txt") && Catch::Contains("4096-byte limit"));
}

TEST_CASE("hostile: a pickle whose lists share the previous list twice, 60 levels deep, is refused at once",
          "[hostile][pickle]") {
    TempDir dir;
    const std::string pkl = shared_lists_pickle(60);
    CHECK(pkl.size() < 1000);
    write_file(dir / "shared.pt", pt_bytes(pkl));
    auto r = within_seconds(2.0, [&] { return open_torch_pt(dir / "shared.pt"); });
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::Corrupt);
    CHECK_THAT(r.status().message(), Catch::Contains("shared containers expand to more than"));
    // A little sharing (tied weights, repeated args) is fine.
    write_file(dir / "small.pt", pt_bytes(shared_lists_pickle(8)));
    CHECK(read_torch_pt_pickle(dir / "small.pt").is_ok());
}

TEST_CASE("hostile: a pickle list that contains itself is refused and freed", "[hostile][pickle]") {
    TempDir dir;
    // ] q0 h0 a . : a list appended to itself.
    Pickle p;
    p.op(']').op('q').op('\0').op('h').op('\0').op('a');
    write_file(dir / "self.pt", pt_bytes(p.done()));
    auto first = open_torch_pt(dir / "self.pt");
    REQUIRE_FALSE(first.is_ok());
    CHECK_THAT(first.status().message(), Catch::Contains("contains itself"));
    // The Studio is long-running: opening it again and again must not grow the heap (it leaked 512 B a time).
    const auto before = ::mallinfo2().uordblks;
    for (int i = 0; i < 2000; ++i) (void)open_torch_pt(dir / "self.pt");
    const auto after = ::mallinfo2().uordblks;
    CHECK(after < before + 64 * 1024);
}

TEST_CASE("hostile: a self-containing container the pickle then drops is refused and freed", "[hostile][pickle]") {
    TempDir dir;
    // ] 2 a 0 N . : a list, DUP, appended to itself, POPped off the stack (no memo holds it), None.
    // Found by fuzz_torch_dist (LeakSanitizer): the cycle was reachable from nothing the
    // end-of-run check walked, so it was neither refused nor freed.
    Pickle p;
    p.op(']').op('2').op('a').op('0').op('N');
    write_file(dir / "dropped.pt", pt_bytes(p.done()));
    auto first = open_torch_pt(dir / "dropped.pt");
    REQUIRE_FALSE(first.is_ok());
    CHECK_THAT(first.status().message(), Catch::Contains("contains itself"));
    const auto before = ::mallinfo2().uordblks;
    for (int i = 0; i < 2000; ++i) (void)open_torch_pt(dir / "dropped.pt");
    CHECK(::mallinfo2().uordblks < before + 64 * 1024);
}

TEST_CASE("hostile: a self-containing container popped by an opcode that then fails is freed", "[hostile][pickle]") {
    TempDir dir;
    // 0x8f 2 a a : an empty set, DUP, appended to itself, then APPEND with one item left: the
    // second APPEND pops the set and fails on the empty stack. Found by fuzz_torch_dist
    // (LeakSanitizer, 29k runs): the popped cycle was held by nothing the end-of-run check walked.
    Pickle p;
    p.op('\x8f').op('2').op('a').op('a');
    write_file(dir / "failed.pt", pt_bytes(p.done()));
    REQUIRE_FALSE(open_torch_pt(dir / "failed.pt").is_ok());
    const auto before = ::mallinfo2().uordblks;
    for (int i = 0; i < 2000; ++i) (void)open_torch_pt(dir / "failed.pt");
    CHECK(::mallinfo2().uordblks < before + 64 * 1024);
}

TEST_CASE("hostile: a FIFO where a file is expected is refused, never waited on", "[hostile][fifo]") {
    TempDir dir;
    fs::create_directories(dir / "m");
    REQUIRE(::mkfifo((dir / "m/model.safetensors").c_str(), 0644) == 0);
    REQUIRE(::mkfifo((dir / "pipe.safetensors").c_str(), 0644) == 0);
    fs::create_directories(dir / "c");
    write_file(dir / "c/model.safetensors", safetensors_bytes(tiny_header()));
    REQUIRE(::mkfifo((dir / "c/config.json").c_str(), 0644) == 0);
    for (const fs::path& p : {dir / "m", dir / "pipe.safetensors", dir / "c"}) {
        INFO(p.string());
        auto job = std::async(std::launch::async, [p] { return open_checkpoint(p); });
        if (job.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
            // Unblock the reader stuck in open() so the test can end, then fail.
            for (const char* n : {"m/model.safetensors", "pipe.safetensors", "c/config.json"}) {
                const int fd = ::open((dir / n).c_str(), O_WRONLY | O_NONBLOCK);
                if (fd >= 0) ::close(fd);
            }
            job.wait();
            FAIL("opening blocked on a FIFO");
        }
        auto r = job.get();
        REQUIRE_FALSE(r.is_ok());
        CHECK_THAT(r.status().to_string(), Catch::Contains("FIFO") || Catch::Contains("no such") ||
                                               Catch::Contains("not a regular file") ||
                                               Catch::Contains("no format recognises"));
    }
}

TEST_CASE("hostile: a shard symlinked outside the folder is refused with or without an index", "[hostile][symlink]") {
    TempDir dir;
    fs::create_directories(dir / "outside");
    write_file(dir / "outside/secret.safetensors", safetensors_bytes(tiny_header()));
    fs::create_directories(dir / "noindex");
    fs::create_symlink(dir / "outside/secret.safetensors", dir / "noindex/model.safetensors");
    auto a = open_safetensors(dir / "noindex");
    REQUIRE_FALSE(a.is_ok());
    CHECK_THAT(a.status().message(), Catch::Contains("symlink that leaves the checkpoint folder"));
    fs::create_directories(dir / "index");
    fs::create_symlink(dir / "outside/secret.safetensors", dir / "index/model.safetensors");
    write_file(dir / "index/model.safetensors.index.json", std::string(R"({"weight_map":{"w":"model.safetensors"}})"));
    auto b = open_safetensors(dir / "index");
    REQUIRE_FALSE(b.is_ok());
    CHECK_THAT(b.status().message(), Catch::Contains("symlink that leaves the checkpoint folder"));
    // A symlink that stays inside is fine.
    fs::create_directories(dir / "inside/blobs");
    write_file(dir / "inside/blobs/x", safetensors_bytes(tiny_header()));
    fs::create_symlink("blobs/x", dir / "inside/model.safetensors");
    CHECK(open_safetensors(dir / "inside").is_ok());
}

TEST_CASE("hostile: Megatron args TP = 2^32+1 is refused, not read as 1", "[hostile][megatron]") {
    TempDir dir;
    const fs::path rank = dir / "ckpt/iter_0000001/mp_rank_00";
    fs::create_directories(rank);
    write_file(dir / "ckpt/latest_checkpointed_iteration.txt", std::string("1"));
    TorchPtWriterOptions o;
    o.extra = megatron_extra_entries({{"tensor_model_parallel_size", (uint64_t{1} << 32) + 1}}, 1);
    TorchPtWriter w(rank / "model_optim_rng.pt", o);
    REQUIRE(w.begin({{"decoder.final_layernorm.weight", DType::F32, {4}}}).is_ok());
    const std::vector<std::byte> bytes(16, std::byte{0});
    REQUIRE(w.write(0, bytes).is_ok());
    REQUIRE(w.finish().is_ok());
    auto r = open_megatron(dir / "ckpt");
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Catch::Contains("implausible parallel sizes") && Catch::Contains("4294967297"));
}

TEST_CASE("hostile: bounded reads refuse big files and non-regular files", "[hostile][json]") {
    TempDir dir;
    write_file(dir / "big.txt", std::string(5000, '1'));
    auto r = read_small_file(dir / "big.txt", kMaxSmallTextBytes);
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Catch::Contains("4096-byte limit"));
    REQUIRE_FALSE(read_small_file(dir.path(), 100).is_ok());
    CHECK(parse_json_bounded("[[[1]]]", 3).is_ok());
    CHECK_FALSE(parse_json_bounded("[[[[1]]]]", 3).is_ok());
    CHECK(parse_json_bounded(R"({"a":"[[[[[[["})", 3).is_ok());  // brackets in strings do not count
    CHECK_FALSE(parse_json_bounded("-1e999").is_ok());
}
