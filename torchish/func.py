"""torch.func on JAX transforms: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap, functional_call.

Each transform flattens its arguments (pytrees of Tensors), turns the torch-style function into a pure
function of the tensors' arrays (Tensors wrap tracers while it is traced) and applies the matching JAX
transform; `_jaxfn` traces, compiles and caches. Error checks follow torch.func's own order and texts.
A result whose inputs require grad is recorded as one graph node, so it stays differentiable by the tape.

Known gaps: random ops inside vmap are not detected (randomness='error' is accepted but not enforced;
random values are drawn once, i.e. 'same'); `torch.no_grad()` *inside* a transformed function only
cuts gradients of results it wraps whole (detach() cuts everywhere); tensors a function closes over
are constants, so gradients never flow into them through a transform (in-place writes into them are
refused with torch's error and undone).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from . import _jaxfn as J
from ._functional_call import functional_call
from ._pytree import (
    tree_flatten,
    tree_unflatten,
    treespec_pprint,
)
from ._vmap import _check_randomness_arg, vmap

__all__ = [
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "linearize",
    "jacrev",
    "jacfwd",
    "hessian",
    "vmap",
    "functional_call",
]

_JVP = "jvp(f, primals, tangents)"


def _Tensor():
    from ._tensor import Tensor

    return Tensor


def _inexact(dtype) -> bool:
    return jnp.issubdtype(dtype, jnp.inexact)


# ------------------------------------------------------------------------------------------ argument checks


def _validate_argnum(argnum: Any, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _norm_argnums(argnums: Any, num_args: int) -> int | tuple:
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        return _validate_argnum(argnums, num_args)
    argnums = tuple(_validate_argnum(a, num_args) for a in argnums)
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return argnums


def _slice(args: tuple, argnums: int | tuple) -> Any:
    return args[argnums] if isinstance(argnums, int) else tuple(args[i] for i in argnums)


def _make_differentiable(leaves: list) -> None:
    Tensor = _Tensor()
    for x in leaves:
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        Tensor._make(jax.ShapeDtypeStruct((), x._value.dtype)).requires_grad_()


def _error_if_complex(api: str, leaves: list, is_input: bool) -> None:
    Tensor = _Tensor()
    for idx, x in enumerate(leaves):
        if isinstance(x, Tensor) and x.dtype.is_complex:
            what = "inputs" if is_input else "outputs"
            raise RuntimeError(
                f"{api}: Expected all {what} to be real but received complex tensor at flattened input idx: {idx}"
            )


def _check_aux(aux: Any) -> list:
    Tensor = _Tensor()
    leaves, spec = tree_flatten(aux)
    for x in leaves:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")
    return leaves, spec


def _check_outputs(leaves: list, api: str) -> None:
    Tensor = _Tensor()
    if len(leaves) < 1 or (len(leaves) == 1 and leaves[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got output = {leaves})")
    for o in leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")


def _split_aux(out: Any, has_aux: bool, msg: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(msg)
    return out


class _Args:
    """Positional args and kwargs flattened to leaves; the Tensor leaves become the traced arrays."""

    def __init__(self, args: tuple, kwargs: dict | None = None) -> None:
        Tensor = _Tensor()
        self.leaves, self.spec = tree_flatten((tuple(args), dict(kwargs or {})))
        self.tpos = [i for i, x in enumerate(self.leaves) if isinstance(x, Tensor)]
        self.index = {leaf: k for k, leaf in enumerate(self.tpos)}
        self.tensors = [self.leaves[i] for i in self.tpos]
        self.arrays = [t._value for t in self.tensors]
        # leaf ranges of each positional argument, to find the arrays of `argnums`
        self.ranges, start = [], 0
        for a in args:
            n = len(tree_flatten(a)[0])
            self.ranges.append(range(start, start + n))
            start += n

    def positions(self, argnums: int | tuple | None) -> list:
        """Array positions of the tensors in args[argnums] (all positional args for None)."""
        nums = range(len(self.ranges)) if argnums is None else [argnums] if isinstance(argnums, int) else argnums
        return [self.index[i] for a in nums for i in self.ranges[a] if i in self.index]

    def rebuild(self, arrays, grad_pos=()) -> tuple:
        Tensor = _Tensor()
        leaves = list(self.leaves)
        wanted = set(grad_pos)
        for k, (i, a) in enumerate(zip(self.tpos, arrays)):
            leaves[i] = Tensor._make(a, k in wanted)
        args, kwargs = tree_unflatten(leaves, self.spec)
        return args, kwargs


def _value(t) -> Any:
    """A result's array; one that does not require grad in the traced function is a constant to JAX."""
    v = t._value
    if t._grad_fn is None and not t._requires_grad and J.is_tracer(v):
        return jax.lax.stop_gradient(v)
    return v


def _flat_and_aux(outs: list, aux_leaves: list | None, cut: bool = True) -> tuple:
    """Results then aux as arrays. `cut`: reverse mode, where the traced inputs require grad, so a result
    that does not (computed under no_grad, say) must give zero gradients."""
    return tuple(_value(o) if cut else o._value for o in outs) + tuple(a._value for a in (aux_leaves or ()))


def _with(d: dict, f: Callable) -> Callable:
    """`f` run under enable_grad, its side results kept in d: torch runs the function of grad-type
    transforms with grad mode on."""
    from .autograd.grad_mode import enable_grad

    @functools.wraps(f)
    def g(*arrays):
        with enable_grad():
            return f(d, *arrays)

    return g


def _dpos_call(g, xs, dpos):
    """g with the arrays at dpos replaced: the function of the differentiated inputs only."""

    def h(*d):
        ys = list(xs)
        for j, v in zip(dpos, d):
            ys[j] = v
        return g(*ys)

    return h


# ------------------------------------------------------------------------------------------ grad


def grad_and_value(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _grad_and_value(func, argnums, has_aux, args, kwargs)

    return wrapper


def grad(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, (_, aux) = _grad_and_value(func, argnums, True, args, kwargs, has_aux)
        return (g, aux) if has_aux else g

    return wrapper


def _grad_and_value(func, argnums, has_aux, args, kwargs, user_aux=None):
    real_aux = has_aux if user_aux is None else user_aux
    argnums = _norm_argnums(argnums, len(args)) if isinstance(argnums, (int, tuple)) else argnums
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    dleaves, dspec = tree_flatten(_slice(args, argnums))
    _make_differentiable(dleaves)
    A = _Args(args, kwargs)
    dpos = A.positions(argnums)

    def f(d, *arrays):
        a, kw = A.rebuild(arrays, dpos)
        out = func(*a, **kw)
        out, aux = _split_aux(
            out,
            real_aux,
            "grad_and_value(f)(*args): output of function f should be a tuple: (output, aux) if has_aux is True",
        )
        Tensor = _Tensor()
        if not isinstance(out, Tensor):
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError(
                f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with {out.dim()} "
                "dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        if out.requires_grad and out.dtype.is_complex:
            raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
        aux_leaves, d["aux_spec"] = _check_aux(aux) if real_aux else ([], None)
        return _flat_and_aux([out], aux_leaves)

    d: dict = {}
    fn = _with(d, f)
    nd = len(dpos)

    def build(g):
        def t(*xs):
            h = _dpos_call(g, xs, dpos)
            out, pull, aux = jax.vjp(lambda *p: (h(*p)[0], h(*p)[1:]), *[xs[j] for j in dpos], has_aux=True)
            if _inexact(out.dtype):
                grads = pull(jnp.ones_like(out))
            else:
                grads = [jnp.zeros_like(xs[j]) for j in dpos]
            return (*grads, out, *aux)

        return t

    closed = J.trace(fn, A.arrays)
    res = J.apply(("grad", tuple(dpos)), closed, fn, A.arrays, build, sources=A.tensors)
    grads = tree_unflatten(res[:nd], dspec)
    value = res[nd]
    aux = tree_unflatten(res[nd + 1 :], d["aux_spec"]) if real_aux else None
    return grads, (value, aux) if has_aux else value


# ------------------------------------------------------------------------------------------ vjp / jvp


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    pleaves, pspec = tree_flatten(primals)
    _make_differentiable(pleaves)
    A = _Args(primals)
    allpos = list(range(len(A.arrays)))

    def f(d, *arrays):
        a, _ = A.rebuild(arrays, allpos)
        out, aux = _split_aux(
            func(*a),
            has_aux,
            "vjp(f, *primals): output of function f should be a tuple: (output, aux) if has_aux is True",
        )
        aux_leaves, d["aux_spec"] = _check_aux(aux) if has_aux else ([], None)
        outs, d["out_spec"] = tree_flatten(out)
        _check_outputs(outs, "vjp(f, *primals)")
        for o in outs:
            if not (o.is_floating_point() or o.is_complex()):
                raise RuntimeError(
                    "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor with dtype "
                    f"{o.dtype}"
                )
        d["n_out"] = len(outs)
        return _flat_and_aux(outs, aux_leaves)

    d: dict = {}
    fn = _with(d, f)
    closed = J.trace(fn, A.arrays)
    res = J.apply(("fwd",), closed, fn, A.arrays, lambda g: g, sources=A.tensors)
    n_out, out_spec = d["n_out"], d["out_spec"]
    outs = res[:n_out]
    output = tree_unflatten(outs, out_spec)
    np_ = len(A.arrays)

    def vjp_fn(cotangents: Any, retain_graph: bool = True, create_graph: bool | None = None) -> Any:
        from .autograd.grad_mode import is_grad_enabled

        if create_graph is None:
            create_graph = is_grad_enabled()
        cts, cspec = tree_flatten(cotangents)
        if cspec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the "
                f"function. cotangents: {treespec_pprint(cspec)}, primal output: {treespec_pprint(out_spec)}"
            )
        _check_cotangents(cts, outs)
        ct_arrays = [c._value.astype(o._value.dtype) for c, o in zip(cts, outs)]

        def build(g):
            def t(*xs):
                _, pull = jax.vjp(lambda *p: g(*p)[:n_out], *xs[:np_])
                return pull(tuple(xs[np_:]))

            return t

        src = (A.tensors + list(cts)) if create_graph else None
        r = J.apply(("vjp", n_out), closed, fn, A.arrays + ct_arrays, build, sources=src)
        return tree_unflatten(r, pspec)

    if has_aux:
        return output, vjp_fn, tree_unflatten(res[n_out:], d["aux_spec"])
    return output, vjp_fn


def _check_cotangents(cts: list, outs: list) -> None:
    from ._tensor import Size

    Tensor = _Tensor()
    for i, (c, o) in enumerate(zip(cts, outs)):
        if not isinstance(c, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(c).__name__}")
        if tuple(c.shape) != tuple(o.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {Size(c.shape)} and output[{i}] has a shape of "
                f"{Size(o.shape)}."
            )


def _check_dual(p, t) -> None:
    if not (p.is_floating_point() or p.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {p.dtype}")
    if not (t.is_floating_point() or t.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {t.dtype}")
    if tuple(p.shape) != tuple(t.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is not "
            f"supported. Tensor is of size {list(p.shape)} while the given forward gradient is of size {list(t.shape)}."
        )


def _check_list_of_tensors(leaves: list, argname: str) -> None:
    Tensor = _Tensor()
    if len(leaves) == 0:
        raise RuntimeError(f"{_JVP}: Expected {argname} to contain at least one Tensor.")
    for x in leaves:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"{_JVP}: Expected {argname} to only contain Tensors, got {type(x)}")


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False, has_aux: bool = False) -> tuple:
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    pleaves, pspec = tree_flatten(primals)
    tleaves, tspec = tree_flatten(tangents)
    if pspec != tspec:
        raise RuntimeError(
            f"{_JVP}: Expected primals and tangents to have the same python structure. For example, if primals is a "
            f"tuple of 3 tensors, tangents also must be. Got primals with structure {pspec} and tangents with "
            f"structure {tspec}"
        )
    _check_list_of_tensors(pleaves, "primals")
    _check_list_of_tensors(tleaves, "tangents")
    for p, t in zip(pleaves, tleaves):
        _check_dual(p, t)
    A = _Args(primals)

    def f(d, *arrays):
        a, _ = A.rebuild(arrays)
        out, aux = _split_aux(
            func(*a), has_aux, f"{_JVP}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
        aux_leaves, d["aux_spec"] = _check_aux(aux) if has_aux else ([], None)
        outs, d["out_spec"] = tree_flatten(out)
        _check_outputs(outs, _JVP)
        d["n_out"] = len(outs)
        return _flat_and_aux(outs, aux_leaves, cut=False)

    d: dict = {}
    fn = _with(d, f)
    closed = J.trace(fn, A.arrays)
    ts = [t._value.astype(p._value.dtype) for p, t in zip(pleaves, tleaves)]
    np_ = len(A.arrays)

    def build(g):
        def t(*xs):
            outs, tans = jax.jvp(g, tuple(xs[:np_]), tuple(xs[np_:]))
            tans = [jnp.zeros_like(o) if not _inexact(o.dtype) else tn for o, tn in zip(outs, tans)]
            return (*outs, *tans)

        return t

    if strict and closed is not None and not _tangent_flows(closed, d["n_out"]):
        raise RuntimeError(
            "jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. This is not "
            "allowed with strict=True."
        )
    n_all = len(closed.out_avals) if closed is not None else None
    names = (["AliasBackward0"] * n_all + [None] * n_all) if n_all is not None else None
    r = J.apply(("jvp",), closed, fn, A.arrays + ts, build, sources=A.tensors + tleaves, names=names)
    n_out = d["n_out"]
    k = len(r) // 2
    primal_out, tangent_out = r[:n_out], r[k : k + n_out]
    # torch keeps a tangent's own dtype when it differs from its primal's
    wider = [t.dtype for p, t in zip(pleaves, tleaves) if t.dtype is not p.dtype]
    if wider:
        from ._dtype import promote_types

        for i, tn in enumerate(tangent_out):
            dt = tn.dtype
            for w in wider:
                dt = promote_types(dt, w)
            if dt is not tn.dtype:
                tangent_out[i] = tn.to(dt)
    po = tree_unflatten(primal_out, d["out_spec"])
    to = tree_unflatten(tangent_out, d["out_spec"])
    if has_aux:
        return po, to, tree_unflatten(r[n_out:k], d["aux_spec"])
    return po, to


def linearize(func: Callable, *primals: Any) -> tuple:
    """torch.func.linearize: func's output, and its jvp at primals as a function of the tangents."""
    out = func(*primals)
    pleaves, pspec = tree_flatten(primals)

    def jvp_fn(*tangents: Any) -> Any:
        tleaves, tspec = tree_flatten(tangents)
        if tspec != pspec:
            raise RuntimeError(f"Expected the tangents {tspec} to have the same argspec as the primals {pspec}")
        for i, (p, t) in enumerate(zip(pleaves, tleaves)):
            for what, a, b in (("shape", t.shape, p.shape), ("dtype", t.dtype, p.dtype)):
                if a != b:
                    raise RuntimeError(
                        f"tangent:{i} with {what} {a} in flattened pytree doesn't match the {what} {b} of the "
                        "corresponding primal."
                    )
        return jvp(func, primals, tangents)[1]

    return out, jvp_fn


def _tangent_flows(closed, n_out: int) -> bool:
    """Whether every one of the first n_out outputs carries a tangent from the inputs: float data flow
    that no stop_gradient cuts (torch's forward AD gives such an output no tangent at all)."""
    jaxpr = closed.jaxpr
    live = {v for v in jaxpr.invars if _inexact(v.aval.dtype)}
    for e in jaxpr.eqns:
        if e.primitive.name == "stop_gradient":
            continue
        if any(not isinstance(v, J.jcore.Literal) and v in live for v in e.invars):
            for o in e.outvars:
                if _inexact(o.aval.dtype):
                    live.add(o)
    return all(not isinstance(v, J.jcore.Literal) and v in live for v in jaxpr.outvars[:n_out])


# ------------------------------------------------------------------------------------------ jacobians


def jacrev(
    func: Callable,
    argnums: int | tuple = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
    _preallocate_and_copy: bool = False,
) -> Callable:
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper_fn(*args: Any) -> Any:
        _error_if_complex("jacrev", tree_flatten(args)[0], is_input=True)
        nums = _norm_argnums(argnums, len(args))
        dleaves, dspec = tree_flatten(_slice(args, nums))
        _make_differentiable(dleaves)
        A = _Args(args)
        dpos = A.positions(nums)

        def f(d, *arrays):
            a, _ = A.rebuild(arrays, dpos)
            out, aux = _split_aux(
                func(*a),
                has_aux,
                "vjp(f, *primals): output of function f should be a tuple: (output, aux) if has_aux is True",
            )
            aux_leaves, d["aux_spec"] = _check_aux(aux) if has_aux else ([], None)
            outs, d["out_spec"] = tree_flatten(out)
            _check_outputs(outs, "vjp(f, *primals)")
            for o in outs:
                if not (o.is_floating_point() or o.is_complex()):
                    raise RuntimeError(
                        "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor with "
                        f"dtype {o.dtype}"
                    )
            _error_if_complex("jacrev", outs, is_input=False)
            d["n_out"] = len(outs)
            return _flat_and_aux(outs, aux_leaves)

        return _jacobian("jacrev", f, A, dpos, dspec, nums, has_aux)

    return wrapper_fn


def jacfwd(func: Callable, argnums: int | tuple | None = 0, has_aux: bool = False, *, randomness: str = "error"):
    @functools.wraps(func)
    def wrapper_fn(*args: Any) -> Any:
        _error_if_complex("jacfwd", tree_flatten(args)[0], is_input=True)
        nums = None if argnums is None else _norm_argnums(argnums, len(args))
        dleaves, dspec = tree_flatten(args if nums is None else _slice(args, nums))
        Tensor = _Tensor()
        for x in dleaves:
            if not isinstance(x, Tensor):
                raise AttributeError(f"'{type(x).__name__}' object has no attribute 'numel'")
        _check_randomness_arg(randomness)
        for x in dleaves:
            if not (x.is_floating_point() or x.is_complex()):
                raise ValueError(f"Expected primal to be floating point or complex, but got: {x.dtype}")
        A = _Args(args)
        dpos = A.positions(nums)

        def f(d, *arrays):
            a, _ = A.rebuild(arrays)
            out, aux = _split_aux(
                func(*a), has_aux, f"{_JVP}: output of function f should be a tuple: (output, aux) if has_aux is True"
            )
            aux_leaves, d["aux_spec"] = _check_aux(aux) if has_aux else ([], None)
            outs, d["out_spec"] = tree_flatten(out)
            _check_outputs(outs, _JVP)
            _error_if_complex("jacfwd", outs, is_input=False)
            d["n_out"] = len(outs)
            return _flat_and_aux(outs, aux_leaves, cut=False)

        # torch matches a negative argnum against argument positions without wrapping it, so that argument
        # never gets a tangent and its jacobian is zero; keep that behaviour
        raw = argnums if isinstance(argnums, tuple) else (argnums,)
        dead, k = set(), 0
        for r, a in zip(raw, nums if isinstance(nums, tuple) else (nums,)) if nums is not None else ():
            n = len(A.positions(a))
            if r < 0:
                dead.update(range(k, k + n))
            k += n
        return _jacobian("jacfwd", f, A, dpos, dspec, nums, has_aux, frozenset(dead))

    return wrapper_fn


def _jacobian(kind, f, A, dpos, dspec, nums, has_aux, dead=frozenset()):
    """dead: positions in dpos whose tangents torch never seeds (jacfwd with a negative argnum): zero blocks."""
    d: dict = {}
    fn = _with(d, f)
    closed = J.trace(fn, A.arrays)
    n_out = d.get("n_out")
    nd = len(dpos)
    transform = jax.jacrev if kind == "jacrev" else jax.jacfwd

    def build(g):
        def t(*xs):
            h = _dpos_call(g, xs, dpos)
            avals = jax.eval_shape(h, *[xs[j] for j in dpos])
            m = d["n_out"] if n_out is None else n_out
            diff = [i for i in range(m) if _inexact(avals[i].dtype)]

            def hh(*p):
                o = h(*p)
                return tuple(o[i] for i in diff), tuple(o[m:])

            live = tuple(k for k in range(nd) if k not in dead)
            if live:
                jac, aux = transform(hh, argnums=live, has_aux=True)(*[xs[j] for j in dpos])
            else:
                jac, aux = [()] * len(diff), hh(*[xs[j] for j in dpos])[1]
            by_out = {i: dict(zip(live, row)) for i, row in zip(diff, jac)}
            flat = []
            for i in range(m):
                for k, j in enumerate(dpos):
                    if i in by_out and k in by_out[i]:
                        flat.append(by_out[i][k])
                    else:  # no tangent reaches it: zeros of the output's dtype, as torch's forward mode gives
                        flat.append(jnp.zeros(avals[i].shape + xs[j].shape, avals[i].dtype))
            return (*flat, *aux)

        return t

    res = J.apply(
        (kind, tuple(dpos), n_out, tuple(sorted(dead))),
        closed,
        fn,
        A.arrays,
        build,
        sources=A.tensors,
        names="ViewBackward0",
    )
    n_out = d["n_out"]
    per_out = []
    for i in range(n_out):
        row = res[i * nd : (i + 1) * nd]
        per_out.append(tree_unflatten(row, dspec))
    jac = tree_unflatten(per_out, d["out_spec"])
    if has_aux:
        return jac, tree_unflatten(res[n_out * nd :], d["aux_spec"])
    return jac


def hessian(func: Callable, argnums: int | tuple = 0) -> Callable:
    return jacfwd(jacrev(func, argnums), argnums)
