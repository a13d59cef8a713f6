"""torchish.optim against torch.optim: k steps of every optimizer on the same gradients (parameters and
state after each step), state dicts, param groups, reprs, hooks, errors, and the lr schedulers.

SGD is compared bit for bit. The sqrt-based optimizers (Adam, AdamW, RMSprop, Adagrad) agree to an ulp
or two: torch's float32 sqrt comes from MKL's vector library, which is not correctly rounded.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.nn_common import check

FEW = settings(max_examples=max(3, settings().max_examples // 20))
SHAPES = [(3, 4), (5,)]


def _flush(a):
    """No tiny values: XLA's CPU backend flushes subnormals to zero, torch keeps them."""
    return np.where(np.abs(a) < 1e-6, np.float32(0), a).astype(np.float32)


def _arrays(shape, lo=-3.0, hi=3.0):
    elem = st.floats(lo, hi, width=32, allow_nan=False, allow_infinity=False)
    return hnp.arrays(np.float32, shape, elements=elem).map(_flush)


def grads_strategy(k):
    return st.lists(st.tuples(*[_arrays(s) for s in SHAPES]), min_size=k, max_size=k)


def _steps(m, cls_name, kw, p0, grad_list, groups=False):
    ps = [m.nn.Parameter(m.tensor(a)) for a in p0]
    params = [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.003}] if groups else ps
    opt = getattr(m.optim, cls_name)(params, **kw)
    trace = []
    for gs in grad_list:
        for p, g in zip(ps, gs):
            p.grad = m.tensor(g)
        opt.step()
        trace.append([p.detach().clone() for p in ps])
    sd = opt.state_dict()
    return trace, sd["state"], sd["param_groups"], repr(opt)


CONFIGS = {
    "SGD": [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "maximize": True, "weight_decay": 0.1},
    ],
    "Adam": [
        {"lr": 0.01},
        {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
        {"lr": 0.02, "betas": (0.3, 0.9), "maximize": True},
        {"lr": 0.01, "betas": (0.6, 0.99), "eps": 1e-3},
    ],
    "AdamW": [{"lr": 0.01}, {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}],
    "RMSprop": [
        {"lr": 0.01},
        {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1},
        {"lr": 0.01, "alpha": 0.3, "centered": True, "maximize": True},
    ],
    "Adagrad": [{"lr": 0.1}, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.1}],
}
CASES = [(name, i) for name, cfgs in CONFIGS.items() for i in range(len(cfgs))]


@pytest.mark.parametrize("name,i", CASES)
@FEW
@given(
    p0=st.tuples(*[_arrays(s, -2.0, 2.0) for s in SHAPES]),
    grad_list=grads_strategy(4),
    groups=st.booleans(),
)
def test_optimizer_steps(name, i, p0, grad_list, groups):
    kw = CONFIGS[name][i]
    exact = name == "SGD"
    check(lambda m: _steps(m, name, kw, p0, grad_list, groups), exact=exact, rtol=1e-5, atol=1e-6)


def test_sgd_is_bit_exact_on_large_tensors():
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((64, 129)).astype(np.float32)
    gs = [(rng.standard_normal((64, 129)).astype(np.float32),) for _ in range(5)]

    def scenario(m):
        p = m.nn.Parameter(m.tensor(p0))
        opt = m.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
        for (g,) in gs:
            p.grad = m.tensor(g)
            opt.step()
        return p, opt.state[p]["momentum_buffer"]

    check(scenario, exact=True)


MOMENTS = {
    "Adam": ({"lr": 0.01, "betas": (0.8, 0.95)}, ["exp_avg", "exp_avg_sq", "step"]),
    "AdamW_big_beta1": ({"lr": 0.01, "betas": (0.3, 0.95), "amsgrad": True}, ["exp_avg", "max_exp_avg_sq"]),
    "RMSprop": ({"lr": 0.01, "centered": True, "momentum": 0.9}, ["square_avg", "grad_avg"]),
    "Adagrad": ({"lr": 0.1, "initial_accumulator_value": 0.3}, ["sum", "step"]),
}


@pytest.mark.parametrize("name", list(MOMENTS))
def test_moments_are_bit_exact(name):
    """Everything except the sqrt matches torch exactly: the running moments after several steps."""
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal((37, 53)).astype(np.float32)
    gs = [rng.standard_normal((37, 53)).astype(np.float32) for _ in range(4)]
    kw, keys = MOMENTS[name]

    def scenario(m):
        p = m.nn.Parameter(m.tensor(p0))
        opt = getattr(m.optim, name.split("_")[0])([p], **kw)
        for g in gs:
            p.grad = m.tensor(g)
            opt.step()
        return [opt.state[p][k] for k in keys]

    check(scenario, exact=True)


def test_optimizer_api():
    def scenario(m):
        a = m.nn.Parameter(m.ones(2, 2))
        b = m.nn.Parameter(m.zeros(3))
        c = m.nn.Parameter(m.ones(1))
        opt = m.optim.SGD([a, b], lr=0.1, momentum=0.9)
        out = {"repr0": repr(opt), "defaults": dict(opt.defaults)}
        opt.add_param_group({"params": c, "lr": 0.5, "momentum": 0.0})
        out["groups"] = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
        calls = []
        opt.register_step_pre_hook(lambda o, args, kw: calls.append("pre"))
        opt.register_step_post_hook(lambda o, args, kw: calls.append("post"))
        for p in (a, b, c):
            p.grad = m.ones_like(p)
        loss = opt.step(lambda: m.tensor(3.0))
        out["closure"] = loss
        out["calls"] = calls
        out["params"] = [a, b, c]
        sd = opt.state_dict()
        out["sd_groups"] = sd["param_groups"]
        out["sd_state"] = sd["state"]
        opt.zero_grad(set_to_none=False)
        out["zero_false"] = [p.grad for p in (a, b, c)]
        opt.zero_grad()
        out["zero_none"] = [p.grad for p in (a, b, c)]
        opt2 = m.optim.SGD([a, b], lr=0.1, momentum=0.9)
        opt2.add_param_group({"params": [c], "lr": 0.5, "momentum": 0.0})
        opt2.load_state_dict(sd)
        for p in (a, b, c):
            p.grad = m.full_like(p, 0.5)
        opt.step()
        opt2.step()
        out["after_load"] = [opt.state[a]["momentum_buffer"], opt2.state[a]["momentum_buffer"]]
        out["repr"] = repr(opt2)
        named = m.optim.Adam([("w", a), ("v", b)], lr=0.1)
        out["named"] = named.param_groups[0]["param_names"]
        return out

    check(scenario, exact=True)


@pytest.mark.parametrize(
    "case",
    [
        "lr",
        "momentum",
        "nesterov",
        "empty",
        "tensor",
        "set",
        "overlap",
        "nonleaf",
        "betas",
        "eps",
        "alpha",
        "lr_decay",
        "load_groups",
        "load_sizes",
        "group_type",
    ],
)
def test_optimizer_errors(case):
    def scenario(m):
        p = m.nn.Parameter(m.ones(2))
        q = m.nn.Parameter(m.ones(3))
        o = m.optim
        opt = o.SGD([p], lr=0.1)
        return {
            "lr": lambda: o.SGD([p], lr=-1.0),
            "momentum": lambda: o.SGD([p], momentum=-0.5),
            "nesterov": lambda: o.SGD([p], lr=0.1, nesterov=True),
            "empty": lambda: o.Adam([]),
            "tensor": lambda: o.Adam(p),
            "set": lambda: o.SGD([{"params": {p}}], lr=0.1),
            "overlap": lambda: opt.add_param_group({"params": [p]}),
            "nonleaf": lambda: o.SGD([p * 2], lr=0.1),
            "betas": lambda: o.Adam([p], betas=(1.0, 0.9)),
            "eps": lambda: o.AdamW([p], eps=-1.0),
            "alpha": lambda: o.RMSprop([p], alpha=-1.0),
            "lr_decay": lambda: o.Adagrad([p], lr_decay=-1.0),
            "load_groups": lambda: opt.load_state_dict({"state": {}, "param_groups": []}),
            "load_sizes": lambda: o.SGD([p, q], lr=0.1).load_state_dict(opt.state_dict()),
            "group_type": lambda: opt.add_param_group([q]),
        }[case]()

    got = check(scenario)
    assert isinstance(got, tuple) and got[0] == "E", f"{case} did not raise"


def test_duplicate_parameter_warns():
    def scenario(m):
        q = m.nn.Parameter(m.ones(3))
        return repr(m.optim.SGD([q, q], lr=0.1))

    check(scenario)


# ------------------------------------------------------------------------- lr schedulers


SCHEDULERS = {
    "StepLR": lambda s, o: s.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, [2, 5, 5], 0.1),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, 5, 0.01),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lambda e: 1 / (e + 1)),
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lambda e: 0.95),
    "LinearLR": lambda s, o: s.LinearLR(o, 0.2, 1.0, 4),
    "ConstantLR": lambda s, o: s.ConstantLR(o, 0.5, 3),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o, 6, 2.0),
    "OneCycleLR": lambda s, o: s.OneCycleLR(o, 1.0, total_steps=20),
    "OneCycleLR_linear": lambda s, o: s.OneCycleLR(
        o, [1.0, 0.5], total_steps=15, anneal_strategy="linear", three_phase=True
    ),
    "CyclicLR": lambda s, o: s.CyclicLR(o, 0.01, 0.1, 3, mode="triangular2"),
    "CosineAnnealingWarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, 3, 2),
    "SequentialLR": lambda s, o: s.SequentialLR(o, [s.ConstantLR(o, 0.5, 2), s.ExponentialLR(o, 0.8)], [3]),
    "ChainedScheduler": lambda s, o: s.ChainedScheduler([s.ConstantLR(o, 0.5, 2), s.ExponentialLR(o, 0.8)]),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_scheduler(name):
    def scenario(m):
        p = m.nn.Parameter(m.zeros(2))
        opt = m.optim.SGD([{"params": [p]}, {"params": [m.nn.Parameter(m.zeros(1))], "lr": 0.5}], lr=0.1, momentum=0.9)
        sched = SCHEDULERS[name](m.optim.lr_scheduler, opt)
        lrs = []
        for _ in range(12):
            opt.step()
            sched.step()
            lrs.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups]))
        sd = sched.state_dict()
        keys = sorted(k for k in sd if not k.startswith("_") or k in ("_step_count", "_last_lr"))
        return lrs, keys

    check(scenario, rtol=1e-12, atol=1e-15)


def test_reduce_lr_on_plateau():
    def scenario(m):
        opt = m.optim.Adam([m.nn.Parameter(m.zeros(2))], lr=0.1)
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, "min", factor=0.5, patience=1, cooldown=1, min_lr=0.01)
        out = []
        for metric in [1.0, 0.9, 0.95, 0.97, 0.99, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]:
            sched.step(metric)
            out.append((sched.get_last_lr(), sched.num_bad_epochs, sched.best))
        return out

    check(scenario)


def test_scheduler_order_warning():
    def scenario(m):
        opt = m.optim.SGD([m.nn.Parameter(m.zeros(2))], lr=0.1)
        sched = m.optim.lr_scheduler.StepLR(opt, 2)
        sched.step()
        return sched.get_last_lr()

    check(scenario)


# ------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("opt", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_mlp_training_matches(opt):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 10)).astype(np.float32)
    y = rng.integers(0, 4, 16)

    def scenario(m):
        n = m.nn
        m.manual_seed(0)
        net = n.Sequential(n.Linear(10, 32), n.Tanh(), n.Linear(32, 4))
        kw = {"lr": 0.05, "momentum": 0.9} if opt == "SGD" else {"lr": 0.01}
        o = getattr(m.optim, opt)(net.parameters(), **kw)
        sched = m.optim.lr_scheduler.StepLR(o, 2, 0.5)
        xt, yt = m.tensor(x), m.tensor(y)
        losses = []
        for _ in range(6):
            o.zero_grad()
            loss = n.CrossEntropyLoss()(net(xt), yt)
            loss.backward()
            m.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            o.step()
            sched.step()
            losses.append(loss.item())
        return losses, list(net.parameters())

    check(scenario, rtol=1e-4, atol=1e-5)


def test_step_under_grad_mode_leaves_no_graph():
    def scenario(m):
        p = m.nn.Parameter(m.ones(3))
        opt = m.optim.Adam([p], lr=0.1)
        p.grad = m.ones(3)
        opt.step()
        return p.grad_fn is None, p.requires_grad, p.is_leaf, opt.state[p]["exp_avg"].requires_grad

    check(scenario)


def test_identity_is_preserved():
    import torchish

    p = torchish.nn.Parameter(torchish.ones(3))
    before = id(p)
    opt = torchish.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = torchish.ones(3)
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    buf_id = id(buf)
    p.grad = torchish.ones(3)
    opt.step()
    assert id(p) == before and id(opt.state[p]["momentum_buffer"]) == buf_id
    assert p._version > 0
    assert math.isclose(float(p[0]), 1 - 0.1 - 0.19, rel_tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torchish.optim.lr_scheduler.StepLR(opt, 1)
