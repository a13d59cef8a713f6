"""nn.MultiheadAttention, F.multi_head_attention_forward and the Transformer modules against torch: seeded
parameter initialisation (state_dict keys and values), reprs, outputs, attention weights, gradients of inputs
and parameters, grad_fn names, warnings and errors; torch's inference fast paths (eval mode, no grad) and
dropout masks drawn from torch's random stream.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.nn_common import arrays, check

# float32: torch's and XLA's roundings differ in the last bits (FMA contraction, summation order);
# the float64 runs of the same cases check values and gradients tightly
F32 = {"rtol": 2e-4, "atol": 2e-5}
F64 = {"rtol": 1e-9, "atol": 1e-11}
# every case compiles its own forward and backward graphs: 3 examples each in the default profile
FEWER = settings(max_examples=max(2, settings().max_examples // 50))


def _run_module(m, make, inputs, call, dtype, train=True, nograd=False, backward=True):
    """Seeded construction, then forward (and backward) of call(mod, *inputs); returns everything observable."""
    m.manual_seed(0)
    mod = make(m)
    mod = mod.to(getattr(m, dtype))
    if not train:
        mod.eval()
    xs = [m.tensor(np.asarray(a, dtype), requires_grad=not nograd) for a in inputs]
    if nograd:
        with m.no_grad():
            out = call(m, mod, *xs)
    else:
        out = call(m, mod, *xs)
    res = [repr(mod), dict(mod.state_dict()), out]
    if backward and not nograd:
        ys = out if isinstance(out, tuple) else (out,)
        total = None
        for i, y in enumerate(ys):
            if y is not None:
                w = m.tensor(np.linspace(0.5, 1.5 + i, max(y.numel(), 1)).reshape(tuple(y.shape)), dtype=y.dtype)
                term = (y * w).sum()
                total = term if total is None else total + term
        total.backward()
        res.append([x.grad for x in xs])
        res.append({k: p.grad for k, p in mod.named_parameters()})
    return res


def _both(make, inputs, call, **kw):
    check(lambda m: _run_module(m, make, inputs, call, "float32", **kw), **F32)
    check(lambda m: _run_module(m, make, inputs, call, "float64", **kw), **F64)


# ------------------------------------------------------------------------- MultiheadAttention

E, H, L, S, B = 8, 2, 3, 4, 2


def _bool_mask(m, shape, seed):
    keep = np.random.RandomState(seed).rand(*shape) < 0.35
    return m.tensor(keep)


def _float_mask(m, shape, seed, dtype):
    return m.tensor(np.random.RandomState(seed).randn(*shape), dtype=dtype)


MHA_CASES = {
    "self": ({}, {}),
    "seq_first": ({"batch_first": False}, {}),
    "no_weights": ({}, {"need_weights": False}),
    "per_head_weights": ({}, {"average_attn_weights": False}),
    "kpm_bool": ({}, {"kpm": "bool"}),
    "kpm_bool_no_weights": ({}, {"kpm": "bool", "need_weights": False}),
    "kpm_float": ({}, {"kpm": "float"}),
    "mask2d_bool": ({}, {"mask": "bool2d"}),
    "mask2d_float": ({}, {"mask": "float2d"}),
    "mask3d_float": ({}, {"mask": "float3d"}),
    "mask_and_kpm": ({}, {"mask": "bool2d", "kpm": "bool"}),
    "causal": ({}, {"mask": "causal", "is_causal": True, "need_weights": False}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, {"mask": "float2d", "kpm": "bool"}),
    "no_bias": ({"bias": False}, {}),
    "odd_heads": ({"num_heads": 1}, {}),
    "kdim_vdim": ({"kdim": 5, "vdim": 3}, {"cross": True}),
    "cross_same_dim": ({}, {"cross": True, "kpm": "bool"}),
    "unbatched": ({}, {"unbatched": True, "mask": "bool2d"}),
}


# float64 checks every case tightly; float32 (torch's default, looser) runs where its code paths differ
MHA_F32 = {"self", "no_weights", "kpm_bool", "mask3d_float", "bias_kv_zero_attn", "kdim_vdim", "unbatched"}


def _mha_call(opts):
    def call(m, mod, q, k, v):
        if not opts.get("cross"):
            k = v = q
        if opts.get("unbatched"):
            q, k, v = q[0], k[0], v[0]
        slen = k.shape[-2] if mod.batch_first or k.dim() == 2 else k.shape[0]
        if not mod.batch_first and k.dim() == 3:
            q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        kw = {k_: opts[k_] for k_ in ("need_weights", "average_attn_weights", "is_causal") if k_ in opts}
        mask = opts.get("mask")
        if mask == "bool2d":
            kw["attn_mask"] = _bool_mask(m, (L, slen), 1)
        elif mask == "float2d":
            kw["attn_mask"] = _float_mask(m, (L, slen), 2, q.dtype)
        elif mask == "float3d":
            kw["attn_mask"] = _float_mask(m, (B * mod.num_heads, L, slen), 3, q.dtype)
        elif mask == "causal":
            kw["attn_mask"] = m.nn.Transformer.generate_square_subsequent_mask(L, dtype=q.dtype)
        kpm = opts.get("kpm")
        if kpm == "bool":
            kw["key_padding_mask"] = _bool_mask(m, (B, slen), 4)
        elif kpm == "float":
            kw["key_padding_mask"] = _float_mask(m, (B, slen), 5, q.dtype)
        return mod(q, k, v, **kw)

    return call


def _mha_make(ctor):
    def make(m):
        kw = dict(ctor)
        heads = kw.pop("num_heads", H)
        kw.setdefault("batch_first", True)
        return m.nn.MultiheadAttention(E, heads, **kw)

    return make


def _mha_inputs(data, ctor):
    q = data.draw(arrays((B, L, E)), label="query")
    k = data.draw(arrays((B, S, ctor.get("kdim", E))), label="key")
    v = data.draw(arrays((B, S, ctor.get("vdim", E))), label="value")
    return [q, k, v]


@pytest.mark.parametrize("case", list(MHA_CASES))
@FEWER
@given(data=st.data())
def test_multihead_attention(case, data):
    ctor, opts = MHA_CASES[case]
    inputs = _mha_inputs(data, ctor)
    if ctor.get("batch_first") is False:
        inputs = [np.ascontiguousarray(a) for a in inputs]
    if case in MHA_F32:
        check(lambda m: _run_module(m, _mha_make(ctor), inputs, _mha_call(opts), "float32"), **F32)
    check(lambda m: _run_module(m, _mha_make(ctor), inputs, _mha_call(opts), "float64"), **F64)


FAST_CASES = {
    "plain": {},
    "no_weights": {"need_weights": False},
    "kpm": {"kpm": "bool"},
    # a fully masked row: NaN in torch's fused kernel even without weights (0 in the slow path)
    "kpm_no_weights": {"kpm": "bool", "need_weights": False},
    "mask_no_weights": {"mask": "bool2d", "need_weights": False},
    "mask_and_kpm": {"mask": "bool2d", "kpm": "bool", "per_head": True},
    "float_mask_slow": {"mask": "float2d"},
}


@pytest.mark.parametrize("case", list(FAST_CASES))
@FEWER
@given(data=st.data())
def test_multihead_attention_inference_fast_path(case, data):
    opts = dict(FAST_CASES[case])
    if opts.pop("per_head", False):
        opts["average_attn_weights"] = False
    inputs = _mha_inputs(data, {})
    for dtype, tol in (("float32", F32), ("float64", F64)):
        check(
            lambda m, d=dtype: _run_module(m, _mha_make({}), inputs, _mha_call(opts), d, train=False, nograd=True),
            **tol,
        )


def test_multihead_attention_fully_masked_rows():
    """Slow path, eval mode with grad: need_weights gives NaN rows, scaled_dot_product_attention 0 rows."""
    x = np.random.RandomState(0).randn(B, L, E)
    for nw in (True, False):
        opts = {"kpm": "bool", "need_weights": nw}

        def call(m, mod, q, k, v, o=opts):
            kw = {"key_padding_mask": m.tensor([[False, True, False, True], [True, True, True, True]])[:, :L]}
            return mod(q, q, q, need_weights=o["need_weights"], **kw)

        got = check(lambda m: _run_module(m, _mha_make({}), [x, x, x], call, "float64", train=False), **F64)
        assert np.isnan(got[2][0][3][1]).all() == nw


def test_multihead_attention_dropout_seeded():
    """dropout > 0 in training: the masks are torch's bernoulli draws (weights path and SDPA path)."""
    x = np.random.RandomState(1).randn(B, L, E)
    for opts in ({}, {"need_weights": False}, {"kpm": "bool"}):
        for dtype, tol in (("float32", F32), ("float64", F64)):
            check(
                lambda m, o=opts, d=dtype: _run_module(
                    m, _mha_make({"dropout": 0.3}), [x, x, x], _mha_call(o), d, train=True
                ),
                **tol,
            )


def test_multi_head_attention_forward_functional():
    rs = np.random.RandomState(2)
    q, k = rs.randn(L, B, E), rs.randn(S, B, E)
    w_in, b_in, w_out, b_out = rs.randn(3 * E, E), rs.randn(3 * E), rs.randn(E, E), rs.randn(E)
    qw, kw_, vw = rs.randn(E, E), rs.randn(E, E), rs.randn(E, E)

    def run(m, separate):
        ts = [m.tensor(a, requires_grad=True) for a in (q, k, w_in, b_in, w_out, b_out, qw, kw_, vw)]
        extra = {"use_separate_proj_weight": True, "q_proj_weight": ts[6], "k_proj_weight": ts[7]}
        extra["v_proj_weight"] = ts[8]
        out, w = m.nn.functional.multi_head_attention_forward(
            ts[0], ts[1], ts[1], E, H, ts[2], ts[3], None, None, False, 0.0, ts[4], ts[5], **(extra if separate else {})
        )
        (out.sum() + w.sum()).backward()
        return out, w, [t.grad for t in ts]

    for separate in (False, True):
        check(lambda m, s=separate: run(m, s), **F64)


def test_multihead_attention_errors_and_warnings():
    x = np.ones((B, L, E))

    def fwd(m, *a, **kw):
        mod = m.nn.MultiheadAttention(E, H, batch_first=True)
        t = m.tensor(x, dtype=m.float32)
        return mod(t, *a(m, t), **kw) if callable(a[0] if a else None) else mod(t, t, t, **kw)

    cases = [
        lambda m: m.nn.MultiheadAttention(0, 2),
        lambda m: m.nn.MultiheadAttention(6, 4),
        lambda m: fwd(m, attn_mask=m.ones(L, L, dtype=m.long)),
        lambda m: fwd(m, attn_mask=m.ones(L, L + 1, dtype=m.bool)),
        lambda m: fwd(m, attn_mask=m.zeros(3, L, L)),
        lambda m: fwd(m, key_padding_mask=m.zeros(B + 1, L, dtype=m.bool)),
        lambda m: fwd(m, key_padding_mask=m.zeros(B, L, L, dtype=m.bool)),
        lambda m: fwd(m, attn_mask=None, is_causal=True),
        # mismatched mask types: the deprecation warning, then the output
        lambda m: fwd(m, attn_mask=m.zeros(L, L), key_padding_mask=m.zeros(B, L, dtype=m.bool))[0],
        lambda m: m.nn.functional.multi_head_attention_forward(
            m.zeros(L, B, E),
            m.zeros(S, B, E),
            m.zeros(S + 1, B, E),
            E,
            H,
            m.zeros(3 * E, E),
            None,
            None,
            None,
            False,
            0.0,
            m.zeros(E, E),
            None,
        ),
        lambda m: m.nn.functional.multi_head_attention_forward(
            m.zeros(L, B, E),
            m.zeros(S, B, E),
            m.zeros(S, B, E),
            E + 1,
            H,
            m.zeros(3 * E, E),
            None,
            None,
            None,
            False,
            0.0,
            m.zeros(E, E),
            None,
        ),
        lambda m: m.nn.functional.multi_head_attention_forward(
            m.zeros(L, B, E, 1),
            m.zeros(S, B, E),
            m.zeros(S, B, E),
            E,
            H,
            m.zeros(3 * E, E),
            None,
            None,
            None,
            False,
            0.0,
            m.zeros(E, E),
            None,
        ),
    ]
    kinds = []
    for case in cases:
        got = check(case)
        kinds.append(got[0] if isinstance(got, tuple) else "T")
    assert kinds.count("E") == len(cases) - 1


# ------------------------------------------------------------------------- Transformer modules

D_MODEL, NHEAD, FF = 8, 2, 12


def _src_tgt(seed, batch_first=True):
    rs = np.random.RandomState(seed)
    src, tgt = rs.randn(B, S, D_MODEL), rs.randn(B, L, D_MODEL)
    if not batch_first:
        src, tgt = np.ascontiguousarray(src.transpose(1, 0, 2)), np.ascontiguousarray(tgt.transpose(1, 0, 2))
    return src, tgt


def _activation(m, name):
    if name == "callable":
        return lambda x: m.tanh(x) * 2
    if name == "module_gelu":
        return m.nn.GELU()
    return name


# the full model compiles a large backward graph per dtype: float64 checks every case tightly, float32 runs for
# the default configuration only (its other cases would add compile time, not coverage)
TRANSFORMER_CASES = {
    "default_train_p0": {"f32": True},
    "norm_first_gelu": {"norm_first": True, "activation": "gelu"},
    "seq_first_callable_no_bias_masks": {"batch_first": False, "activation": "callable", "bias": False, "masks": True},
    "eval_masks": {"train": False, "masks": True},
    "dropout_seeded": {"dropout": 0.2},
}


@pytest.mark.parametrize("case", list(TRANSFORMER_CASES))
def test_transformer(case):
    opts = TRANSFORMER_CASES[case]
    bf = opts.get("batch_first", True)
    src, tgt = _src_tgt(7, bf)

    def make(m):
        return m.nn.Transformer(
            D_MODEL,
            NHEAD,
            1,
            1,
            FF,
            dropout=opts.get("dropout", 0.0),
            activation=_activation(m, opts.get("activation", "relu")),
            batch_first=bf,
            norm_first=opts.get("norm_first", False),
            bias=opts.get("bias", True),
        )

    def call(m, mod, s, t):
        kw = {"tgt_mask": m.nn.Transformer.generate_square_subsequent_mask(L, dtype=s.dtype)}
        if opts.get("masks"):
            kpm = m.tensor([[False, False, True, True], [False, False, False, False]])
            tkpm = m.tensor([[False, False, True], [False, False, False]])
            kw.update(src_key_padding_mask=kpm, memory_key_padding_mask=kpm, tgt_key_padding_mask=tkpm)
        return mod(s, t, **kw)

    train = opts.get("train", True)
    if opts.get("f32"):
        check(lambda m: _run_module(m, make, [src, tgt], call, "float32", train=train), **F32)
    check(lambda m: _run_module(m, make, [src, tgt], call, "float64", train=train), **F64)


ENCODER_CASES = {
    "layer_train": ("layer", {}),
    "layer_norm_first_eval": ("layer", {"norm_first": True, "train": False}),
    "layer_module_gelu_fast": ("layer", {"activation": "module_gelu", "train": False, "nograd": True}),
    "layer_fast_causal": ("layer", {"train": False, "nograd": True, "causal": True}),
    "decoder_layer": ("dlayer", {"norm_first": True}),
    "decoder_stack_eval": ("decoder", {"train": False}),
    "encoder_nested": ("encoder", {"train": False, "nograd": True, "kpm": [[0, 0, 1, 1], [0, 0, 0, 0]]}),
    "encoder_nested_fully_padded": ("encoder", {"train": False, "nograd": True, "kpm": [[0, 1, 1, 1], [1] * 4]}),
    "encoder_not_left_aligned": ("encoder", {"train": False, "nograd": True, "kpm": [[0, 1, 0, 1], [0, 0, 0, 1]]}),
    "encoder_grad_eval": ("encoder", {"train": False, "kpm": [[0, 0, 1, 1], [0, 0, 0, 0]]}),
    "encoder_seq_first_warns": ("encoder", {"batch_first": False}),
    "encoder_dropout_seeded": ("encoder", {"dropout": 0.3}),
}


@pytest.mark.parametrize("case", list(ENCODER_CASES))
def test_transformer_parts(case):
    kind, opts = ENCODER_CASES[case]
    bf = opts.get("batch_first", True)
    src, tgt = _src_tgt(11, bf)

    def make(m):
        kw = {
            "dropout": opts.get("dropout", 0.0),
            "activation": _activation(m, opts.get("activation", "relu")),
            "batch_first": bf,
            "norm_first": opts.get("norm_first", False),
        }
        if kind == "layer":
            return m.nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, **kw)
        if kind == "dlayer":
            return m.nn.TransformerDecoderLayer(D_MODEL, NHEAD, FF, **kw)
        if kind == "decoder":
            return m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(D_MODEL, NHEAD, FF, **kw), 2, m.nn.LayerNorm(8))
        return m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, **kw), 2, m.nn.LayerNorm(8))

    def call(m, mod, s, t):
        if kind == "layer":
            if opts.get("causal"):
                mask = m.nn.Transformer.generate_square_subsequent_mask(S, dtype=s.dtype)
                return mod(s, src_mask=mask, is_causal=True)
            return mod(s)
        if kind in ("dlayer", "decoder"):
            return mod(t, s, tgt_mask=m.nn.Transformer.generate_square_subsequent_mask(L, dtype=s.dtype))
        kpm = opts.get("kpm")
        return mod(s, src_key_padding_mask=None if kpm is None else m.tensor(np.asarray(kpm, bool)))

    kw = {"train": opts.get("train", True), "nograd": opts.get("nograd", False)}
    if kind in ("layer", "dlayer") or opts.get("nograd"):
        _both(make, [src, tgt], call, **kw)
    else:  # the two-layer stacks with a backward: float64 only (see TRANSFORMER_CASES)
        check(lambda m: _run_module(m, make, [src, tgt], call, "float64", **kw), **F64)


def test_generate_square_subsequent_mask():
    for dtype in (None, "float64", "float16"):
        check(
            lambda m, d=dtype: m.nn.Transformer.generate_square_subsequent_mask(5, dtype=getattr(m, d) if d else None),
            exact=True,
        )


def test_transformer_errors():
    cases = [
        lambda m: m.nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, activation="tanh"),
        lambda m: m.nn.Transformer(D_MODEL, NHEAD, 1, 1, FF)(m.zeros(3, 2, D_MODEL), m.zeros(3, 3, D_MODEL)),
        lambda m: m.nn.Transformer(D_MODEL, NHEAD, 1, 1, FF, batch_first=True)(
            m.zeros(2, 3, D_MODEL), m.zeros(3, 3, D_MODEL)
        ),
        lambda m: m.nn.Transformer(D_MODEL, NHEAD, 1, 1, FF)(m.zeros(3, 2, D_MODEL), m.zeros(3, 2, D_MODEL + 1)),
        lambda m: m.nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF)(m.zeros(3, 2, D_MODEL), m.zeros(4, 4)),
    ]
    for case in cases:
        got = check(case)
        assert got[0] == "E"


@pytest.mark.parametrize("transpose", [(0, 1), (1, 2), (0, 2)])
def test_dropout_of_a_transposed_input(transpose):
    """torch's empty_like keeps a dense input's layout, so the bernoulli mask is drawn in memory order."""
    a = np.random.RandomState(3).randn(3, 4, 5).astype(np.float32)

    def run(m):
        m.manual_seed(0)
        x = m.tensor(a, requires_grad=True)
        y = m.nn.functional.dropout(x.transpose(*transpose), 0.4)
        y.sum().backward()
        return y, x.grad

    check(run, rtol=0, atol=0)
