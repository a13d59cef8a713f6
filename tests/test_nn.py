"""torchish.nn against torch.nn: modules (structure, repr, seeded init, state dicts, hooks, errors),
recurrent layers, a small CNN trained end to end, nn.init and nn.utils (nn.functional: test_nn_functional.py).

Every test runs the same scenario under torch and torchish and compares what it observed. Inputs are
drawn by hypothesis from a small pool of shapes (each new shape costs a JAX compile).
"""

from __future__ import annotations

import collections
import copy
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.nn_common import FEW, arrays, check, grad_fn_name

# ------------------------------------------------------------------------- module construction


def _specs(m):
    n = m.nn
    return {
        "linear": lambda: n.Linear(3, 4),
        "linear_nobias": lambda: n.Linear(3, 4, bias=False),
        "bilinear": lambda: n.Bilinear(2, 3, 4),
        "conv1d": lambda: n.Conv1d(2, 3, 3, stride=2, padding=1),
        "conv2d_groups": lambda: n.Conv2d(3, 6, (3, 2), groups=3, bias=False, padding_mode="reflect", padding=1),
        "conv2d_same": lambda: n.Conv2d(3, 4, 3, padding="same", dilation=2),
        "conv3d": lambda: n.Conv3d(2, 2, 2),
        "convT2d": lambda: n.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1),
        "maxpool": lambda: n.MaxPool2d((3, 2), stride=1, padding=1, ceil_mode=True),
        "avgpool": lambda: n.AvgPool2d(3, 2, 1),
        "avgpool1d": lambda: n.AvgPool1d(3),
        "adaptive": lambda: n.AdaptiveAvgPool2d((2, 3)),
        "adaptive_max": lambda: n.AdaptiveMaxPool2d(1),
        "bn1d": lambda: n.BatchNorm1d(4),
        "bn2d": lambda: n.BatchNorm2d(3, eps=1e-3, momentum=None, affine=False),
        "bn_untracked": lambda: n.BatchNorm2d(3, track_running_stats=False),
        "ln": lambda: n.LayerNorm((2, 3), elementwise_affine=False),
        "ln_nobias": lambda: n.LayerNorm(4, bias=False),
        "gn": lambda: n.GroupNorm(2, 4),
        "rms": lambda: n.RMSNorm(4),
        "embedding": lambda: n.Embedding(10, 3),
        "embedding_pad": lambda: n.Embedding(10, 3, padding_idx=-2, max_norm=1.0, scale_grad_by_freq=True),
        "dropout": lambda: n.Dropout(0.2, inplace=True),
        "dropout2d": lambda: n.Dropout2d(0.1),
        "flatten": lambda: n.Flatten(),
        "unflatten": lambda: n.Unflatten(1, (2, 3)),
        "identity": lambda: n.Identity(),
        "activations": lambda: n.Sequential(
            n.ReLU(),
            n.ReLU(True),
            n.Tanh(),
            n.Sigmoid(),
            n.GELU(),
            n.GELU("tanh"),
            n.SiLU(),
            n.LeakyReLU(0.2),
            n.ELU(0.5, True),
            n.CELU(),
            n.SELU(),
            n.Softplus(2, 10),
            n.Softmax(dim=1),
            n.LogSoftmax(-1),
            n.Softmin(0),
            n.Hardtanh(-2, 2),
            n.ReLU6(),
            n.Hardswish(),
            n.Hardsigmoid(),
            n.Mish(),
            n.PReLU(3),
            n.Threshold(0.1, 20),
            n.Hardshrink(),
            n.Softshrink(0.3),
            n.GLU(),
            n.LogSigmoid(),
            n.Softsign(),
            n.Tanhshrink(),
        ),
        "losses": lambda: n.ModuleList(
            [
                n.MSELoss(),
                n.L1Loss(reduction="sum"),
                n.CrossEntropyLoss(label_smoothing=0.1),
                n.NLLLoss(),
                n.BCELoss(),
                n.BCEWithLogitsLoss(pos_weight=m.ones(3)),
                n.HuberLoss(delta=2.0),
                n.SmoothL1Loss(beta=0.5),
                n.KLDivLoss(),
                n.CrossEntropyLoss(weight=m.ones(3)),
            ]
        ),
        "pads": lambda: n.Sequential(
            n.ZeroPad2d(2),
            n.ConstantPad1d((1, 2), 3.5),
            n.ReflectionPad2d(1),
            n.ReplicationPad1d((1, 0)),
            n.CircularPad2d(1),
        ),
        "rnn": lambda: n.RNN(3, 4, 2, nonlinearity="relu", batch_first=True, bidirectional=True),
        "lstm": lambda: n.LSTM(3, 5, proj_size=2, bias=False),
        "gru": lambda: n.GRU(3, 4, dropout=0.5, num_layers=2),
        "cells": lambda: n.ModuleList(
            [n.RNNCell(3, 4, nonlinearity="relu"), n.LSTMCell(2, 3), n.GRUCell(2, 2, bias=False)]
        ),
        "nested": lambda: n.Sequential(n.Linear(2, 3), n.ReLU(), n.Sequential(n.Linear(3, 3), n.Tanh())),
        "ordered": lambda: n.Sequential(collections.OrderedDict(a=n.Linear(2, 2), b=n.Dropout())),
        "modulelist": lambda: n.ModuleList([n.Linear(2, 2) for _ in range(3)] + [n.ReLU()]),
        "modulelist_empty": lambda: n.ModuleList(),
        "moduledict": lambda: n.ModuleDict({"a": n.ReLU(), "b": n.Linear(1, 2)}),
        "paramlist": lambda: n.ParameterList([n.Parameter(m.ones(2, 3)), m.zeros(4)]),
        "paramdict": lambda: n.ParameterDict({"w": n.Parameter(m.ones(2)), "v": m.zeros(3, 1)}),
    }


SPEC_NAMES = list(_specs(torch))


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_module_structure_and_seeded_init(name):
    """repr, parameter/buffer/module names and order, and the initial values drawn from the seeded stream."""

    def scenario(m):
        m.manual_seed(SPEC_NAMES.index(name))
        mod = _specs(m)[name]()
        return {
            "repr": repr(mod),
            "state_dict": dict(mod.state_dict()),
            "params": [(k, p.requires_grad, type(p).__name__) for k, p in mod.named_parameters()],
            "buffers": [k for k, _ in mod.named_buffers()],
            "modules": [(k, type(v).__name__) for k, v in mod.named_modules()],
            "children": [k for k, _ in mod.named_children()],
            "training": [x.training for x in mod.modules()],
        }

    check(scenario, exact=True)


def test_parameter_and_buffer_basics():
    def scenario(m):
        p = m.nn.Parameter(m.tensor([[1.0, 2.0], [3.0, 4.0]]))
        q = m.nn.Parameter(m.ones(2), requires_grad=False)
        b = m.nn.Buffer(m.zeros(2), persistent=False)
        mod = m.nn.Module()
        mod.w = p
        mod.b = b
        mod.register_buffer("c", m.ones(1))
        return {
            "repr": repr(p),
            "repr_q": repr(q),
            "str": str(p),
            "is_leaf": p.is_leaf,
            "rg": q.requires_grad,
            "type_of_op": type(p * 2).__name__,
            "isinstance": isinstance(p, m.Tensor),
            "deepcopy": repr(copy.deepcopy(p)),
            "buffers": [k for k, _ in mod.named_buffers()],
            "sd": list(mod.state_dict()),
            "empty": repr(m.nn.Parameter()),
        }

    check(scenario, exact=True)


# ------------------------------------------------------------------------- Module API


def _api_scenario(m):
    n = m.nn
    out = {}
    m.manual_seed(0)
    net = n.Sequential(
        n.Conv2d(3, 4, 3, padding=1),
        n.BatchNorm2d(4),
        n.ReLU(),
        n.MaxPool2d(2),
        n.Flatten(),
        n.Dropout(0.2),
        n.Linear(4 * 3 * 3, 5),
        n.LogSoftmax(1),
    )
    x = m.tensor(np.linspace(-1, 1, 2 * 3 * 6 * 6, dtype=np.float32).reshape(2, 3, 6, 6))
    y = net(x)
    out["y"] = y
    n.NLLLoss()(y, m.tensor([1, 3])).backward()
    out["grads"] = [p.grad for p in net.parameters()]
    out["running"] = [net[1].running_mean, net[1].running_var, net[1].num_batches_tracked]
    net.eval()
    out["training"] = [mod.training for mod in net.modules()]
    out["y_eval"] = net(x)
    net.zero_grad()
    out["zeroed"] = [p.grad for p in net.parameters()]
    calls = []
    h1 = net[0].register_forward_pre_hook(lambda mod, inp: calls.append(("pre", tuple(inp[0].shape))))
    h2 = net[6].register_forward_hook(lambda mod, inp, o: o * 2)
    h3 = net.register_forward_hook(lambda mod, a, kw, o: calls.append(("kw", sorted(kw))), with_kwargs=True)
    h4 = net[2].register_forward_pre_hook(lambda mod, a, kw: ((a[0] + 1,), kw), with_kwargs=True, prepend=True)
    out["hooked"] = net(x)
    out["calls"] = list(calls)
    for h in (h1, h2, h3, h4):
        h.remove()
    calls.clear()
    net(x)
    out["calls_after_remove"] = list(calls)
    net.double()
    out["double"] = [str(t.dtype) for t in list(net.parameters()) + list(net.buffers())]
    net.to(m.float32)
    out["float"] = [str(t.dtype) for t in list(net.parameters()) + list(net.buffers())]
    seen = []
    net.apply(lambda mod: seen.append(type(mod).__name__))
    out["apply"] = seen
    net.requires_grad_(False)
    out["requires_grad_"] = [p.requires_grad for p in net.parameters()]
    sd = net.state_dict()
    net2 = copy.deepcopy(net)
    out["deepcopy_same"] = [bool((a == b).all()) for a, b in zip(net.parameters(), net2.parameters())]
    out["deepcopy_identity"] = [a is b for a, b in zip(net.parameters(), net2.parameters())]
    out["load"] = repr(net2.load_state_dict(sd))
    out["load_nonstrict"] = repr(
        net2.load_state_dict({k: v for k, v in sd.items() if "running" not in k}, strict=False)
    )
    out["keep_vars"] = [type(v).__name__ for v in net.state_dict(keep_vars=True).values()]
    out["get_submodule"] = repr(net.get_submodule("6"))
    out["get_parameter"] = net.get_parameter("6.bias")
    out["get_buffer"] = net.get_buffer("1.running_var")
    seq = n.Sequential(n.Linear(2, 2), n.ReLU(), n.Tanh())
    out["slice"] = repr(seq[1:])
    del seq[0]
    seq.append(n.Sigmoid())
    seq.insert(0, n.Identity())
    out["seq"] = (repr(seq), len(seq), repr(seq[-1]), repr(seq + n.Sequential(n.ReLU())), repr(seq * 2))
    ml = n.ModuleList([n.ReLU()])
    ml.extend([n.Tanh()])
    ml += [n.ReLU()]
    out["modulelist"] = (repr(ml), repr(ml[1:]), repr(ml[-1]), len(ml))
    pl = n.ParameterList([m.ones(2)])
    pl.append(m.zeros(3))
    out["paramlist"] = (type(pl[0]).__name__, pl[1].requires_grad, len(pl), repr(pl))
    md = n.ModuleDict({"b": n.ReLU(), "a": n.Tanh()})
    md.update([("c", n.Sigmoid())])
    out["moduledict"] = (list(md.keys()), "a" in md, repr(md.pop("b")), list(md))
    lin = n.Linear(2, 3)
    lin.extra = n.ReLU()
    lin.buf = None
    lin.register_buffer("state", m.zeros(1), persistent=False)
    out["dynamic"] = (repr(lin), list(lin.state_dict()), [k for k, _ in lin.named_buffers()])
    del lin.extra
    out["delattr"] = repr(lin)
    shared = n.Linear(2, 2)
    tied = n.Sequential(shared, shared)
    out["shared"] = (
        [k for k, _ in tied.named_parameters()],
        len(list(tied.modules())),
        [k for k, _ in tied.named_modules(remove_duplicate=False)],
        list(tied.state_dict()),
    )
    out["dir"] = sorted(k for k in dir(lin) if not k.startswith("_"))
    return out


def test_module_api():
    check(_api_scenario, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "case",
    [
        "setattr_param",
        "getattr",
        "register_buffer_exists",
        "register_buffer_dot",
        "register_buffer_type",
        "register_parameter_type",
        "register_parameter_empty",
        "add_module_type",
        "nonleaf_param",
        "assign_child",
        "linear_shape",
        "linear_shape_1d",
        "linear_shape_3d",
        "linear_nobias_shape",
        "linear_dtype",
        "no_forward",
        "train_mode",
        "seq_index",
        "init_kwargs",
        "get_submodule",
        "get_parameter",
        "to_int",
        "bn_dims",
        "bn_one",
        "dropout_p",
        "ce_smoothing",
        "load_missing",
        "load_size",
        "load_type",
        "conv_channels",
        "conv_dims",
        "maxpool_pad",
        "embedding_oob",
        "nll_oob",
        "nll_batch",
        "nll_dtype",
        "bce_range",
        "ln_shape",
        "bn_running",
        "glu_odd",
        "pad_mode",
        "pad_reflect",
        "one_hot_neg",
        "hardtanh",
        "mse_weight",
        "groupnorm",
    ],
)
def test_errors(case):
    def scenario(m):
        n, F = m.nn, m.nn.functional
        lin = n.Linear(3, 4)
        z = m.zeros
        return {
            "setattr_param": lambda: setattr(lin, "weight", z(3)),
            "getattr": lambda: lin.nope,
            "register_buffer_exists": lambda: lin.register_buffer("weight", z(1)),
            "register_buffer_dot": lambda: lin.register_buffer("a.b", z(1)),
            "register_buffer_type": lambda: lin.register_buffer("b2", [1]),
            "register_parameter_type": lambda: lin.register_parameter("p", z(1)),
            "register_parameter_empty": lambda: lin.register_parameter("", None),
            "add_module_type": lambda: lin.add_module("x", 3),
            "nonleaf_param": lambda: lin.register_parameter("q", n.Parameter(m.ones(2)) * 2),
            "assign_child": lambda: setattr(n.Sequential(n.ReLU()), "0", 5),
            "linear_shape": lambda: lin(z(2, 5)),
            "linear_shape_1d": lambda: lin(z(5)),
            "linear_shape_3d": lambda: lin(z(2, 2, 5)),
            "linear_nobias_shape": lambda: n.Linear(3, 4, bias=False)(z(2, 5)),
            "linear_dtype": lambda: lin(z(2, 3, dtype=m.float64)),
            "no_forward": lambda: n.Module()(1),
            "train_mode": lambda: lin.train(1),
            "seq_index": lambda: n.Sequential(n.ReLU())[3],
            "init_kwargs": lambda: n.Module(foo=1),
            "get_submodule": lambda: n.Sequential(n.ReLU()).get_submodule("0.x"),
            "get_parameter": lambda: lin.get_parameter("bias.x"),
            "to_int": lambda: lin.to(m.int64),
            "bn_dims": lambda: n.BatchNorm2d(3)(z(2, 3)),
            "bn_one": lambda: n.BatchNorm1d(3)(z(1, 3)),
            "dropout_p": lambda: n.Dropout(1.5),
            "ce_smoothing": lambda: n.CrossEntropyLoss(label_smoothing=2.0)(z(2, 3), m.tensor([0, 1])),
            "load_missing": lambda: lin.load_state_dict({"weight": z(4, 3), "x": z(1)}),
            "load_size": lambda: lin.load_state_dict({"weight": z(4, 2), "bias": z(4)}),
            "load_type": lambda: lin.load_state_dict([("weight", z(4, 3))]),
            "conv_channels": lambda: F.conv2d(z(2, 8, 5, 5), z(4, 3, 3, 3)),
            "conv_dims": lambda: F.conv2d(z(5, 5), z(4, 3, 3, 3)),
            "maxpool_pad": lambda: F.max_pool2d(z(1, 1, 4, 4), 2, padding=2),
            "embedding_oob": lambda: F.embedding(m.tensor([1, 10]), z(10, 2)),
            "nll_oob": lambda: F.nll_loss(z(3, 4), m.tensor([1, 0, 7])),
            "nll_batch": lambda: F.nll_loss(z(3, 4), m.tensor([1, 0])),
            "nll_dtype": lambda: F.nll_loss(z(3, 4), m.tensor([1.0, 0, 2])),
            "bce_range": lambda: F.binary_cross_entropy(m.tensor([1.5]), m.tensor([1.0])),
            "ln_shape": lambda: F.layer_norm(z(3, 4), (5,)),
            "bn_running": lambda: F.batch_norm(z(3, 4), z(5), m.ones(5)),
            "glu_odd": lambda: F.glu(z(3, 3)),
            "pad_mode": lambda: F.pad(z(2, 3, 4, 5), (1, 1), mode="reflect"),
            "pad_reflect": lambda: F.pad(z(2, 3, 4), (4, 1), mode="reflect"),
            "one_hot_neg": lambda: F.one_hot(m.tensor([-1, 2])),
            "hardtanh": lambda: F.hardtanh(z(2), 2.0, 1.0),
            "mse_weight": lambda: F.mse_loss(z(2, 3), z(2, 3), weight=z(3)),
            "groupnorm": lambda: n.GroupNorm(3, 4),
        }[case]()

    got = check(scenario)
    assert isinstance(got, tuple) and got[0] == "E", f"{case} did not raise"


RNNS = [
    ("RNN", (3, 4), {}, (5, 2, 3)),
    ("RNN", (3, 4, 2), {"batch_first": True, "nonlinearity": "relu"}, (2, 5, 3)),
    ("RNN", (3, 4), {"bidirectional": True}, (5, 3)),
    ("GRU", (3, 4, 2), {"bidirectional": True}, (5, 2, 3)),
    ("GRU", (3, 4), {"batch_first": True, "bias": False}, (2, 5, 3)),
    ("LSTM", (3, 4), {}, (5, 2, 3)),
    ("LSTM", (3, 4, 2), {"batch_first": True, "bidirectional": True}, (2, 5, 3)),
    ("LSTM", (3, 4), {"proj_size": 2}, (5, 2, 3)),
    ("LSTM", (3, 4), {}, (5, 3)),
    ("GRU", (3, 4, 3), {"dropout": 0.4}, (5, 2, 3)),
    ("RNNCell", (3, 4), {}, (2, 3)),
    ("LSTMCell", (3, 4), {}, (2, 3)),
    ("GRUCell", (3, 4), {}, (3,)),
    ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}, (2, 3)),
]


@pytest.mark.parametrize("case", range(len(RNNS)))
@given(x=st.data())
@settings(max_examples=2)
def test_recurrent(case, x):
    cls, args, kw, shape = RNNS[case]
    xa = x.draw(arrays(shape, -2, 2))

    def scenario(m):
        m.manual_seed(case)
        mod = getattr(m.nn, cls)(*args, **kw)
        inp = m.tensor(xa, requires_grad=True)
        out = mod(inp)
        flat = []
        for o in out if isinstance(out, tuple) else (out,):
            flat += list(o) if isinstance(o, tuple) else [o]
        sum((f * (i + 1)).sum() for i, f in enumerate(flat)).backward()
        return flat, inp.grad, [p.grad for p in mod.parameters()]

    check(scenario, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------- training end to end


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_small_cnn_training_matches(opt):
    def scenario(m):
        n = m.nn
        m.manual_seed(1)
        net = n.Sequential(
            n.Conv2d(1, 4, 3, padding=1, bias=False),
            n.BatchNorm2d(4),
            n.ReLU(),
            n.MaxPool2d(2),
            n.Flatten(),
            n.Linear(4 * 4 * 4, 16),
            n.GELU(),
            n.Dropout(0.25),
            n.Linear(16, 3),
        )
        o = (
            m.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
            if opt == "sgd"
            else m.optim.Adam(net.parameters(), lr=0.01)
        )
        rng = np.random.default_rng(0)
        x = m.tensor(rng.standard_normal((6, 1, 8, 8)).astype(np.float32))
        y = m.tensor(rng.integers(0, 3, 6))
        losses = []
        for _ in range(4):
            o.zero_grad()
            loss = n.functional.cross_entropy(net(x), y, label_smoothing=0.1)
            loss.backward()
            o.step()
            losses.append(loss.item())
        return losses, [p for p in net.parameters()]

    check(scenario, rtol=2e-4, atol=2e-5)


# ------------------------------------------------------------------------- nn.init


INIT = {
    "uniform": lambda m, t: m.nn.init.uniform_(t, -0.3, 0.7),
    "normal": lambda m, t: m.nn.init.normal_(t, 0.5, 2.0),
    "constant": lambda m, t: m.nn.init.constant_(t, 0.25),
    "ones": lambda m, t: m.nn.init.ones_(t),
    "zeros": lambda m, t: m.nn.init.zeros_(t),
    "eye": lambda m, t: m.nn.init.eye_(t),
    "dirac": lambda m, t: m.nn.init.dirac_(t, 2),
    "xavier_uniform": lambda m, t: m.nn.init.xavier_uniform_(t, gain=m.nn.init.calculate_gain("tanh")),
    "xavier_normal": lambda m, t: m.nn.init.xavier_normal_(t),
    "kaiming_uniform": lambda m, t: m.nn.init.kaiming_uniform_(t, a=0.1, mode="fan_out"),
    "kaiming_normal": lambda m, t: m.nn.init.kaiming_normal_(t, nonlinearity="relu"),
    "trunc_normal": lambda m, t: m.nn.init.trunc_normal_(t, 0.0, 1.0, -0.5, 0.5),
    "trunc_normal_wide": lambda m, t: m.nn.init.trunc_normal_(t, 0.0, 0.5),
    "orthogonal": lambda m, t: m.nn.init.orthogonal_(t, gain=2.0),
    "orthogonal_wide": lambda m, t: m.nn.init.orthogonal_(t.view(6, 4)),
}
_INIT_SHAPE = {"eye": (4, 6), "orthogonal": (4, 6, 3), "orthogonal_wide": (4, 6)}


@pytest.mark.parametrize("name", list(INIT))
def test_init(name):
    def scenario(m):
        m.manual_seed(7)
        t = m.nn.Parameter(m.empty(*_INIT_SHAPE.get(name, (4, 6, 3, 2))))
        with m.no_grad():
            INIT[name](m, t)
        return t

    check(scenario, rtol=1e-5, atol=1e-6, exact=not name.startswith("orthogonal"))


def test_init_helpers():
    def scenario(m):
        init = m.nn.init
        gains = [init.calculate_gain(k) for k in ("linear", "conv2d", "sigmoid", "tanh", "relu", "selu")]
        gains += [init.calculate_gain("leaky_relu", 0.2), init.calculate_gain("leaky_relu")]
        fans = [init._calculate_fan_in_and_fan_out(m.empty(*s)) for s in ((3, 4), (5, 3, 2, 2), (2, 3, 4))]
        errs = []
        for f in (
            lambda: init.calculate_gain("nope"),
            lambda: init._calculate_fan_in_and_fan_out(m.empty(3)),
            lambda: init.kaiming_uniform_(m.empty(3, 4), mode="x"),
            lambda: init.eye_(m.empty(2, 2, 2)),
        ):
            try:
                f()
            except Exception as e:
                errs.append((type(e).__name__, str(e)))
        return gains, fans, errs

    check(scenario)


# ------------------------------------------------------------------------- nn.utils


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0])
@FEW
@given(g1=arrays((3, 4)), g2=arrays((5,)), max_norm=st.sampled_from([0.1, 1.0, 100.0]))
def test_clip_grad_norm(norm_type, g1, g2, max_norm):
    def scenario(m):
        ps = [m.nn.Parameter(m.zeros(3, 4)), m.nn.Parameter(m.zeros(5)), m.nn.Parameter(m.zeros(2))]
        ps[0].grad, ps[1].grad = m.tensor(g1), m.tensor(g2)
        total = m.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
        return total, [p.grad for p in ps]

    check(scenario, rtol=2e-6, atol=1e-6)


def test_clip_grad_value_and_vectors():
    def scenario(m):
        ps = [m.nn.Parameter(m.tensor([[1.0, -2.0], [3.0, 0.5]])), m.nn.Parameter(m.tensor([4.0, -5.0, 6.0]))]
        ps[0].grad = m.tensor([[0.1, -2.0], [3.0, -0.5]])
        ps[1].grad = m.tensor([4.0, -0.25, 0.0])
        m.nn.utils.clip_grad_value_(ps, 1.0)
        vec = m.nn.utils.parameters_to_vector(ps)
        m.nn.utils.vector_to_parameters(vec * 2, ps)
        return [p.grad for p in ps], vec, list(ps)

    check(scenario, exact=True)


def test_linear_grad_fn_structure():
    """F.linear decomposes like at::linear: AddmmBackward0(bias, None, TBackward0(weight)) for 2-D input."""

    def scenario(m):
        lin = m.nn.Linear(3, 2)
        y = lin(m.ones(4, 3))
        nf = y.grad_fn.next_functions
        names = [None if f is None else getattr(f, "_name", type(f).__name__) for f, _ in nf]
        z = lin(m.ones(2, 4, 3, requires_grad=True))
        return names, grad_fn_name(z), grad_fn_name(m.nn.functional.linear(m.ones(2, 3), lin.weight))

    got = check(scenario)
    assert got[0] == ["AccumulateGrad", None, "TBackward0"]
