"""torch.func (grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd, hessian, vmap, functional_call) against torch.

The same torch-style code runs under torch and torchish; results must agree in values, dtypes, shapes,
pytree structure (tuple / list / dict nesting) and requires_grad, errors in type and text. Results of a
transform whose inputs require grad are differentiated again by the tape and compared. Functions and
shapes come from small fixed pools (each new structure costs a JAX compile); values, argnums, has_aux,
in_dims / out_dims and compositions are drawn by hypothesis.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.func
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import torchish
import torchish.func
import torchish.nn

FEW = settings(max_examples=max(10, settings().max_examples // 3))
TOL = {"float32": (2e-5, 2e-5), "float64": (1e-9, 1e-10)}


# ------------------------------------------------------------------------------------------ comparing


def outcome(fn, m):
    try:
        return ("ok", fn(m))
    except Exception as e:  # the exception itself is what is compared
        return (type(e).__name__, str(e))


def observe(v):
    if isinstance(v, (torch.Tensor, torchish.Tensor)):
        return ("T", str(v.dtype).split(".")[-1], tuple(v.shape), np.asarray(v.detach().numpy()), v.requires_grad)
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, [observe(x) for x in v])
    if isinstance(v, dict):
        return ("dict", {k: observe(x) for k, x in v.items()})
    if callable(v):
        return "<function>"
    return v


def assert_same(a, e, path="out", tol=None):
    if isinstance(e, tuple) and e and e[0] == "T":
        assert isinstance(a, tuple) and a[0] == "T", f"{path}: {a!r} vs a tensor"
        assert a[1] == e[1], f"{path}: dtype {a[1]} != {e[1]}"
        assert a[2] == e[2], f"{path}: shape {a[2]} != {e[2]}"
        assert a[4] == e[4], f"{path}: requires_grad {a[4]} != {e[4]}"
        rtol, atol = (tol or TOL.get(e[1], (0, 0))) if e[1] in TOL else (0, 0)
        np.testing.assert_allclose(a[3], e[3], rtol=rtol, atol=atol, err_msg=path)
    elif isinstance(e, tuple) and len(e) == 2 and e[0] in ("tuple", "list"):
        assert isinstance(a, tuple) and a[0] == e[0], f"{path}: {a!r} is not a {e[0]}"
        assert len(a[1]) == len(e[1]), f"{path}: length {len(a[1])} != {len(e[1])}"
        for i, (x, y) in enumerate(zip(a[1], e[1])):
            assert_same(x, y, f"{path}[{i}]", tol)
    elif isinstance(e, tuple) and len(e) == 2 and e[0] == "dict":
        assert isinstance(a, tuple) and a[0] == "dict", f"{path}: {a!r} is not a dict"
        assert list(a[1]) == list(e[1]), f"{path}: keys {list(a[1])} != {list(e[1])}"
        for k in e[1]:
            assert_same(a[1][k], e[1][k], f"{path}[{k!r}]", tol)
    else:
        assert a == e, f"{path}: {a!r} != {e!r}"


def check(fn, tol=None):
    """Run fn(module) under both; results (or errors) must agree. Returns both results."""
    ours, theirs = outcome(fn, torchish), outcome(fn, torch)
    assert ours[0] == theirs[0], f"torchish: {ours}\ntorch:    {theirs}"
    if theirs[0] != "ok":
        assert ours[1] == theirs[1]
        return None
    assert_same(observe(ours[1]), observe(theirs[1]), tol=tol)
    return ours[1], theirs[1]


def leaves(r):
    if isinstance(r, (tuple, list)):
        return [y for x in r for y in leaves(x)]
    if isinstance(r, dict):
        return [y for x in r.values() for y in leaves(x)]
    return [r]


def regrad(results, inputs, m):
    """d(sum_i (i+1) * result_i) / d(inputs) through the tape, for results that require grad."""
    rs = [t for t in leaves(results) if isinstance(t, (torch.Tensor, torchish.Tensor)) and t.requires_grad]
    if not rs:
        return None
    s = sum((t * (i + 1)).sum() for i, t in enumerate(rs))
    return m.autograd.grad(s, inputs, allow_unused=True, materialize_grads=True)


def values(shape, dtype="float32"):
    return hnp.arrays(np.float64, shape, elements=st.floats(-2, 2, allow_nan=False, width=32)).map(
        lambda a: a.astype(dtype)
    )


SHAPES = [(3,), (2, 3), ()]


# ------------------------------------------------------------------------------------------ grad / vjp / jvp

# name -> (positional arg kinds, function); "t": a tensor, "d": a dict of two tensors
SCALAR = {
    "sin_mul": ("t", lambda x: (x.sin() * x).sum()),
    "two": ("tt", lambda x, y: (x.tanh() * y).sum()),
    "dict": ("d", lambda d: (d["a"].exp() * d["b"]).sum()),
    "mixed": ("td", lambda x, d: (x * d["a"] + d["b"].cos()).sum()),
    "detach": ("t", lambda x: (x.detach() * x * x).sum()),
    "aux": ("tt", lambda x, y: ((x * y).sum(), {"s": x.sum(), "l": [y * 2]})),
}
VECTOR = {
    "vec": ("t", lambda x: x.sin() * x),
    "pair": ("tt", lambda x, y: {"p": x * y, "q": (x.exp(), (y * y).sum())}),
    "dict_in": ("d", lambda d: [d["a"] * d["b"], d["b"].exp()]),
    "aux": ("t", lambda x: (x.exp(), [x.sum()])),
}


@st.composite
def call_args(draw, kinds, shape=None, grads=False):
    shape = draw(st.sampled_from(SHAPES)) if shape is None else shape
    dtype = draw(st.sampled_from(["float32", "float64"]))
    arrays = []
    for k in kinds:
        arrays.append(
            draw(values(shape, dtype))
            if k == "t"
            else {"a": draw(values(shape, dtype)), "b": draw(values(shape, dtype))}
        )
    req = grads and draw(st.booleans())
    return arrays, req


def build(m, arrays, req=False):
    def t(a):
        return m.tensor(a, requires_grad=req)

    return tuple(t(a) if isinstance(a, np.ndarray) else {k: t(v) for k, v in a.items()} for a in arrays)


def argnums_for(draw, n):
    options = list(range(n)) + [-1] + ([tuple(range(n))] if n > 1 else []) + ([(n - 1, 0)] if n > 1 else [])
    return draw(st.sampled_from(options))


@FEW
@given(st.sampled_from(sorted(SCALAR)), st.booleans(), st.data())
def test_grad_and_value(name, with_value, data):
    kinds, f = SCALAR[name]
    arrays, req = data.draw(call_args(kinds, grads=True))
    argnums = argnums_for(data.draw, len(kinds))
    has_aux = name == "aux"
    res = {}

    def run(m):
        args = build(m, arrays, req)
        api = m.func.grad_and_value if with_value else m.func.grad
        out = api(f, argnums=argnums, has_aux=has_aux)(*args)
        res[m.__name__] = (out, [t for t in leaves(args)])
        return out

    if check(run) and req:
        assert_same(observe(regrad(*res["torchish"], torchish)), observe(regrad(*res["torch"], torch)))


@FEW
@given(st.sampled_from(sorted(VECTOR)), st.data())
def test_vjp(name, data):
    kinds, f = VECTOR[name]
    arrays, req = data.draw(call_args(kinds, grads=True))
    has_aux = name == "aux"
    ct_seed = data.draw(st.integers(0, 3))
    res = {}

    def run(m):
        args = build(m, arrays, req)
        r = m.func.vjp(f, *args, has_aux=has_aux)
        out, fn = r[0], r[1]
        gen = np.random.default_rng(ct_seed)
        cts = _like(m, out, gen)
        grads = fn(cts)
        res[m.__name__] = ((out, grads), [t for t in leaves(args)])
        return (out, grads, r[2]) if has_aux else (out, grads)

    if check(run) and req:
        assert_same(observe(regrad(*res["torchish"], torchish)), observe(regrad(*res["torch"], torch)))


def _like(m, tree, gen):
    if isinstance(tree, (tuple, list)):
        return type(tree)(_like(m, x, gen) for x in tree)
    if isinstance(tree, dict):
        return {k: _like(m, v, gen) for k, v in tree.items()}
    return m.tensor(gen.standard_normal(tuple(tree.shape)).astype(str(tree.dtype).split(".")[-1]))


@FEW
@given(st.sampled_from(sorted(VECTOR)), st.booleans(), st.data())
def test_jvp(name, strict, data):
    kinds, f = VECTOR[name]
    arrays, req = data.draw(call_args(kinds, grads=True))
    tangents, _ = data.draw(call_args(kinds, shape=np.shape(leaves(arrays)[0])))
    tangents = [jax_cast(t, leaves(arrays)[0].dtype) for t in tangents]
    has_aux = name == "aux"
    res = {}

    def run(m):
        args = build(m, arrays, req)
        out = m.func.jvp(f, args, build(m, tangents), strict=strict, has_aux=has_aux)
        res[m.__name__] = (out, [t for t in leaves(args)])
        return out

    if check(run) and req:
        assert_same(observe(regrad(*res["torchish"], torchish)), observe(regrad(*res["torch"], torch)))


@FEW
@given(st.sampled_from(sorted(k for k in VECTOR if k != "aux")), st.data())  # (linearize takes no has_aux)
def test_linearize(name, data):
    """linearize(f, *primals): f's output, and a function of the tangents equal to jvp at primals."""
    kinds, f = VECTOR[name]
    arrays, _ = data.draw(call_args(kinds))
    tangents, _ = data.draw(call_args(kinds, shape=np.shape(leaves(arrays)[0])))
    tangents = [jax_cast(t, leaves(arrays)[0].dtype) for t in tangents]

    def run(m):
        out, jvp_fn = m.func.linearize(f, *build(m, arrays, False))
        return out, jvp_fn(*build(m, tangents))

    check(run)


_LINEARIZE_ERRORS = {
    "tangent shape": lambda m, jvp_fn: jvp_fn(m.ones(3), m.ones(2)),
    "tangent dtype": lambda m, jvp_fn: jvp_fn(m.ones(2, dtype=m.float64), m.ones(2)),
    "too few tangents": lambda m, jvp_fn: jvp_fn(m.ones(2)),
}


@pytest.mark.parametrize("case", sorted(_LINEARIZE_ERRORS))
def test_linearize_errors(case):
    def run(m):
        x = m.tensor([1.0, 2.0])
        _, jvp_fn = m.func.linearize(lambda a, b: (a * b, a + b), x, x * 2)
        return _LINEARIZE_ERRORS[case](m, jvp_fn)

    check(run)


def jax_cast(t, dtype):
    return t.astype(dtype) if isinstance(t, np.ndarray) else {k: v.astype(dtype) for k, v in t.items()}


# ------------------------------------------------------------------------------------------ jacobians


@FEW
@given(st.sampled_from(sorted(VECTOR)), st.sampled_from(["jacrev", "jacfwd", "hessian"]), st.data())
def test_jacobians(name, api, data):
    kinds, f = VECTOR[name]
    has_aux = name == "aux" and api != "hessian"
    if api == "hessian":
        kinds, f = SCALAR[data.draw(st.sampled_from(sorted(k for k in SCALAR if k != "aux")))]
    arrays, req = data.draw(call_args(kinds, grads=True))
    argnums = argnums_for(data.draw, len(kinds))
    res = {}

    def run(m):
        args = build(m, arrays, req)
        if api == "hessian":
            out = m.func.hessian(f, argnums=argnums)(*args)
        else:
            out = getattr(m.func, api)(f, argnums=argnums, has_aux=has_aux)(*args)
        res[m.__name__] = (out, [t for t in leaves(args)])
        return out

    if check(run) and req:
        assert_same(observe(regrad(*res["torchish"], torchish)), observe(regrad(*res["torch"], torch)))


# ------------------------------------------------------------------------------------------ vmap

PER_EXAMPLE = {
    "scale": (1, lambda x: x.sin() * x.sum()),
    "outer": (2, lambda x, y: x.unsqueeze(-1) * y),
    "pair_out": (2, lambda x, y: (x * y, (x - y).sum())),
    "dict_out": (1, lambda x: {"a": x.exp(), "b": [x.sum(), x * 2]}),
    "matvec": (2, lambda x, y: (x.unsqueeze(0) * y.unsqueeze(-1)).sum(0)),
}


@st.composite
def vmap_problems(draw):
    name = draw(st.sampled_from(sorted(PER_EXAMPLE)))
    n, f = PER_EXAMPLE[name]
    batch = draw(st.sampled_from([1, 3]))
    dims, arrays = [], []
    for k in range(n):
        d = draw(st.sampled_from([0, 1, -1, None] if k else [0, 1, -1]))
        dims.append(d)
        shape = [3]
        if d is not None:
            shape.insert(d % 2 if d >= 0 else 1, batch)
        arrays.append(draw(values(tuple(shape))))
    in_dims = dims[0] if n == 1 and draw(st.booleans()) else tuple(dims)
    out_dims = draw(st.sampled_from([0, 1, -1]))
    return name, f, arrays, in_dims, out_dims


@FEW
@given(vmap_problems(), st.booleans())
def test_vmap(problem, req):
    name, f, arrays, in_dims, out_dims = problem
    if name in ("pair_out", "dict_out"):
        out_dims = 0  # scalar results per example have one possible out_dim besides 0: keep the pool small
    res = {}

    def run(m):
        args = tuple(m.tensor(a, requires_grad=req) for a in arrays)
        out = m.func.vmap(f, in_dims=in_dims, out_dims=out_dims)(*args)
        res[m.__name__] = (out, list(args))
        return out

    if check(run) and req:
        assert_same(observe(regrad(*res["torchish"], torchish)), observe(regrad(*res["torch"], torch)))


COMPOSED = {
    "vmap(grad)": lambda m, x: m.func.vmap(m.func.grad(lambda r: (r.sin() * r).sum()))(x),
    "grad(vmap)": lambda m, x: m.func.grad(lambda t: m.func.vmap(lambda r: (r.sin() * r).sum())(t).sum())(x),
    "jacrev(vmap)": lambda m, x: m.func.jacrev(m.func.vmap(lambda r: r.sin()))(x),
    "vmap(jacrev)": lambda m, x: m.func.vmap(m.func.jacrev(lambda r: r.sin() * r.sum()))(x),
    "vmap(hessian)": lambda m, x: m.func.vmap(m.func.hessian(lambda r: (r.exp() * r).sum()))(x),
    "grad(grad)": lambda m, x: m.func.grad(m.func.grad(lambda r: (r**3).sum().sin()))(x[0, 0]),
    "vmap(vmap)": lambda m, x: m.func.vmap(m.func.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(
        x[0], x[1]
    ),
    "jvp(grad)": lambda m, x: m.func.jvp(m.func.grad(lambda r: (r.sin() * r).sum()), (x[0],), (x[1],)),
    "vjp(vmap)": lambda m, x: m.func.vjp(m.func.vmap(lambda r: r.exp() * r.sum()), x)[1](x),
}


@FEW
@given(st.sampled_from(sorted(COMPOSED)), values((2, 3)), st.booleans())
def test_compositions(name, x, req):
    res = {}

    def run(m):
        t = m.tensor(x, requires_grad=req)
        out = COMPOSED[name](m, t)
        res[m.__name__] = (out, [t])
        return out

    if check(run) and req:
        assert_same(observe(regrad(*res["torchish"], torchish)), observe(regrad(*res["torch"], torch)))


# ------------------------------------------------------------------------------------------ torch's errors

F = staticmethod


def _t(m, *shape, dtype=None):
    return m.arange(float(np.prod(shape) if shape else 1), dtype=dtype).reshape(shape) * 0.25 + 0.5


ERROR_CASES = {
    "grad vector output": lambda m: m.func.grad(lambda x: x)(_t(m, 3)),
    "grad float output": lambda m: m.func.grad(lambda x: 2.0)(_t(m, 3)),
    "grad argnum out of range": lambda m: m.func.grad(lambda x: (x * 2).sum(), argnums=1)(_t(m, 3)),
    "grad argnums repeated": lambda m: m.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 0))(_t(m, 3), _t(m, 3)),
    "grad argnums empty": lambda m: m.func.grad(lambda x, y: (x * y).sum(), argnums=())(_t(m, 3), _t(m, 3)),
    "grad argnums list": lambda m: m.func.grad(lambda x, y: (x * y).sum(), argnums=[0])(_t(m, 3), _t(m, 3)),
    "grad has_aux not a pair": lambda m: m.func.grad(lambda x: (x * 2).sum(), has_aux=True)(_t(m, 3)),
    "grad int input": lambda m: m.func.grad(lambda x: (x * 2).sum())(m.ones(3, dtype=m.long)),
    "grad float input": lambda m: m.func.grad(lambda x: (x * 2).sum())(3.0),
    "grad aux int": lambda m: m.func.grad(lambda x: (x.sum(), 3), has_aux=True)(_t(m, 3)),
    "grad in-place on input": lambda m: m.func.grad(lambda x: x.add_(1).sum())(_t(m, 3)),
    "grad complex output": lambda m: m.func.grad(lambda x: (x * x.to(m.complex64)).sum())(_t(m, 3)),
    "jvp primals not a tuple": lambda m: m.func.jvp(lambda x: x * 2, _t(m, 3), _t(m, 3)),
    "jvp tangent size": lambda m: m.func.jvp(lambda x: x * 2, (_t(m, 3),), (_t(m, 4),)),
    "jvp strict constant": lambda m: m.func.jvp(lambda x: m.ones(2), (_t(m, 3),), (_t(m, 3),), strict=True),
    "jvp strict detach": lambda m: m.func.jvp(lambda x: x.detach(), (_t(m, 3),), (_t(m, 3),), strict=True),
    "jvp int primal": lambda m: m.func.jvp(lambda x: x * 2, (m.ones(2, dtype=m.long),), (_t(m, 2),)),
    "jvp int tangent": lambda m: m.func.jvp(lambda x: x * 2, (_t(m, 2),), (m.ones(2, dtype=m.long),)),
    "jvp structure": lambda m: m.func.jvp(lambda x: x * 2, (_t(m, 2),), [_t(m, 2)]),
    "jvp has_aux not a pair": lambda m: m.func.jvp(lambda x: x * 2, (_t(m, 2),), (_t(m, 2),), has_aux=True),
    "jvp int output": lambda m: m.func.jvp(lambda x: 3, (_t(m, 2),), (_t(m, 2),)),
    "jvp empty output": lambda m: m.func.jvp(lambda x: (), (_t(m, 2),), (_t(m, 2),)),
    "jvp no primals": lambda m: m.func.jvp(lambda x: x, (), ()),
    "jvp float primal": lambda m: m.func.jvp(lambda x: x, (3.0,), (3.0,)),
    "vjp bool output": lambda m: m.func.vjp(lambda x: x > 0, _t(m, 3)),
    "vjp int output": lambda m: m.func.vjp(lambda x: 3, _t(m, 3)),
    "vjp float primal": lambda m: m.func.vjp(lambda x: x, 3.0),
    "vjp cotangent shape": lambda m: m.func.vjp(lambda x: x * 2, _t(m, 3))[1](_t(m, 4)),
    "vjp cotangent structure": lambda m: m.func.vjp(lambda x: x * 2, _t(m, 3))[1]((_t(m, 3),)),
    "vjp cotangent keys": lambda m: m.func.vjp(lambda x: [x * 3, {"a": x * 2}], _t(m, 2))[1](
        [_t(m, 2), {"b": _t(m, 2)}]
    ),
    "vmap .item()": lambda m: m.func.vmap(lambda x: x.sum().item())(_t(m, 2, 3)),
    "vmap python if": lambda m: m.func.vmap(lambda x: x if x.sum() > 0 else -x)(_t(m, 2, 3)),
    "vmap float()": lambda m: m.func.vmap(lambda x: float(x.sum()))(_t(m, 2, 3)),
    "vmap sizes": lambda m: m.func.vmap(lambda x, y: x * 2)(_t(m, 2, 3), _t(m, 3, 3)),
    "vmap int output": lambda m: m.func.vmap(lambda x: 2)(_t(m, 2, 3)),
    "vmap None output": lambda m: m.func.vmap(lambda x: None)(_t(m, 2, 3)),
    "vmap in_dims too big": lambda m: m.func.vmap(lambda x: x, in_dims=2)(_t(m, 2, 3)),
    "vmap out_dims too big": lambda m: m.func.vmap(lambda x: x, out_dims=2)(_t(m, 2, 3)),
    "vmap out_dims too small": lambda m: m.func.vmap(lambda x: x, out_dims=-3)(_t(m, 2, 3)),
    "vmap randomness": lambda m: m.func.vmap(lambda x: x, randomness="x")(_t(m, 2, 3)),
    "vmap in_dims structure": lambda m: m.func.vmap(lambda x: x, in_dims=(0, 0))(_t(m, 2, 3)),
    "vmap in_dims nested": lambda m: m.func.vmap(lambda x, y: x, in_dims=(0, (0,)))(_t(m, 2), _t(m, 2)),
    "vmap in_dims list": lambda m: m.func.vmap(lambda x: x, in_dims=[0])(_t(m, 2, 3)),
    "vmap in_dims float": lambda m: m.func.vmap(lambda x: x, in_dims=(1.5,))(_t(m, 2, 3)),
    "vmap non-tensor mapped": lambda m: m.func.vmap(lambda x, y: x, in_dims=(0, 0))(_t(m, 2, 3), 3),
    "vmap out_dims float": lambda m: m.func.vmap(lambda x: x, out_dims=1.5)(_t(m, 2, 3)),
    "vmap out_dims structure": lambda m: m.func.vmap(lambda x: (x, x), out_dims=(0, 0, 0))(_t(m, 2)),
    "vmap out_dims tuple for list": lambda m: m.func.vmap(lambda x: [x, x], out_dims=(0, 1))(_t(m, 2, 3)),
    "vmap in_dims None": lambda m: m.func.vmap(lambda x: x, in_dims=None)(_t(m, 2, 3)),
    "vmap no inputs": lambda m: m.func.vmap(lambda x: x)(),
    "vmap nothing mapped": lambda m: m.func.vmap(lambda x: x, in_dims=(None,))(_t(m, 2, 3)),
    "vmap batched out_dims None": lambda m: m.func.vmap(lambda x: x, out_dims=None)(_t(m, 2, 3)),
    "vmap chunk_size 0": lambda m: m.func.vmap(lambda x: x, chunk_size=0)(_t(m, 2, 3)),
    "vmap list sizes": lambda m: m.func.vmap(lambda x: x, in_dims=0)([_t(m, 2), _t(m, 3)]),
    "jacrev chunk_size 0": lambda m: m.func.jacrev(lambda x: x, chunk_size=0),
    "jacrev float input": lambda m: m.func.jacrev(lambda x: x)(3.0),
    "jacfwd float input": lambda m: m.func.jacfwd(lambda x: x)(3.0),
    "jacrev argnums None": lambda m: m.func.jacrev(lambda x: x, argnums=None)(_t(m, 2)),
    "jacfwd has_aux not a pair": lambda m: m.func.jacfwd(lambda x: x, has_aux=True)(_t(m, 2)),
    "jacrev has_aux not a pair": lambda m: m.func.jacrev(lambda x: x, has_aux=True)(_t(m, 2)),
    "jacrev aux int": lambda m: m.func.jacrev(lambda x: (x, 3), has_aux=True)(_t(m, 2)),
    "jacfwd int output": lambda m: m.func.jacfwd(lambda x: 3)(_t(m, 2)),
    "jacrev int output": lambda m: m.func.jacrev(lambda x: 3)(_t(m, 2)),
    "jacfwd randomness": lambda m: m.func.jacfwd(lambda x: x, randomness="bad")(_t(m, 2)),
    "jacrev complex input": lambda m: m.func.jacrev(lambda x: x * 2)(m.ones(2, dtype=m.complex64)),
    "jacrev long output": lambda m: m.func.jacrev(lambda x: (x * 2).long())(_t(m, 2)),
    "jacrev long input": lambda m: m.func.jacrev(lambda x: x * 2)(m.ones(2, dtype=m.long)),
    "jacfwd long input": lambda m: m.func.jacfwd(lambda x: x * 2)(m.ones(2, dtype=m.long)),
    # in-place writes into a tensor the function closed over
    "grad captured mul_": lambda m: _captured(m, lambda c: m.func.grad(lambda x: (c.mul_(2) * x).sum())),
    "grad captured add_": lambda m: _captured(m, lambda c: m.func.grad(lambda x: (c.add_(x) * x).sum())),
    "grad captured copy_": lambda m: _captured(m, lambda c: m.func.grad(lambda x: (c.copy_(x) * x).sum())),
    "jacrev captured add_": lambda m: _captured(m, lambda c: m.func.jacrev(lambda x: c.add_(x))),
    "vmap captured add_": lambda m: _captured(m, lambda c: m.func.vmap(lambda x: c.add_(x)), (2, 3)),
}


def _captured(m, make, shape=(3,)):
    c = m.zeros(3)
    try:
        return make(c)(_t(m, *shape))
    finally:
        assert not c.requires_grad and float(c.sum()) == 0.0  # the write was undone (torch never made it)


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_error_cases(case):
    check(ERROR_CASES[case])


FIXED_CASES = {
    "grad of a constant": lambda m: m.func.grad(lambda x: m.tensor(2.0))(_t(m, 3)),
    "grad bool output": lambda m: m.func.grad(lambda x: (x > 0).sum())(_t(m, 3)),
    "grad python if": lambda m: m.func.grad(lambda x: (x * x).sum() if x.sum() > 0 else x.sum() * 2)(_t(m, 3)),
    "jvp float64 tangent": lambda m: m.func.jvp(lambda x: x * 2, (_t(m, 3),), (_t(m, 3, dtype=m.float64),)),
    "jvp bool output": lambda m: m.func.jvp(lambda x: x > 0, (_t(m, 3),), (_t(m, 3),)),
    "vjp float64 cotangent": lambda m: m.func.vjp(lambda x: x * 2, _t(m, 3))[1](_t(m, 3, dtype=m.float64)),
    "jacfwd argnums None": lambda m: m.func.jacfwd(lambda x: x.sin(), argnums=None)(_t(m, 2)),
    "jacfwd long output": lambda m: m.func.jacfwd(lambda x: (x * 2).long())(_t(m, 2)),
    "hessian of a vector": lambda m: m.func.hessian(lambda x: x)(_t(m, 2)),
    "hessian mixed dtypes": lambda m: m.func.hessian(lambda x, y: (x.sin() * y).sum())(
        _t(m, 3), _t(m, 3, dtype=m.float64)
    ),
    "vmap static output": lambda m: m.func.vmap(lambda x: (x, 2), out_dims=(0, None))(_t(m, 2, 3)),
    "vmap unbatched out_dims None": lambda m: m.func.vmap(lambda x: (x, m.ones(2)), out_dims=(0, None))(_t(m, 2, 3)),
    "vmap broadcast constant": lambda m: m.func.vmap(lambda x: m.ones(2))(_t(m, 2, 3)),
    "vmap chunk_size 1": lambda m: m.func.vmap(lambda x: x.sum(), chunk_size=1)(_t(m, 2, 3)),
    "vmap empty batch": lambda m: m.func.vmap(lambda x: x * 2)(m.ones(0, 3)),
    "vmap dict input": lambda m: m.func.vmap(lambda d: d["a"] * 2)({"a": _t(m, 3)}),
    "vmap kwargs unbatched": lambda m: m.func.vmap(lambda x, s=1.0: x * s)(_t(m, 3), s=m.tensor(2.0)),
    "vmap out_dims list": lambda m: m.func.vmap(lambda x: [x, x], out_dims=[0, 1])(_t(m, 2, 3)),
    "vmap out_dims (0,)": lambda m: m.func.vmap(lambda x: x, out_dims=(0,))(_t(m, 2, 3)),
    "vmap matmul": lambda m: m.func.vmap(lambda a, b: a @ b)(_t(m, 2, 2, 3), _t(m, 2, 3, 3)),
    "grad writes a tensor it created": lambda m: m.func.grad(_fill_and_sum(m))(_t(m, 3)),
    "vjp result differentiated through a view input": lambda m: _through_a_view_input(m),
}


def _through_a_view_input(m):
    """A transform's result is differentiable in its inputs by the tape; one input a view of a leaf, the other a
    leaf, the result reading the view only through a sum (its graph node is named after that sum)."""
    x, t = _t(m, 2).requires_grad_(), _t(m, 2).requires_grad_()
    out = m.func.vjp(lambda a, b: (a * 2 + b).sum(), x.view(2), t)[0]
    return m.autograd.grad(out, [x, t])


def _fill_and_sum(m):
    def f(x):
        out = m.zeros(3)
        out[0] = x.sum()
        out.add_(x)
        return (out * out).sum()

    return f


@pytest.mark.parametrize("case", sorted(FIXED_CASES))
def test_fixed_cases(case):
    check(FIXED_CASES[case])


# ------------------------------------------------------------------------------------------ functional_call


def net(m, w, b):
    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = m.nn.Parameter(m.tensor(w))
            self.register_buffer("b", m.tensor(b))
            self.tied = self.w

        def forward(self, x, scale=1.0):
            return (x @ self.w + self.b).tanh() * scale

    return Net()


@FEW
@given(values((3, 2)), values((2,)), values((4, 3)), st.sampled_from(["call", "grad", "per_sample", "maml"]))
def test_functional_call(w, b, x, mode):
    def run(m):
        model = net(m, w, b)
        params = {"w": m.tensor(w * 0.5 + 0.1, requires_grad=mode == "maml"), "b": m.tensor(b)}
        xs = m.tensor(x)

        def loss(p, x):
            return (m.func.functional_call(model, p, (x,), {"scale": 2.0}) ** 2).sum()

        if mode == "call":
            out = m.func.functional_call(model, params, xs)
        elif mode == "grad":
            out = m.func.grad(loss)(params, xs)
        elif mode == "per_sample":
            out = m.func.vmap(m.func.grad(loss), in_dims=(None, 0))(params, xs.unsqueeze(1))
        else:  # a gradient step, then the loss after it, differentiated w.r.t. the starting weights
            g = m.func.grad(loss)(params, xs)
            stepped = {k: params[k] - 0.01 * g[k] for k in params}  # small: XLA tanh saturates at |x|>7.9
            out = m.autograd.grad(loss(stepped, xs), params["w"])
        # the module's own tensors are back in place
        return out, model.w, model.b, model.tied is model.w

    check(run)


FUNCTIONAL_CALL_CASES = {
    "strict keys": lambda m: m.func.functional_call(
        net(m, np.ones((3, 2), np.float32), np.ones(2, np.float32)),
        {"w": m.ones(3, 2), "zz": m.ones(1)},
        (m.ones(4, 3),),
        strict=True,
    ),
    "tied twice": lambda m: m.func.functional_call(
        net(m, np.ones((3, 2), np.float32), np.ones(2, np.float32)),
        {"w": m.ones(3, 2), "tied": m.zeros(3, 2)},
        (m.ones(4, 3),),
    ),
    "untied": lambda m: m.func.functional_call(
        net(m, np.ones((3, 2), np.float32), np.ones(2, np.float32)),
        {"w": m.ones(3, 2), "tied": m.zeros(3, 2)},
        (m.ones(4, 3),),
        tie_weights=False,
    ),
    "tied via alias": lambda m: m.func.functional_call(
        net(m, np.ones((3, 2), np.float32), np.ones(2, np.float32)),
        {"tied": m.zeros(3, 2) + 0.5},
        m.ones(4, 3),
    ),
    "dicts repeated key": lambda m: m.func.functional_call(
        net(m, np.ones((3, 2), np.float32), np.ones(2, np.float32)),
        ({"w": m.ones(3, 2)}, {"w": m.ones(3, 2)}),
        (m.ones(4, 3),),
    ),
    "two dicts": lambda m: m.func.functional_call(
        net(m, np.ones((3, 2), np.float32), np.ones(2, np.float32)),
        ({"w": m.ones(3, 2)}, {"b": m.zeros(2)}),
        (m.ones(4, 3),),
    ),
    "not a dict": lambda m: m.func.functional_call(
        net(m, np.ones((3, 2), np.float32), np.ones(2, np.float32)), 3, (m.ones(4, 3),)
    ),
}


@pytest.mark.parametrize("case", sorted(FUNCTIONAL_CALL_CASES))
def test_functional_call_cases(case):
    check(FUNCTIONAL_CALL_CASES[case])


def test_batchnorm_buffers_survive_a_transform():
    """Training-mode BatchNorm updates its running stats in place: torch.func refuses, and the module's
    buffers must be untouched afterwards (no tracer left behind)."""
    for m in (torch, torchish):
        bn = m.nn.BatchNorm1d(3)
        x = m.arange(12.0).reshape(4, 3)
        params = {k: v.detach() for k, v in bn.named_parameters()}
        with pytest.raises(RuntimeError, match="mutate a captured Tensor"):
            m.func.grad(lambda p, x: (m.func.functional_call(bn, p, (x,)) ** 3).sum())(params, x)
        np.testing.assert_array_equal(np.asarray(bn.running_mean.numpy()), np.zeros(3, np.float32))
        assert int(bn.num_batches_tracked) == 0
        bn.eval()  # eval mode reads the stats only: allowed
        g = m.func.grad(lambda p, x: (m.func.functional_call(bn, p, (x,)) ** 3).sum())(params, x)
        assert set(g) == {"weight", "bias"}


def test_functional_call_restores_on_error():
    for m in (torch, torchish):
        model = net(m, np.ones((3, 2), np.float32), np.ones(2, np.float32))
        w, b = model.w, model.b
        with pytest.raises(RuntimeError):
            m.func.functional_call(model, {"w": m.ones(5, 5), "b": m.zeros(2)}, (m.ones(4, 3),))
        assert model.w is w and model.b is b and model.tied is w
        assert dict(model.named_parameters())["w"] is w


def test_vmap_is_exposed():
    assert torchish.func.vmap is not None
    assert callable(getattr(torchish, "vmap", torchish.func.vmap))
