// Megatron legacy folders written with TorchPtWriter: discovery from the save root,
// an iter_* folder or release/, TP/PP/EP from names and args, rank coordinates on
// every tensor, and a table of broken folder layouts with their exact errors.
#include <catch2/catch.hpp>

#include "strata/formats/format_registry.h"
#include "strata/formats/megatron.h"
#include "strata/formats/torch_pt.h"
#include "support/temp_dir.h"

using namespace strata;
using strata::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::byte> rank_bytes(size_t n, const RankCoord& r, size_t tensor) {
    std::vector<std::byte> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<uint8_t>(r.tp * 50 + r.pp * 20 + r.ep * 7 + tensor * 3 + i));
    return v;
}

const std::vector<TensorEntry> kEntries = {{"decoder.layers.0.self_attention.linear_qkv.weight", DType::BF16, {6, 4}},
                                           {"decoder.layers.0.mlp.linear_fc1.weight", DType::F32, {8, 4}}};

void write_rank(const fs::path& folder, const nlohmann::json& args, int64_t iteration, const RankCoord& r) {
    fs::create_directories(folder);
    TorchPtWriterOptions opts;
    opts.extra = megatron_extra_entries(args, iteration);
    TorchPtWriter w(folder / "model_optim_rng.pt", opts);
    REQUIRE(w.begin(kEntries).is_ok());
    for (size_t i = 0; i < kEntries.size(); ++i) REQUIRE(w.write(i, rank_bytes(kEntries[i].byte_size(), r, i)).is_ok());
    REQUIRE(w.finish().is_ok());
}

nlohmann::json make_args(int tp, int pp, int ep) {
    return {{"tensor_model_parallel_size", tp}, {"pipeline_model_parallel_size", pp},
            {"expert_model_parallel_size", ep}, {"num_layers", 4}, {"hidden_size", 4}};
}

// Writes <root>/latest_checkpointed_iteration.txt and iter_0000010/mp_rank_*.
void write_checkpoint(const fs::path& root, int tp, int pp, int ep, const std::string& tracker = "10") {
    fs::create_directories(root);
    test::write_file(root / "latest_checkpointed_iteration.txt", tracker + "\n");
    const fs::path iter = root / (tracker == "release" ? "release" : megatron_iteration_folder(10));
    for (int p = 0; p < pp; ++p)
        for (int e = 0; e < ep; ++e)
            for (int t = 0; t < tp; ++t)
                write_rank(iter / megatron_rank_folder(t, p, e, pp, ep), make_args(tp, pp, ep), 10, {t, p, e});
}

}  // namespace

TEST_CASE("rank folder names follow Megatron's get_checkpoint_name", "[megatron]") {
    CHECK(megatron_iteration_folder(10) == "iter_0000010");
    CHECK(megatron_rank_folder(1, 0, 0, 1, 1) == "mp_rank_01");
    CHECK(megatron_rank_folder(1, 2, 0, 4, 1) == "mp_rank_01_002");
    CHECK(megatron_rank_folder(0, 0, 3, 1, 8) == "mp_rank_00_003");
    CHECK(megatron_rank_folder(1, 2, 3, 4, 8) == "mp_rank_01_002_003");
}

TEST_CASE("a TP2 x PP2 Megatron checkpoint opens from its root with rank coordinates", "[megatron]") {
    TempDir dir;
    const fs::path root = dir / "ckpt";
    write_checkpoint(root, 2, 2, 1);
    for (const fs::path& open_path : {root, root / "iter_0000010"}) {
        INFO(open_path.string());
        auto ckpt = open_checkpoint(open_path);
        INFO(ckpt.status().to_string());
        REQUIRE(ckpt.is_ok());
        CHECK(ckpt->format == "megatron");
        CHECK(ckpt->files.size() == 4);
        CHECK(ckpt->tensors.size() == 8);
        CHECK(ckpt->metadata["tp"] == 2);
        CHECK(ckpt->metadata["pp"] == 2);
        CHECK(ckpt->metadata["ep"] == 1);
        CHECK(ckpt->metadata["vpp"] == 1);
        CHECK(ckpt->metadata["iteration"] == 10);
        CHECK(ckpt->metadata["checkpoint_version"] == 3.0);
        CHECK(ckpt->config["num_layers"] == 4);
        for (int t = 0; t < 2; ++t)
            for (int p = 0; p < 2; ++p) {
                const RankCoord r{t, p, 0};
                const TensorInfo* info = ckpt->find(kEntries[1].name, r);
                REQUIRE(info != nullptr);
                CHECK(info->rank == r);
                CHECK(ckpt->file_of(*info).display_name ==
                      "iter_0000010/" + megatron_rank_folder(t, p, 0, 2, 1) + "/model_optim_rng.pt");
                CHECK(*ckpt->read(*info) == rank_bytes(kEntries[1].byte_size(), r, 1));
            }
    }
}

TEST_CASE("expert-parallel folders (one suffix) are read as EP when args say so", "[megatron]") {
    TempDir dir;
    write_checkpoint(dir / "ep", 1, 1, 2, "release");
    auto ckpt = open_megatron(dir / "ep");
    INFO(ckpt.status().to_string());
    REQUIRE(ckpt.is_ok());
    CHECK(ckpt->metadata["ep"] == 2);
    CHECK(ckpt->metadata["pp"] == 1);
    CHECK(ckpt->metadata["iteration_folder"] == "release");
    const TensorInfo* info = ckpt->find(kEntries[0].name, RankCoord{0, 0, 1});
    REQUIRE(info != nullptr);
    CHECK(*ckpt->read(*info) == rank_bytes(kEntries[0].byte_size(), {0, 0, 1}, 0));
}

namespace {

enum class MgCase { MissingRank, UnexpectedRank, BadTracker, TrackerWithoutFolder, NoModelFile, MixedNames, ArgsDisagree, NotMegatron, NoRanks, TorchDist };

struct MgExpect {
    StatusCode code;
    std::string fragment;
    std::string file;
};

MgExpect make_case(MgCase c, const fs::path& root) {
    using S = StatusCode;
    const fs::path iter = root / "iter_0000010";
    switch (c) {
        case MgCase::MissingRank:
            write_checkpoint(root, 2, 1, 1);
            fs::remove_all(iter / "mp_rank_01");
            return {S::NotFound, "missing rank folder 'mp_rank_01' (TP=2, PP=1, EP=1)", "iter_0000010"};
        case MgCase::UnexpectedRank:
            write_checkpoint(root, 2, 1, 1);
            fs::create_directories(iter / "mp_rank_02");
            return {S::Corrupt, "unexpected rank folder 'mp_rank_02' (TP=2, PP=1, EP=1)", "iter_0000010"};
        case MgCase::BadTracker:
            write_checkpoint(root, 1, 1, 1);
            test::write_file(root / "latest_checkpointed_iteration.txt", std::string("ten"));
            return {S::Corrupt, "expected an iteration number or 'release', found 'ten'", "latest_checkpointed_iteration.txt"};
        case MgCase::TrackerWithoutFolder:
            write_checkpoint(root, 1, 1, 1);
            test::write_file(root / "latest_checkpointed_iteration.txt", std::string("20"));
            return {S::NotFound, "names '20' but folder 'iter_0000020' does not exist", root.string()};
        case MgCase::NoModelFile:
            write_checkpoint(root, 2, 1, 1);
            fs::remove(iter / "mp_rank_01" / "model_optim_rng.pt");
            return {S::NotFound, "rank folder 'mp_rank_01' has no model_optim_rng.pt", "iter_0000010"};
        case MgCase::MixedNames:
            write_checkpoint(root, 2, 1, 1);
            fs::create_directories(iter / "mp_rank_00_001");
            return {S::Corrupt, "rank folders mix naming schemes", "iter_0000010"};
        case MgCase::ArgsDisagree:
            write_checkpoint(root, 1, 1, 1);
            write_rank(iter / "mp_rank_00", make_args(1, 2, 1), 10, {});
            return {S::Corrupt, "rank folder names imply (TP=1, PP=1, EP=1) but args say PP=2, EP=1", "iter_0000010"};
        case MgCase::NotMegatron: {
            write_checkpoint(root, 1, 1, 1);
            TorchPtWriterOptions plain;
            plain.tensors_key = "";
            TorchPtWriter w(iter / "mp_rank_00" / "model_optim_rng.pt", plain);
            REQUIRE(w.begin({{"w", DType::F32, {1}}}).is_ok());
            REQUIRE(w.write(0, std::vector<std::byte>(4)).is_ok());
            REQUIRE(w.finish().is_ok());
            return {S::Corrupt, "not a Megatron model_optim_rng.pt", "iter_0000010/mp_rank_00/model_optim_rng.pt"};
        }
        case MgCase::NoRanks:
            fs::create_directories(iter);
            test::write_file(root / "latest_checkpointed_iteration.txt", std::string("10"));
            return {S::NotFound, "no mp_rank_* folders", "iter_0000010"};
        case MgCase::TorchDist:
            fs::create_directories(iter);
            test::write_file(root / "latest_checkpointed_iteration.txt", std::string("10"));
            test::write_file(iter / "__0_0.distcp", std::string("shard"));
            test::write_file(iter / "metadata.json", std::string("{\"sharded_backend\": \"torch_dist\"}"));
            return {S::Unsupported, "--ckpt-convert-format torch", "iter_0000010"};
    }
    return {};
}

}  // namespace

TEST_CASE("broken Megatron folders are rejected with clear errors", "[megatron][corrupt]") {
    for (int i = 0; i <= static_cast<int>(MgCase::TorchDist); ++i) {
        TempDir dir;
        const fs::path root = dir / "ckpt";
        const MgExpect e = make_case(static_cast<MgCase>(i), root);
        auto r = open_megatron(root);
        INFO("case " << i << ": " << r.status().to_string());
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().code() == e.code);
        CHECK_THAT(r.status().message(), Catch::Contains(e.fragment));
        CHECK(r.status().file() == e.file);
    }
}

TEST_CASE("a corrupt rank file is reported with its path inside the checkpoint", "[megatron][corrupt]") {
    TempDir dir;
    const fs::path root = dir / "ckpt";
    write_checkpoint(root, 2, 1, 1);
    test::write_file(root / "iter_0000010" / "mp_rank_01" / "model_optim_rng.pt", std::string("PK\x03\x04garbage", 11));
    auto r = open_checkpoint(root);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::Corrupt);
    CHECK(r.status().file() == "iter_0000010/mp_rank_01/model_optim_rng.pt");
}
