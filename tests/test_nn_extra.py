"""torchish.nn.functional's attention, resampling, shuffles, sliding blocks, instance norm and extra losses
against torch: values, dtypes, gradients (float64 for tight gradient checks), grad_fn names, errors; the
matching nn modules.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import torchish
from tests.nn_common import FEW, arrays, check, fwd_bwd

# float32: torch's and XLA's roundings differ in the last bits (FMA contraction, summation order);
# float64 runs of the same cases check values and gradients tightly
F32 = {"rtol": 2e-5, "atol": 2e-5}
F64 = {"rtol": 1e-10, "atol": 1e-12}


def _f64(arrs):
    return [np.asarray(a, np.float64) if np.asarray(a).dtype.kind == "f" else a for a in arrs]


def _both_precisions(fn, arrs, grad=None, f32=F32):
    check(lambda m: fwd_bwd(m, fn, *arrs, grad=grad), **f32)
    check(lambda m: fwd_bwd(m, fn, *_f64(arrs), grad=grad), **F64)


# ------------------------------------------------------------------------- scaled_dot_product_attention

SDPA_SHAPES = {
    "4d_flash": [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5)],
    "4d_math_headdim": [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)],
    "3d_math": [(3, 4, 5), (3, 6, 5), (3, 6, 5)],
    "2d_math": [(4, 5), (6, 5), (6, 3)],
    "gqa_flash": [(2, 6, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5)],
    "gqa_math": [(2, 6, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)],
}


def _mask(m, kind, lq, lk):
    if kind == "bool":
        keep = (np.arange(lq * lk).reshape(lq, lk) * 7) % 5 != 0
        keep[1] = False  # a fully masked row: 0 in torch (safe softmax), not NaN
        return m.tensor(keep)
    if kind == "float":
        return m.tensor(np.cos(np.arange(lq * lk, dtype=np.float32)).reshape(lq, lk))
    if kind == "float4d":
        return m.tensor(np.sin(np.arange(2 * lq * lk, dtype=np.float32)).reshape(2, 1, lq, lk))
    if kind == "float3d":
        return m.tensor(np.sin(np.arange(3 * lq * lk, dtype=np.float32)).reshape(3, lq, lk))
    return None


_SDPA_VARIANTS = ["plain", "causal", "bool", "float", "float4d", "float3d", "scale", "neg_scale", "mask_grad"]
# every variant on the 4-D shapes (flash and math backends); the others share the mask and scale code
SDPA_CASES = [
    (s, v)
    for s in SDPA_SHAPES
    for v in _SDPA_VARIANTS
    if (s.startswith("4d") or v in ("plain", "causal", "bool", "scale")) and (v != "float3d" or s == "4d_flash")
]


@pytest.mark.parametrize(("shapes", "variant"), SDPA_CASES)
@FEW
@given(data=st.data())
def test_sdpa(shapes, variant, data):
    arrs = [data.draw(arrays(s), label=f"arg{i}") for i, s in enumerate(SDPA_SHAPES[shapes])]
    gqa = shapes.startswith("gqa")
    lq, lk = SDPA_SHAPES[shapes][0][-2], SDPA_SHAPES[shapes][1][-2]

    def fn(m, F, q, k, v):
        kw = {"enable_gqa": gqa}
        if variant == "causal":
            kw["is_causal"] = True
        elif variant in ("bool", "float", "float4d", "float3d"):
            mask = _mask(m, variant, lq, lk)
            kw["attn_mask"] = mask if mask.dtype == m.bool else mask.to(q.dtype)
        elif variant == "scale":
            kw["scale"] = 0.3
        elif variant == "neg_scale":
            kw["scale"] = -0.7
        elif variant == "mask_grad":
            kw["attn_mask"] = _mask(m, "float", lq, lk).to(q.dtype).requires_grad_()
        return F.scaled_dot_product_attention(q, k, v, **kw)

    _both_precisions(fn, arrs)


def test_sdpa_errors():
    q, k, v = (np.ones(s, np.float32) for s in [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)])
    cases = [
        lambda m, F: F.scaled_dot_product_attention(
            m.tensor(q), m.tensor(k), m.tensor(v), m.ones(4, 6, dtype=m.bool), is_causal=True
        ),
        lambda m, F: F.scaled_dot_product_attention(m.tensor(q), m.tensor(k), m.tensor(v).double()),
        lambda m, F: F.scaled_dot_product_attention(m.tensor(q), m.tensor(k), m.tensor(v), m.ones(4, 6).long()),
        lambda m, F: F.scaled_dot_product_attention(m.tensor(q), m.tensor(k), m.tensor(v), m.ones(4, 6).double()),
        lambda m, F: F.scaled_dot_product_attention(m.tensor(q[0, 0, 0]), m.tensor(k[0, 0, 0]), m.tensor(v[0, 0, 0])),
        lambda m, F: F.scaled_dot_product_attention(m.tensor(q[:, :2]), m.tensor(k), m.tensor(v), enable_gqa=True),
    ]
    for case in cases:
        got = check(lambda m, c=case: c(m, m.nn.functional))
        assert got[0] == "E"


# ------------------------------------------------------------------------- interpolate

INTERP_MODES = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "linear": (1,), "bilinear": (2,)}
INTERP_MODES.update({"bicubic": (2,), "trilinear": (3,), "area": (1, 2, 3)})


@st.composite
def _interp_case(draw, mode):
    nd = draw(st.sampled_from(INTERP_MODES[mode]))
    ins = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    kw = {}
    if draw(st.booleans()):
        kw["size"] = tuple(draw(st.integers(1, 9)) for _ in range(nd))
    else:
        kw["scale_factor"] = tuple(
            draw(st.floats(0.5, 3.0, width=32).filter(lambda s, n=n: int(n * s) >= 1)) for n in ins
        )
        if draw(st.booleans()):
            kw["recompute_scale_factor"] = True
    if mode not in ("nearest", "nearest-exact", "area"):
        kw["align_corners"] = draw(st.booleans())
    return (2, 3) + ins, kw


@pytest.mark.parametrize("mode", list(INTERP_MODES))
@FEW
@given(data=st.data())
def test_interpolate(mode, data):
    shape, kw = data.draw(_interp_case(mode))
    x = data.draw(arrays(shape))
    # bicubic's float32 weights round differently where torch's compiler contracts them into FMAs
    f32 = {"rtol": 1e-5, "atol": 1e-5} if mode == "bicubic" else F32
    _both_precisions(lambda m, F, t: F.interpolate(t, mode=mode, **kw), [x], f32=f32)


def test_interpolate_nearest_shortcuts():
    """ATen's nearest kernels treat out == in and out == 2 * in specially (the 2-D forward and every backward),
    even when a scale factor was given."""
    for nd in (1, 2, 3):
        for n, s in [(3, 2.1), (4, 1.2346315383911133), (5, 2.05), (3, 2.0)]:
            shape = (1, 2) + (1,) * (nd - 1) + (n,)
            x = np.arange(2.0 * n, dtype=np.float32).reshape(shape)
            fac = (1.0,) * (nd - 1) + (s,)
            check(lambda m, x=x, fac=fac: fwd_bwd(m, lambda m, F, t: F.interpolate(t, scale_factor=fac), x), exact=True)


def test_bicubic_backward_copies_where_sizes_match():
    """ATen's bicubic backward copies the gradient where the output has the input's size, though its forward
    interpolated with the scale factor given."""
    x = np.arange(12.0, dtype=np.float32).reshape(1, 2, 2, 3)
    for fac, ac in [((1.0, 1.25), False), ((1.0, 1.25), True), ((1.5, 1.25), False)]:
        check(
            lambda m, fac=fac, ac=ac: fwd_bwd(
                m, lambda m, F, t: F.interpolate(t, scale_factor=fac, mode="bicubic", align_corners=ac), x
            ),
            rtol=1e-5,
            atol=1e-5,
        )


@pytest.mark.parametrize(
    "case",
    [
        "zero_size",
        "zero_size_1d",
        "zero_size_3d",
        "bad_mode",
        "both",
        "neither",
        "size_len",
        "scale_len",
        "align_nearest",
        "recompute_size",
        "float_size",
        "antialias_nearest",
        "linear_4d",
        "bilinear_3d",
        "long",
        "upsample",
        "upsample_nearest",
        "upsample_bilinear",
    ],
)
def test_interpolate_errors_and_aliases(case):
    def scenario(m):
        F = m.nn.functional
        x = m.tensor(np.linspace(-1, 1, 2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5), requires_grad=True)
        return {
            "zero_size": lambda: F.interpolate(x, size=(0, 3)),
            "zero_size_1d": lambda: F.interpolate(x[0], size=0),
            "zero_size_3d": lambda: F.interpolate(x[None], size=(0, 1, 1)),
            "bad_mode": lambda: F.interpolate(x, size=(3, 3), mode="foo"),
            "both": lambda: F.interpolate(x, size=3, scale_factor=2),
            "neither": lambda: F.interpolate(x),
            "size_len": lambda: F.interpolate(x, size=(3, 3, 3)),
            "scale_len": lambda: F.interpolate(x, scale_factor=(3, 3, 3)),
            "align_nearest": lambda: F.interpolate(x, size=(3, 3), align_corners=True),
            "recompute_size": lambda: F.interpolate(x, size=(3, 3), recompute_scale_factor=True),
            "float_size": lambda: F.interpolate(x, size=(3.0, 3)),
            "antialias_nearest": lambda: F.interpolate(x, size=(3, 3), antialias=True),
            "linear_4d": lambda: F.interpolate(x, size=(3, 3), mode="linear"),
            "bilinear_3d": lambda: F.interpolate(x[0], size=3, mode="bilinear"),
            "long": lambda: F.interpolate(x.detach().long(), size=(3, 3), mode="bilinear"),
            "upsample": lambda: F.upsample(x, scale_factor=2, mode="bilinear"),
            "upsample_nearest": lambda: F.upsample_nearest(x, size=(5, 7)),
            "upsample_bilinear": lambda: F.upsample_bilinear(x, scale_factor=1.5),
        }[case]()

    check(scenario)


# ------------------------------------------------------------------------- shuffles, sliding blocks, instance norm

SHAPED = {
    "pixel_shuffle": (lambda m, F, x: F.pixel_shuffle(x, 2), [(2, 8, 3, 4)]),
    "pixel_shuffle_5d": (lambda m, F, x: F.pixel_shuffle(x, 3), [(2, 1, 9, 2, 3)]),
    "pixel_shuffle_3d": (lambda m, F, x: F.pixel_shuffle(x, 2), [(4, 3, 2)]),
    "pixel_unshuffle": (lambda m, F, x: F.pixel_unshuffle(x, 2), [(2, 3, 4, 6)]),
    "pixel_unshuffle_3d": (lambda m, F, x: F.pixel_unshuffle(x, 3), [(2, 3, 6)]),
    "channel_shuffle": (lambda m, F, x: F.channel_shuffle(x, 2), [(2, 4, 3, 2)]),
    "channel_shuffle_3d": (lambda m, F, x: F.channel_shuffle(x, 3), [(2, 6, 5)]),
    "unfold": (lambda m, F, x: F.unfold(x, (2, 3)), [(2, 3, 5, 6)]),
    "unfold_all": (lambda m, F, x: F.unfold(x, 2, dilation=(2, 1), padding=1, stride=(1, 2)), [(2, 3, 5, 6)]),
    "unfold_3d": (lambda m, F, x: F.unfold(x, 3, padding=(0, 1), stride=2), [(3, 5, 6)]),
    "fold": (lambda m, F, x: F.fold(x, (4, 5), (2, 3)), [(2, 12, 9)]),
    "fold_all": (lambda m, F, x: F.fold(x, (5, 6), 2, dilation=(2, 1), padding=1, stride=(1, 2)), [(2, 12, 15)]),
    "fold_2d": (lambda m, F, x: F.fold(x, (4, 4), 2, stride=2), [(8, 4)]),
    "fold_unfold": (lambda m, F, x: F.fold(F.unfold(x, 3, padding=1), (5, 6), 3, padding=1), [(2, 3, 5, 6)]),
    "instance_norm": (lambda m, F, x: F.instance_norm(x), [(2, 3, 5, 4)]),
    "instance_norm_affine": (lambda m, F, x, w, b: F.instance_norm(x, weight=w, bias=b), [(2, 3, 5), (3,), (3,)]),
    "instance_norm_3d": (lambda m, F, x: F.instance_norm(x, eps=1e-3), [(1, 2, 3, 2, 3)]),
}


@pytest.mark.parametrize("name", list(SHAPED))
@FEW
@given(data=st.data())
def test_shaped(name, data):
    fn, shapes = SHAPED[name]
    arrs = [data.draw(arrays(s), label=f"arg{i}") for i, s in enumerate(shapes)]
    if name.startswith("instance_norm"):  # normalising (nearly) constant data is rounding noise
        arrs = [a + (3 * np.sin(np.arange(a.size) * 1.7)).astype(np.float32).reshape(a.shape) for a in arrs]
    _both_precisions(fn, arrs)


def test_instance_norm_running_stats():
    def scenario(m):
        F = m.nn.functional
        x = m.tensor(np.sin(np.arange(2 * 3 * 5, dtype=np.float32) * 1.3).reshape(2, 3, 5), requires_grad=True)
        rm, rv = m.zeros(3), m.ones(3)
        y = F.instance_norm(x, rm, rv, momentum=0.3)
        z = F.instance_norm(x, rm, rv, use_input_stats=False)
        (y.sum() + (z * z).sum()).backward()
        return y, z, rm, rv, x.grad

    check(scenario)


ERRORS = {
    "pixel_shuffle_2d": lambda m, F: F.pixel_shuffle(m.ones(3, 4), 2),
    "pixel_shuffle_zero": lambda m, F: F.pixel_shuffle(m.ones(2, 4, 5, 6), 0),
    "pixel_shuffle_channels": lambda m, F: F.pixel_shuffle(m.ones(2, 5, 3, 3), 2),
    "pixel_unshuffle_zero": lambda m, F: F.pixel_unshuffle(m.ones(2, 4, 4, 4), 0),
    "pixel_unshuffle_h": lambda m, F: F.pixel_unshuffle(m.ones(2, 5, 3, 4), 2),
    "pixel_unshuffle_w": lambda m, F: F.pixel_unshuffle(m.ones(2, 5, 4, 3), 2),
    "pixel_unshuffle_2d": lambda m, F: F.pixel_unshuffle(m.ones(4, 3), 2),
    "channel_shuffle_zero": lambda m, F: F.channel_shuffle(m.ones(2, 4, 5, 6), 0),
    "channel_shuffle_div": lambda m, F: F.channel_shuffle(m.ones(2, 4, 5, 6), 3),
    "channel_shuffle_1d": lambda m, F: F.channel_shuffle(m.ones(4), 2),
    "channel_shuffle_2d": lambda m, F: F.channel_shuffle(m.ones(2, 4), 2),
    "unfold_big": lambda m, F: F.unfold(m.ones(2, 4, 5, 6), 7),
    "unfold_kernel": lambda m, F: F.unfold(m.ones(2, 4, 5, 6), 0),
    "unfold_stride": lambda m, F: F.unfold(m.ones(2, 4, 5, 6), 2, stride=0),
    "unfold_pad": lambda m, F: F.unfold(m.ones(2, 4, 5, 6), 2, padding=-1),
    "unfold_dil": lambda m, F: F.unfold(m.ones(2, 4, 5, 6), 2, dilation=0),
    "unfold_2d": lambda m, F: F.unfold(m.ones(5, 6), 2),
    "unfold_5d": lambda m, F: F.unfold(m.ones(1, 2, 3, 4, 5), 2),
    "fold_kernel_div": lambda m, F: F.fold(m.ones(2, 8, 6), (3, 4), 3),
    "fold_kernel_div2": lambda m, F: F.fold(m.ones(2, 7, 6), (3, 4), 2),
    "fold_blocks": lambda m, F: F.fold(m.ones(2, 8, 5), (3, 4), 2),
    "fold_1d": lambda m, F: F.fold(m.ones(8), (3, 4), 2),
    "fold_4d": lambda m, F: F.fold(m.ones(1, 2, 3, 4), (3, 3), 2),
    "instance_norm_spatial": lambda m, F: F.instance_norm(m.ones(2, 3, 1)),
    "instance_norm_no_stats": lambda m, F: F.instance_norm(m.ones(2, 3, 4), use_input_stats=False),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name):
    got = check(lambda m: ERRORS[name](m, m.nn.functional))
    assert got[0] == "E"


# ------------------------------------------------------------------------- completeness


def test_functional_names_present():
    names = [
        "scaled_dot_product_attention",
        "interpolate",
        "upsample",
        "upsample_nearest",
        "upsample_bilinear",
        "pixel_shuffle",
        "pixel_unshuffle",
        "channel_shuffle",
        "fold",
        "unfold",
        "instance_norm",
    ]
    missing = [n for n in names if not hasattr(torchish.nn.functional, n)]
    assert not missing and all(hasattr(torch.nn.functional, n) for n in names)


# ------------------------------------------------------------------------- losses

_SIGN = np.array([1.0, -1.0, -1.0, 1.0], np.float32)
_SIGN45 = np.sign(np.sin(np.arange(20) + 0.5)).astype(np.float32).reshape(4, 5)
_CLS = np.array([0, 4, 2, 1])
_ML = np.array([[0, 3, -1, 1, 1], [4, -1, 0, 0, 0], [1, 2, 3, 4, 0], [-1, 1, 2, 3, 4]])
_W5 = np.linspace(0.2, 1.5, 5, dtype=np.float32)
X = (4, 5)
_OFF = (3 * np.sin(np.arange(20) * 1.3 + 0.2)).astype(np.float32).reshape(4, 5)

LOSSES: dict = {}
for _red in ["mean", "sum", "none"]:
    LOSSES.update(
        {
            f"margin_ranking_{_red}": (
                lambda m, F, a, b, r=_red: F.margin_ranking_loss(a, b, m.tensor(_SIGN45), 0.3, reduction=r),
                [X, X],
            ),
            f"hinge_embedding_{_red}": (
                lambda m, F, x, r=_red: F.hinge_embedding_loss(x, m.tensor(_SIGN45), 0.7, reduction=r),
                [X],
            ),
            f"soft_margin_{_red}": (
                lambda m, F, x, r=_red: F.soft_margin_loss(x, m.tensor(_SIGN45), reduction=r),
                [X],
            ),
            f"multilabel_soft_margin_{_red}": (
                lambda m, F, x, t, r=_red: F.multilabel_soft_margin_loss(x, t.sigmoid(), m.tensor(_W5), reduction=r),
                [X, X],
                [True, False],
            ),
            f"multilabel_margin_{_red}": (
                lambda m, F, x, r=_red: F.multilabel_margin_loss(x, m.tensor(_ML), reduction=r),
                [X],
            ),
            f"multi_margin_{_red}": (
                lambda m, F, x, r=_red: F.multi_margin_loss(x, m.tensor(_CLS), reduction=r),
                [X],
            ),
            f"multi_margin_p2_w_{_red}": (
                lambda m, F, x, r=_red: F.multi_margin_loss(x, m.tensor(_CLS), 2, 0.6, m.tensor(_W5), reduction=r),
                [X],
            ),
            f"cosine_embedding_{_red}": (
                lambda m, F, a, b, r=_red: F.cosine_embedding_loss(a, b, m.tensor(_SIGN), 0.2, reduction=r),
                [X, X],
            ),
            f"triplet_{_red}": (
                lambda m, F, a, p, n, r=_red: F.triplet_margin_loss(a, p, n, reduction=r),
                [X, X, X],
            ),
            f"triplet_swap_p1_{_red}": (
                lambda m, F, a, p, n, r=_red: F.triplet_margin_loss(a, p, n, 0.5, 1, swap=True, reduction=r),
                [X, X, X],
            ),
            f"triplet_distance_{_red}": (
                lambda m, F, a, p, n, r=_red: F.triplet_margin_with_distance_loss(a, p, n, swap=True, reduction=r),
                [X, X, X],
            ),
            f"triplet_distance_fn_{_red}": (
                # (offset: the angle at a zero vector is not what this tests)
                lambda m, F, a, p, n, r=_red: F.triplet_margin_with_distance_loss(
                    a + m.tensor(_OFF),
                    p - m.tensor(_OFF),
                    n,
                    distance_function=lambda x, y: 1 - F.cosine_similarity(x, y),
                    margin=0.4,
                    reduction=r,
                ),
                [X, X, X],
            ),
            f"poisson_nll_{_red}": (
                lambda m, F, x, t, r=_red: F.poisson_nll_loss(x, t.abs() * 2, reduction=r),
                [X, X],
            ),
            f"poisson_nll_full_{_red}": (
                lambda m, F, x, t, r=_red: F.poisson_nll_loss(x.abs() + 0.1, t.abs() * 2, False, True, reduction=r),
                [X, X],
            ),
            f"gaussian_nll_{_red}": (
                lambda m, F, x, t, v, r=_red: F.gaussian_nll_loss(x, t, v.abs(), reduction=r),
                [X, X, X],
            ),
            f"gaussian_nll_homo_full_{_red}": (
                lambda m, F, x, t, v, r=_red: F.gaussian_nll_loss(x, t, v.abs(), full=True, reduction=r),
                [X, X, (4,)],
            ),
        }
    )
LOSSES["multi_margin_1d"] = (lambda m, F, x: F.multi_margin_loss(x, m.tensor(3)), [(5,)])
LOSSES["multilabel_margin_1d"] = (lambda m, F, x: F.multilabel_margin_loss(x, m.tensor(_ML[0])), [(5,)])
LOSSES["cosine_embedding_0d"] = (lambda m, F, a, b: F.cosine_embedding_loss(a, b, m.tensor(-1.0)), [(5,), (5,)])
LOSSES["gaussian_nll_float_var"] = (lambda m, F, x, t: F.gaussian_nll_loss(x, t, 0.5), [X, X])


@pytest.mark.parametrize("name", list(LOSSES))
@FEW
@given(data=st.data())
def test_losses(name, data):
    fn, shapes, *grad = LOSSES[name]
    arrs = [data.draw(arrays(s), label=f"arg{i}") for i, s in enumerate(shapes)]
    _both_precisions(fn, arrs, grad=grad[0] if grad else None)


LOSS_ERRORS = {
    "margin_ranking_dims": lambda m, F: F.margin_ranking_loss(m.ones(3), m.ones(3), m.ones(1, 3)),
    "reduction": lambda m, F: F.hinge_embedding_loss(m.ones(3), m.ones(3), reduction="foo"),
    "soft_margin_target_grad": lambda m, F: F.soft_margin_loss(m.ones(3), m.ones(3, requires_grad=True)),
    "multi_margin_p": lambda m, F: F.multi_margin_loss(m.ones(2, 3), m.tensor([0, 1]), p=3),
    "multi_margin_weight": lambda m, F: F.multi_margin_loss(m.ones(2, 3), m.tensor([0, 1]), weight=m.ones(1, 3)),
    "multi_margin_target": lambda m, F: F.multi_margin_loss(m.ones(2, 3), m.tensor([0, 3])),
    "multi_margin_size": lambda m, F: F.multi_margin_loss(m.ones(2, 3), m.tensor([0, 1, 2])),
    "multilabel_margin_size": lambda m, F: F.multilabel_margin_loss(m.ones(2, 3), m.tensor([0, 1])),
    "multilabel_margin_range": lambda m, F: F.multilabel_margin_loss(m.ones(2, 3), m.tensor([[0, 3, -1], [0, 1, 2]])),
    "cosine_target_2d": lambda m, F: F.cosine_embedding_loss(m.ones(2, 3), m.ones(2, 3), m.ones(2, 1)),
    "cosine_inputs_1d": lambda m, F: F.cosine_embedding_loss(m.ones(3), m.ones(3), m.ones(2)),
    "cosine_inputs_0d": lambda m, F: F.cosine_embedding_loss(m.ones(2, 3), m.ones(2, 3), m.tensor(1.0)),
    "triplet_margin": lambda m, F: F.triplet_margin_loss(m.ones(2, 3), m.ones(2, 3), m.ones(2, 3), margin=0),
    "triplet_dims": lambda m, F: F.triplet_margin_loss(m.ones(2, 3), m.ones(2, 3), m.ones(3)),
    "triplet_distance_dims": lambda m, F: F.triplet_margin_with_distance_loss(m.ones(2, 3), m.ones(3), m.ones(3)),
    "gaussian_negative": lambda m, F: F.gaussian_nll_loss(m.ones(2, 3), m.ones(2, 3), -1.0),
    "gaussian_negative_t": lambda m, F: F.gaussian_nll_loss(m.ones(2, 3), m.ones(2, 3), -m.ones(2, 3)),
    "gaussian_size": lambda m, F: F.gaussian_nll_loss(m.ones(2, 3), m.ones(2, 3), m.ones(3, 3)),
    "poisson_reduction": lambda m, F: F.poisson_nll_loss(m.ones(2), m.ones(2), reduction="bad"),
}


@pytest.mark.parametrize("name", list(LOSS_ERRORS))
def test_loss_errors(name):
    got = check(lambda m: LOSS_ERRORS[name](m, m.nn.functional))
    assert got[0] == "E"


# ------------------------------------------------------------------------- modules

MODULES = {
    "Upsample": (lambda nn: nn.Upsample(scale_factor=2, mode="bilinear"), [(2, 3, 4, 5)]),
    "Upsample_size": (lambda nn: nn.Upsample(size=(3, 7), mode="bicubic", align_corners=True), [(2, 3, 4, 5)]),
    "UpsamplingNearest2d": (lambda nn: nn.UpsamplingNearest2d(scale_factor=3), [(2, 3, 4, 5)]),
    "UpsamplingBilinear2d": (lambda nn: nn.UpsamplingBilinear2d(size=(6, 3)), [(2, 3, 4, 5)]),
    "PixelShuffle": (lambda nn: nn.PixelShuffle(2), [(2, 8, 3, 2)]),
    "PixelUnshuffle": (lambda nn: nn.PixelUnshuffle(2), [(2, 1, 4, 6)]),
    "ChannelShuffle": (lambda nn: nn.ChannelShuffle(3), [(2, 6, 2, 2)]),
    "Fold": (lambda nn: nn.Fold((4, 5), (2, 2)), [(2, 12, 12)]),
    "Unfold": (lambda nn: nn.Unfold(2, padding=1, stride=2), [(2, 3, 4, 5)]),
    "PairwiseDistance": (lambda nn: nn.PairwiseDistance(p=1.5, keepdim=True), [(4, 5), (4, 5)]),
    "CosineSimilarity": (lambda nn: nn.CosineSimilarity(dim=0), [(4, 5), (4, 5)]),
    "InstanceNorm1d": (lambda nn: nn.InstanceNorm1d(3), [(2, 3, 5)]),
    "InstanceNorm1d_unbatched": (lambda nn: nn.InstanceNorm1d(3, affine=True), [(3, 5)]),
    "InstanceNorm2d_affine": (lambda nn: nn.InstanceNorm2d(3, affine=True), [(2, 3, 4, 5)]),
    "InstanceNorm2d_track": (lambda nn: nn.InstanceNorm2d(3, track_running_stats=True), [(2, 3, 4, 5)]),
    "InstanceNorm3d": (lambda nn: nn.InstanceNorm3d(2, momentum=None, affine=True), [(1, 2, 3, 2, 3)]),
    "InstanceNorm2d_mismatch": (lambda nn: nn.InstanceNorm2d(4), [(2, 3, 4, 5)]),
    "InstanceNorm2d_mismatch_affine": (lambda nn: nn.InstanceNorm2d(4, affine=True), [(2, 3, 4, 5)]),
    "InstanceNorm2d_dim": (lambda nn: nn.InstanceNorm2d(3), [(3, 4)]),
    "MarginRankingLoss": (lambda nn: _with(nn.MarginRankingLoss(0.2), "sign3"), [X, X]),
    "HingeEmbeddingLoss": (lambda nn: _with(nn.HingeEmbeddingLoss(reduction="sum"), "sign"), [X]),
    "SoftMarginLoss": (lambda nn: _with(nn.SoftMarginLoss(), "sign"), [X]),
    "MultiLabelSoftMarginLoss": (lambda nn: nn.MultiLabelSoftMarginLoss(), [X, X]),
    "MultiLabelMarginLoss": (lambda nn: _with(nn.MultiLabelMarginLoss(), "ml"), [X]),
    "MultiMarginLoss": (lambda nn: _with(nn.MultiMarginLoss(p=2, margin=0.5), "cls"), [X]),
    "CosineEmbeddingLoss": (lambda nn: _with(nn.CosineEmbeddingLoss(0.1), "sign1"), [X, X]),
    "TripletMarginLoss": (lambda nn: nn.TripletMarginLoss(swap=True), [X, X, X]),
    "TripletMarginWithDistanceLoss": (lambda nn: nn.TripletMarginWithDistanceLoss(margin=0.5), [X, X, X]),
    "PoissonNLLLoss": (lambda nn: nn.PoissonNLLLoss(), [X, X]),
    "GaussianNLLLoss": (lambda nn: _with(nn.GaussianNLLLoss(full=True), "var"), [X, X]),
    "MultiMarginLoss_p3": (lambda nn: nn.MultiMarginLoss(p=3), [X]),
    "TripletMarginLoss_margin": (lambda nn: nn.TripletMarginLoss(margin=0.0), [X]),
}


def _with(module, extra):
    """module(*inputs, extra target) with the fixed target of the module's kind."""

    def call(*xs):
        m = torch if isinstance(xs[0], torch.Tensor) else torchish
        t = {
            "sign": lambda: m.tensor(_SIGN45),
            "sign3": lambda: m.tensor(_SIGN45),
            "sign1": lambda: m.tensor(_SIGN),
            "ml": lambda: m.tensor(_ML),
            "cls": lambda: m.tensor(_CLS),
            "var": lambda: xs[0].detach().abs() + 0.5,
        }[extra]()
        return module(*xs, t)

    call.module = module
    return call


@pytest.mark.parametrize("name", list(MODULES))
@FEW
@given(data=st.data())
def test_modules(name, data):
    make, shapes = MODULES[name]
    arrs = [data.draw(arrays(s), label=f"arg{i}") for i, s in enumerate(shapes)]
    if name.startswith("InstanceNorm"):
        arrs = [a + (3 * np.sin(np.arange(a.size) * 1.7)).astype(np.float32).reshape(a.shape) for a in arrs]

    def scenario(m):
        m.manual_seed(0)
        mod = make(m.nn)
        inner = getattr(mod, "module", mod)
        xs = [m.tensor(a, requires_grad=True) for a in arrs]
        y = mod(*xs)
        y.sum().backward()
        out = [repr(inner), y, [x.grad for x in xs], dict(inner.state_dict())]
        if isinstance(inner, m.nn.modules.batchnorm._NormBase):
            inner.eval()
            out.append(mod(*xs))
        return out

    check(scenario, **F32)


def test_module_names_present():
    want = [
        "Upsample",
        "UpsamplingNearest2d",
        "UpsamplingBilinear2d",
        "PixelShuffle",
        "PixelUnshuffle",
        "ChannelShuffle",
        "Fold",
        "Unfold",
        "PairwiseDistance",
        "CosineSimilarity",
        "InstanceNorm1d",
        "InstanceNorm2d",
        "InstanceNorm3d",
        "MarginRankingLoss",
        "HingeEmbeddingLoss",
        "SoftMarginLoss",
        "MultiLabelSoftMarginLoss",
        "MultiLabelMarginLoss",
        "MultiMarginLoss",
        "CosineEmbeddingLoss",
        "TripletMarginLoss",
        "TripletMarginWithDistanceLoss",
        "PoissonNLLLoss",
        "GaussianNLLLoss",
        "LocalResponseNorm",
        "LPPool1d",
        "LPPool2d",
    ]
    assert all(hasattr(torch.nn, n) for n in want)
    assert [n for n in want if not hasattr(torchish.nn, n)] == []


# ------------------------------------------------------------------------- local response norm, power pools

LRN_SHAPES = [(2, 5, 4), (2, 6, 3, 4), (1, 4, 2, 3, 2)]


@pytest.mark.parametrize("shape", LRN_SHAPES)
@FEW
@given(data=st.data())
def test_local_response_norm(shape, data):
    x = data.draw(arrays(shape), label="x")
    size = data.draw(st.integers(1, 4), label="size")

    def fn(m, F, t):
        return F.local_response_norm(t, size, alpha=0.3, beta=0.6, k=1.5)

    _both_precisions(fn, [x])


LP_CASES = [
    (1, 2.0, 3, None, False),
    (1, 3.0, 2, 1, True),
    (1, float("inf"), 2, None, False),
    (2, 2.0, (2, 3), None, False),
    (2, 1.5, 2, (1, 2), True),
    (2, -float("inf"), 2, None, False),
]


@pytest.mark.parametrize(("nd", "p", "k", "stride", "ceil"), LP_CASES)
@FEW
@given(data=st.data())
def test_lp_pool(nd, p, k, stride, ceil, data):
    # positive inputs away from 0: a fractional power of a negative window sum is NaN in both
    x = data.draw(arrays((2, 3, 7) if nd == 1 else (2, 3, 5, 6), lo=0.125, hi=3.0), label="x")

    def fn(m, F, t):
        return (F.lp_pool1d if nd == 1 else F.lp_pool2d)(t, p, k, stride, ceil)

    _both_precisions(fn, [x])


def test_lrn_lp_pool_modules_and_errors():
    x = np.abs(np.cos(np.arange(2 * 4 * 5 * 6, dtype=np.float32))).reshape(2, 4, 5, 6) + 0.1

    def scenario(m):
        mods = [m.nn.LocalResponseNorm(3, 1e-3, 0.5, 2.0), m.nn.LPPool1d(2, 3, stride=2), m.nn.LPPool2d(1.5, (2, 3))]
        outs = []
        for mod in mods:
            t = m.tensor(x if not isinstance(mod, m.nn.LPPool1d) else x[:, :, 0], requires_grad=True)
            y = mod(t)
            y.sum().backward()
            outs.append([repr(mod), y, t.grad])
        return outs

    check(scenario, **F32)
    got = check(lambda m: m.nn.functional.local_response_norm(m.ones(3, 4), 2))
    assert got[0] == "E"
