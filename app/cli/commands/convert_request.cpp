#include "convert_request.h"

#include "strata/hybrid/hybrid_layout.h"  // parse_mamba_layout, apply_megatron_version

namespace strata::cli {

Status apply_convert_target(const ConvertTarget& t, bool reshard, ConvertOptions& o) {
    auto name = [&](const char* flag, const char* keyword) { return std::string(t.cli_flags ? flag : keyword); };
    if (reshard) {
        o.target.kind = LayoutKind::Megatron;
        o.require_source = LayoutKind::Megatron;
    } else {
        auto kind = parse_layout_kind(t.to);
        if (!kind) return Status::invalid_argument(name("--to", "to") + " must be megatron, hf, hf-fused or hf-fused-v5, not '" +
                                            t.to + "'");
        o.target.kind = *kind;
    }
    const ParallelPlan& p = t.plan;
    if (o.target.kind != LayoutKind::Megatron && (p.tp != 1 || p.pp != 1 || p.ep != 1 || p.etp > 1 || p.vpp != 1 ||
                                                  !t.expert_layout.empty() || !t.norm_layout.empty() ||
                                                  !t.vocab_padding || !t.ckpt_format.empty()))
        return Status::invalid_argument(
            name("--tp/--pp/--vpp/--ep/--etp/--expert-layout/--norm-layout/--no-vocab-padding/--ckpt-format",
                 "tp/pp/vpp/ep/etp/expert_layout/norm_layout/vocab_padding/ckpt_format") +
            " apply to " + name("--to megatron", "to='megatron'") + " only");
    o.target.plan.tp = p.tp;
    o.target.plan.pp = p.pp;
    o.target.plan.ep = p.ep;
    o.target.plan.etp = p.etp;
    o.target.plan.vpp = p.vpp;
    o.target.plan.make_vocab_size_divisible_by = p.make_vocab_size_divisible_by;
    o.target.vocab_padding = t.vocab_padding;
    if (!t.expert_layout.empty()) {
        auto e = parse_expert_layout(t.expert_layout);
        if (!e) return Status::invalid_argument(name("--expert-layout", "expert_layout") +
                                                  " must be grouped, legacy-grouped or sequential");
        o.experts = *e;
    }
    if (!t.norm_layout.empty()) {
        auto n = parse_norm_layout(t.norm_layout);
        if (!n) return Status::invalid_argument(name("--norm-layout", "norm_layout") + " must be te or local");
        o.norms = *n;
    }
    if (!t.ckpt_format.empty()) {
        auto f = parse_megatron_ckpt_format(t.ckpt_format);
        if (!f) return Status::invalid_argument(name("--ckpt-format", "ckpt_format") + " must be torch or torch_dist");
        o.ckpt_format = *f;
    }
    if (!t.mamba_layout.empty()) {  // hybrid options: hybrid/hybrid_layout.h
        auto m = parse_mamba_layout(t.mamba_layout);
        if (!m) return Status::invalid_argument(name("--mamba-layout", "mamba_layout") + " must be m1 or exact");
        o.target.mamba = *m;
    }
    if (!t.megatron_version.empty()) STRATA_RETURN_IF_ERROR(apply_megatron_version(t.megatron_version, o.target));
    if (!t.dtype.empty()) {
        auto d = parse_dtype_loose(t.dtype);
        if (!d || !(*d == DType::BF16 || *d == DType::F16 || *d == DType::F32))
            return Status::invalid_argument(name("--dtype", "dtype") + " must be bf16, f16 or f32");
        o.dtype = *d;
    }
    return Status::ok();
}

}  // namespace strata::cli
