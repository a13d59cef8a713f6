"""torchish.nn.functional against torch.nn.functional: values, gradients, grad_fn names, errors and
warnings of every function, inputs drawn by hypothesis from a small pool of shapes; dropout masks from the
seeded stream; batch norm running statistics.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.nn_common import FEW, arrays, check, fwd_bwd

# ------------------------------------------------------------------------- functional: values and gradients

X = (4, 5)
_TGT = np.array([0, 2, 4, 1])
_W5 = np.linspace(0.2, 1.5, 5, dtype=np.float32)

# name -> (fn(m, F, *tensors), shapes (tuple) or fixed arrays, which inputs require grad or None for "floats")
FUNCTIONAL = {
    "linear": (lambda m, F, x, w, b: F.linear(x, w, b), [X, (3, 5), (3,)]),
    "linear_nobias": (lambda m, F, x, w: F.linear(x, w), [X, (3, 5)]),
    "linear_3d": (lambda m, F, x, w, b: F.linear(x, w, b), [(2, 4, 5), (3, 5), (3,)]),
    "linear_1d": (lambda m, F, x, w, b: F.linear(x, w, b), [(5,), (3, 5), (3,)]),
    "linear_nobias_3d": (lambda m, F, x, w: F.linear(x, w), [(2, 4, 5), (3, 5)]),
    "bilinear": (lambda m, F, a, b, w, bb: F.bilinear(a, b, w, bb), [(4, 2), (4, 3), (3, 2, 3), (3,)]),
    "gelu_tanh": (lambda m, F, x: F.gelu(x, approximate="tanh"), [X]),
    "threshold": (lambda m, F, x: F.threshold(x, 0.1, 2.0), [X]),
    "glu": (lambda m, F, x: F.glu(x, 0), [X]),
    "prelu": (lambda m, F, x, w: F.prelu(x, w), [(2, 4, 5), (4,)]),
    "softmax": (lambda m, F, x: F.softmax(x, 1), [X]),
    "softmax_implicit": (lambda m, F, x: F.softmax(x), [X]),
    "log_softmax": (lambda m, F, x: F.log_softmax(x, -1), [X]),
    "softmin": (lambda m, F, x: F.softmin(x, 0), [X]),
    "leaky_relu_inplace": (lambda m, F, x: F.leaky_relu(x * 1, 0.2, inplace=True), [X]),
    "elu_inplace": (lambda m, F, x: F.elu(x * 1, inplace=True), [X]),
    "relu_inplace": (lambda m, F, x: F.relu(x * 1, inplace=True), [X]),
    "hardtanh_inplace": (lambda m, F, x: F.hardtanh(x * 1, -0.5, 0.5, inplace=True), [X]),
    "silu_inplace": (lambda m, F, x: F.silu(x * 1, inplace=True), [X]),
    "layer_norm": (lambda m, F, x, w, b: F.layer_norm(x, (5,), w, b), [(2, 4, 5), (5,), (5,)]),
    "layer_norm_2d": (lambda m, F, x: F.layer_norm(x, (4, 5)), [(2, 4, 5)]),
    "group_norm": (lambda m, F, x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    "rms_norm": (lambda m, F, x, w: F.rms_norm(x, (5,), w), [(2, 4, 5), (5,)]),
    "batch_norm_train": (
        lambda m, F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [(3, 4, 5), (4,), (4,)],
    ),
    "batch_norm_eval": (
        lambda m, F, x, w, b, rm: F.batch_norm(x, rm, rm.abs() + 0.5, w, b),
        [(3, 4, 5), (4,), (4,), (4,)],
        [True, True, True, False],
    ),
    "embedding": (lambda m, F, w: F.embedding(m.tensor([[1, 2], [0, 2]]), w), [(4, 3)]),
    "embedding_pad": (lambda m, F, w: F.embedding(m.tensor([[1, 2], [2, 2]]), w, padding_idx=2), [(4, 3)]),
    "embedding_freq": (lambda m, F, w: F.embedding(m.tensor([[1, 2], [2, 2]]), w, scale_grad_by_freq=True), [(4, 3)]),
    "normalize": (lambda m, F, x: F.normalize(x), [X]),
    "cosine_similarity": (lambda m, F, x, y: F.cosine_similarity(x, y), [X, X]),
    "pairwise_distance": (lambda m, F, x, y: F.pairwise_distance(x, y), [X, X]),
    "one_hot": (lambda m, F: F.one_hot(m.tensor([0, 3, 1])), []),
    "one_hot_n": (lambda m, F: F.one_hot(m.tensor([[0, 3], [1, 1]]), 5), []),
}
for _n in [
    "relu",
    "gelu",
    "silu",
    "mish",
    "elu",
    "selu",
    "celu",
    "leaky_relu",
    "softplus",
    "hardtanh",
    "relu6",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "softsign",
    "tanhshrink",
    "hardshrink",
    "softshrink",
    "sigmoid",
    "tanh",
]:
    FUNCTIONAL[_n] = (lambda m, F, x, _n=_n: getattr(F, _n)(x), [X])
for _red in ["mean", "sum", "none"]:
    FUNCTIONAL.update(
        {
            f"mse_{_red}": (lambda m, F, x, y, r=_red: F.mse_loss(x, y, reduction=r), [X, X]),
            f"l1_{_red}": (lambda m, F, x, y, r=_red: F.l1_loss(x, y, reduction=r), [X, X]),
            f"huber_{_red}": (lambda m, F, x, y, r=_red: F.huber_loss(x, y, reduction=r, delta=0.7), [X, X]),
            f"smooth_l1_{_red}": (lambda m, F, x, y, r=_red: F.smooth_l1_loss(x, y, reduction=r, beta=0.5), [X, X]),
            f"bce_{_red}": (
                lambda m, F, x, t, r=_red: F.binary_cross_entropy(x.sigmoid(), t.sigmoid(), reduction=r),
                [X, X],
                [True, False],
            ),
            f"bce_weight_{_red}": (
                lambda m, F, x, t, r=_red: F.binary_cross_entropy(x.sigmoid(), t.sigmoid(), m.tensor(_W5), reduction=r),
                [X, X],
                [True, False],
            ),
            f"bce_logits_{_red}": (
                lambda m, F, x, t, r=_red: F.binary_cross_entropy_with_logits(x, t.sigmoid(), reduction=r),
                [X, X],
            ),
            f"bce_logits_pw_{_red}": (
                lambda m, F, x, t, r=_red: F.binary_cross_entropy_with_logits(
                    x, t.sigmoid(), m.tensor(_W5[::-1].copy()), pos_weight=m.tensor(_W5), reduction=r
                ),
                [X, X],
            ),
            f"nll_{_red}": (lambda m, F, x, r=_red: F.nll_loss(F.log_softmax(x, 1), m.tensor(_TGT), reduction=r), [X]),
            f"ce_{_red}": (lambda m, F, x, r=_red: F.cross_entropy(x, m.tensor(_TGT), reduction=r), [X]),
            f"ce_weight_ignore_{_red}": (
                lambda m, F, x, r=_red: F.cross_entropy(
                    x, m.tensor(_TGT), weight=m.tensor(_W5), ignore_index=2, reduction=r
                ),
                [X],
            ),
            f"ce_smooth_{_red}": (
                lambda m, F, x, r=_red: F.cross_entropy(x, m.tensor(_TGT), label_smoothing=0.2, reduction=r),
                [X],
            ),
            f"ce_smooth_weight_{_red}": (
                lambda m, F, x, r=_red: F.cross_entropy(
                    x, m.tensor(_TGT), weight=m.tensor(_W5), label_smoothing=0.2, ignore_index=1, reduction=r
                ),
                [X],
            ),
            f"ce_prob_{_red}": (
                lambda m, F, x, t, r=_red: F.cross_entropy(x, t.softmax(1), reduction=r),
                [X, X],
                [True, False],
            ),
            f"ce_prob_smooth_weight_{_red}": (
                lambda m, F, x, t, r=_red: F.cross_entropy(
                    x, t.softmax(1), weight=m.tensor(_W5), label_smoothing=0.3, reduction=r
                ),
                [X, X],
                [True, False],
            ),
            f"ce_4d_{_red}": (
                lambda m, F, x, r=_red: F.cross_entropy(x, m.tensor((np.arange(40) % 3).reshape(2, 4, 5)), reduction=r),
                [(2, 3, 4, 5)],
            ),
            f"ce_3d_{_red}": (
                lambda m, F, x, r=_red: F.cross_entropy(x, m.tensor([[0, 2, 1, 1], [2, 2, 0, 1]]), reduction=r),
                [(2, 3, 4)],
            ),
            f"kl_div_{_red}": (
                lambda m, F, x, t, r=_red: F.kl_div(F.log_softmax(x, 1), t.softmax(1), reduction=r),
                [X, X],
                [True, False],
            ),
        }
    )
FUNCTIONAL["kl_div_batchmean_log_target"] = (
    lambda m, F, x, t: F.kl_div(x, t, reduction="batchmean", log_target=True),
    [X, X],
)
FUNCTIONAL["ce_1d"] = (lambda m, F, x: F.cross_entropy(x, m.tensor(3)), [(5,)])
FUNCTIONAL["nll_all_ignored"] = (lambda m, F, x: F.nll_loss(x, m.tensor([-100] * 4)), [X])
FUNCTIONAL["mse_broadcast"] = (lambda m, F, x, y: F.mse_loss(x, y), [X, (5,)])


# normalisations of (nearly) constant data and angles between (nearly) parallel vectors are rounding noise
CONDITIONED = {
    "layer_norm",
    "layer_norm_2d",
    "group_norm",
    "rms_norm",
    "batch_norm_train",
    "batch_norm_eval",
    "cosine_similarity",
    "normalize",
}


@pytest.mark.parametrize("name", list(FUNCTIONAL))
@FEW
@given(data=st.data())
def test_functional(name, data):
    fn, shapes, *grad = FUNCTIONAL[name]
    arrs = [data.draw(arrays(s), label=f"arg{i}") for i, s in enumerate(shapes)]
    if name in CONDITIONED:
        arrs = [
            a + (4 * np.sin(np.arange(a.size) * (i + 1.3))).astype(np.float32).reshape(a.shape)
            for i, a in enumerate(arrs)
        ]
    check(lambda m: fwd_bwd(m, fn, *arrs, grad=grad[0] if grad else None), rtol=2e-5, atol=2e-5)


IMG = (2, 3, 7, 6)
SIG = (2, 3, 9)
CONV = {
    "conv2d": (lambda m, F, x, w, b: F.conv2d(x, w, b), [IMG, (4, 3, 3, 2), (4,)]),
    "conv2d_stride_pad_dil": (lambda m, F, x, w: F.conv2d(x, w, None, (2, 1), (1, 2), (2, 1)), [IMG, (4, 3, 3, 2)]),
    "conv2d_groups": (lambda m, F, x, w, b: F.conv2d(x, w, b, groups=3), [IMG, (6, 1, 3, 3), (6,)]),
    "conv2d_same": (lambda m, F, x, w, b: F.conv2d(x, w, b, padding="same"), [IMG, (4, 3, 4, 3), (4,)]),
    "conv2d_unbatched": (lambda m, F, x, w, b: F.conv2d(x, w, b), [IMG[1:], (4, 3, 3, 2), (4,)]),
    "conv1d": (lambda m, F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [SIG, (5, 3, 3), (5,)]),
    "conv3d": (lambda m, F, x, w: F.conv3d(x, w), [(1, 2, 4, 4, 4), (3, 2, 2, 2, 2)]),
    "conv_transpose2d": (
        lambda m, F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [IMG, (3, 4, 3, 3), (4,)],
    ),
    "conv_transpose2d_groups": (
        lambda m, F, x, w: F.conv_transpose2d(x, w, stride=(1, 2), groups=3, dilation=2),
        [IMG, (3, 2, 3, 2)],
    ),
    "conv_transpose1d": (lambda m, F, x, w: F.conv_transpose1d(x, w, stride=3), [SIG, (3, 2, 4)]),
    "max_pool2d": (lambda m, F, x: F.max_pool2d(x, 2), [IMG]),
    "max_pool2d_ceil": (lambda m, F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), [IMG]),
    "max_pool2d_dilation": (lambda m, F, x: F.max_pool2d(x, (3, 2), (2, 1), (1, 0), (1, 2)), [IMG]),
    "max_pool2d_indices": (lambda m, F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True), [IMG]),
    "max_pool2d_unbatched": (lambda m, F, x: F.max_pool2d(x, 2, return_indices=True), [IMG[1:]]),
    "max_pool1d": (lambda m, F, x: F.max_pool1d(x, 3, 2, 1, return_indices=True), [SIG]),
    "max_pool3d": (lambda m, F, x: F.max_pool3d(x, 2), [(1, 2, 4, 4, 4)]),
    "avg_pool2d": (lambda m, F, x: F.avg_pool2d(x, 3, 2, 1), [IMG]),
    "avg_pool2d_ceil_nopad": (lambda m, F, x: F.avg_pool2d(x, 2, 3, 1, True, False), [IMG]),
    "avg_pool2d_divisor": (lambda m, F, x: F.avg_pool2d(x, 3, 2, 1, divisor_override=5), [IMG]),
    "avg_pool1d": (lambda m, F, x: F.avg_pool1d(x, 3, 2, 1), [SIG]),
    "avg_pool3d": (lambda m, F, x: F.avg_pool3d(x, 2), [(1, 2, 4, 4, 4)]),
    "adaptive_avg_1": (lambda m, F, x: F.adaptive_avg_pool2d(x, 1), [IMG]),
    "adaptive_avg": (lambda m, F, x: F.adaptive_avg_pool2d(x, (3, None)), [IMG]),
    "adaptive_avg_1d": (lambda m, F, x: F.adaptive_avg_pool1d(x, 4), [SIG]),
    "adaptive_max": (lambda m, F, x: F.adaptive_max_pool2d(x, (4, 4), return_indices=True), [IMG]),
    "adaptive_max_1d": (lambda m, F, x: F.adaptive_max_pool1d(x, 4), [SIG]),
    "pad_constant": (lambda m, F, x: F.pad(x, (-1, 2, 0, 1), value=3.0), [IMG]),
    "pad_reflect": (lambda m, F, x: F.pad(x, (1, 2, 2, 1), "reflect"), [IMG]),
    "pad_replicate": (lambda m, F, x: F.pad(x, (1, 2), "replicate"), [SIG]),
    "pad_circular": (lambda m, F, x: F.pad(x, (1, 2, 2, 1), "circular"), [IMG]),
    "dropout_eval": (lambda m, F, x: F.dropout(x, 0.5, False), [IMG]),
    "dropout_p0": (lambda m, F, x: F.dropout(x * 1, 0.0), [IMG]),
    "dropout_p1": (lambda m, F, x: F.dropout(x, 1.0), [IMG]),
}


@pytest.mark.parametrize("name", list(CONV))
@FEW
@given(data=st.data())
def test_conv_pool_pad(name, data):
    fn, shapes = CONV[name]
    arrs = [data.draw(arrays(s), label=f"arg{i}") for i, s in enumerate(shapes)]
    check(lambda m: fwd_bwd(m, fn, *arrs), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind", ["dropout", "dropout_inplace", "dropout1d", "dropout2d", "dropout3d", "module"])
@given(seed=st.integers(0, 2**31), p=st.sampled_from([0.1, 0.5, 0.9]))
@FEW
def test_dropout_masks_follow_the_seed(kind, seed, p):
    def scenario(m):
        F = m.nn.functional
        x = m.tensor(np.linspace(1, 2, 2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5), requires_grad=True)
        m.manual_seed(seed)
        if kind == "dropout":
            y = F.dropout(x, p)
        elif kind == "dropout_inplace":
            y = F.dropout(x * 1, p, inplace=True)
        elif kind == "dropout1d":
            y = F.dropout1d(x[0], p)
        elif kind == "dropout2d":
            y = F.dropout2d(x, p)
        elif kind == "dropout3d":
            y = F.dropout3d(x, p)
        else:
            mod = m.nn.Dropout(p)
            y = mod(x)
            mod.eval()
            y = (y, mod(x))
        first = y[0] if isinstance(y, tuple) else y
        first.sum().backward()
        return y, x.grad

    check(scenario, exact=True)


def test_batchnorm_running_stats_and_momentum_none():
    def scenario(m):
        m.manual_seed(0)
        bn = m.nn.BatchNorm2d(3, momentum=None)
        bn1 = m.nn.BatchNorm1d(4)
        outs = []
        for i in range(3):
            x = m.tensor(np.sin(np.arange(2 * 3 * 4 * 4) * (i + 1.0)).astype(np.float32).reshape(2, 3, 4, 4))
            outs.append(bn(x))
            outs.append(bn1(m.tensor(np.cos(np.arange(20.0) * (i + 1)).astype(np.float32).reshape(5, 4))))
        bn.eval()
        outs.append(bn(x))
        return outs, dict(bn.state_dict()), dict(bn1.state_dict())

    check(scenario, rtol=1e-5, atol=1e-6)
