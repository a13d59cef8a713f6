"""Lowering: the reachable part of a graph becomes pure JAX functions, jitted and cached by structure.

A plan orders the needed nodes (reverse topological, roots first) and says, for every node input,
where its gradient goes: another node's output, a target (leaf / requested input), or nowhere.
Cotangents live in a flat dict `state`: (0, node, output) -> pending cotangent, (1, target, 0) ->
gradient so far. A segment is a run of nodes with no Python hook inside; its function maps
(saved inputs of its nodes, state) -> state, calling `jax.vjp` of each node's pure function on its
saved inputs. With no hooks the whole backward is one segment: one XLA call.
"""

from __future__ import annotations

from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 512
_STATS = {"compiles": 0, "cache_hits": 0, "backward_calls": 0}


def stats() -> dict:
    """Counters of the lowered backward: compiles (cache misses), cache_hits and backward_calls."""
    return dict(_STATS)


def _zeros_like_meta(meta):
    shape, dtype = meta
    if dtype.kind in "biu":
        return np.zeros(shape, jax.dtypes.float0)
    return jnp.zeros(shape, dtype)


@jax.custom_jvp
def unsigned_zeros(x):
    """x with -0.0 made +0.0, as a BLAS product's result is (its sum starts from +0.0); derivative 1. (XLA
    folds x + 0.0 into x, so this is a select.)"""
    return jnp.where(x == 0, jnp.zeros((), x.dtype), x)


unsigned_zeros.defjvp(lambda primals, tangents: (unsigned_zeros(primals[0]), tangents[0]))


def _node_vjp(pure, args, diff, cts, metas):
    """Cotangents of the inputs `diff` of one node, given its output cotangents (None = zero). An op's
    `gemm_grads` inputs get gradients without -0.0: torch computes them with a matrix product."""

    def f(*d):
        a = list(args)
        for j, v in zip(diff, d):
            a[j] = v
        return pure(*a)

    out, vjp_fn = jax.vjp(f, *[args[j] for j in diff])
    if isinstance(out, (tuple, list)):
        ct = tuple(
            _zeros_like_meta(m) if c is None else (c if o.dtype.kind in "biu" else c.astype(o.dtype))
            for c, o, m in zip(cts, out, metas)
        )
    else:
        c = cts[0]
        ct = _zeros_like_meta(metas[0]) if c is None else c.astype(out.dtype)
    grads = vjp_fn(ct)
    unsigned = getattr(pure, "gemm_grads", ())
    if unsigned:
        grads = tuple(unsigned_zeros(g) if j in unsigned and g.dtype.kind == "f" else g for g, j in zip(grads, diff))
    return grads


def _result_vjp(formula, args, cts, metas):
    """The input's gradient by torch's formula in terms of the saved result (the last of args)."""
    c = cts[0]
    ct = _zeros_like_meta(metas[0]) if c is None else c.astype(metas[0][1])
    return (formula(ct, args[-1]).astype(args[0].dtype),)


def node_vjp(node, args, diff, cts, metas):
    """One node's input cotangents: by its result formula where it has one (args then end with the result)."""
    formula = result_formula(node)
    if formula is not None:
        return _result_vjp(formula, args, cts, metas)
    return _node_vjp(node.kernel.pure, args, diff, cts, metas)


def result_formula(node):
    """(grad, result) -> the input's gradient, for a node that saved its result (OpDef.result_grad); else None."""
    op = getattr(node.kernel, "op", None)
    if op is None or op.result_grad is None or node._result is None:
        return None
    params = dict(node.kernel.key[1])
    return lambda g, y: op.result_grad(g, y, params)


def saved_args(node):
    """What a node's backward reads: its saved inputs, then its saved result where its formula reads that."""
    return node.saved if node._result is None or node.saved is None else node.saved + (node._result,)


def segment_function(steps):
    """Build the pure function of one segment. `steps`: per node (i, pure, diff, dests, n_out, metas,
    reads, skip, tie, formula) where dests[j] is the state key receiving input j's gradient, reads lists
    (output, target key) pairs copied out before the node runs, skip marks target-only nodes, and formula
    is the node's result formula (then its saved args end with the result)."""

    def run(saved, state):
        state = dict(state)
        for (i, pure, diff, dests, n_out, metas, reads, skip, tie, formula), args in zip(steps, saved):
            for o, tkey in reads:
                c = state.get((0, i, o))
                if c is not None:
                    state[tkey] = c if tkey not in state else state[tkey] + c
            cts = [state.pop((0, i, o), None) for o in range(n_out)]
            if skip or not diff or all(c is None for c in cts):
                continue
            if formula is not None:
                grads = _result_vjp(formula, args, cts, metas)
                if tie is True:  # (relu's threshold_backward: its result requires grad through the saved result)
                    grads = [jax.lax.optimization_barrier((grads[0], args[-1]))[0]]
            else:
                if tie == "drop":  # torch's formula reads none of its inputs here: keep create_graph from seeing them
                    args = tuple(jax.lax.stop_gradient(a) for a in args)
                grads = _node_vjp(pure, args, diff, cts, metas)
                if tie is True:
                    # torch's backward of this op reads its input even where the derivative is zero: keep that
                    # dependency visible to create_graph
                    grads = [jax.lax.optimization_barrier((g, args[j]))[0] for g, j in zip(grads, diff)]
            for key, g in zip(dests, grads):
                if key is None:
                    continue
                prev = state.get(key)
                state[key] = g if prev is None else prev + g
        return state

    return run


def _lookup(cache, key, build):
    """cache[key] (built on a miss, the least recently used entry dropped past _CACHE_SIZE) and whether it hit."""
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit, True
    entry = cache[key] = build()
    if len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return entry, False


def _jitted_pair(build):
    pure = build()
    return pure, jax.jit(pure)


def cached(key, build):
    """The cached (pure, jitted) pair for a structure key; counts compiles."""
    entry, hit = _lookup(_CACHE, key, lambda: _jitted_pair(build))
    _STATS["cache_hits" if hit else "compiles"] += 1
    return entry


# ------------------------------------------------------------------------------ naming create_graph results

_PRIM_NAMES = {
    "mul": "MulBackward0",
    "add": "AddBackward0",
    "add_any": "AddBackward0",
    "sub": "SubBackward0",
    "neg": "NegBackward0",
    "div": "DivBackward0",
    "dot_general": "MmBackward0",
    "exp": "ExpBackward0",
    "log": "LogBackward0",
    "sin": "SinBackward0",
    "cos": "CosBackward0",
    "tanh": "TanhBackward0",
    "reduce_sum": "SumBackward1",
    "broadcast_in_dim": "ExpandBackward0",
    "reshape": "ViewBackward0",
    "select_n": "WhereBackward0",
    "transpose": "PermuteBackward0",
    "pow": "PowBackward0",
    "integer_pow": "PowBackward0",
    "sqrt": "SqrtBackward0",
    "rsqrt": "RsqrtBackward0",
    "convert_element_type": "ToCopyBackward0",
    "squeeze": "SqueezeBackward1",
    "expand_dims": "UnsqueezeBackward0",
    "concatenate": "CatBackward0",
    "max": "MaximumBackward0",
    "min": "MinimumBackward0",
    "abs": "AbsBackward0",
    "sign": "SignBackward0",
    "logistic": "SigmoidBackward0",
    "copy": "CloneBackward0",
    "copy_p": "CloneBackward0",
    "dynamic_slice": "SliceBackward0",
    "slice": "SliceBackward0",
    "pad": "ConstantPadNdBackward0",
    "scatter-add": "IndexPutBackward0",
    "scatter_add": "IndexPutBackward0",
    "gather": "IndexBackward0",
}


_INFO: OrderedDict = OrderedDict()


def output_info(pure, args, n, key=None):
    """For each output of a lowered backward: a torch-like grad_fn name (its last primitive) and the set
    of argument positions it depends on (torch's result needs no grad_fn when it uses no saved input).
    With a structure key, cached by it and the arguments' shapes and dtypes (a trace costs milliseconds)."""
    if key is None:
        return _output_info(pure, args, n)
    key = (key, tuple((a.shape, a.dtype) if hasattr(a, "shape") else type(a) for a in args))
    return _lookup(_INFO, key, lambda: _output_info(pure, args, n))[0]


def _output_info(pure, args, n):
    try:
        closed = jax.make_jaxpr(pure)(*args)
    except Exception:  # naming is cosmetic; never let it break a backward
        return [("MulBackward0", set(range(len(args))))] * n
    jaxpr = closed.jaxpr
    # (an optional tensor not given, clamp's max=None, is an argument without a jaxpr variable)
    outs = _dependencies(jaxpr, [{k} for k, a in enumerate(args) if a is not None])
    return [(_name_of(jaxpr, v), d) for v, d in zip(jaxpr.outvars[:n], outs)]


def _dependencies(jaxpr, in_deps):
    """Which inputs each output of a jaxpr differentiably depends on (nested calls followed)."""
    deps = dict(zip(jaxpr.invars, in_deps))

    def of(v):
        return set() if type(v).__name__ == "Literal" else deps.get(v, set())

    for eqn in jaxpr.eqns:
        inner = eqn.params.get("jaxpr") or eqn.params.get("call_jaxpr")
        inner = getattr(inner, "jaxpr", inner)
        if inner is not None and hasattr(inner, "eqns") and len(inner.invars) == len(eqn.invars):
            outs = _dependencies(inner, [of(v) for v in eqn.invars])
        elif eqn.primitive.name == "stop_gradient":
            outs = [set()]
        else:
            d = set().union(*(of(v) for v in eqn.invars)) if eqn.invars else set()
            outs = [d] * len(eqn.outvars)
        for o, d in zip(eqn.outvars, outs):
            # integer and boolean values (masks, indices) carry no derivative
            kind = getattr(getattr(o.aval, "dtype", None), "kind", "f")
            deps[o] = d if kind in "fcV" else set()
    return [of(v) for v in jaxpr.outvars]


def unviewed_name(pure, args) -> str:
    """The grad_fn name of what a lowered backward output was before its trailing reshapes and transposes:
    the hidden base torch's view formula was given."""
    try:
        jaxpr = jax.make_jaxpr(pure)(*args).jaxpr
    except Exception:  # (cosmetic, as in output_info)
        return "MulBackward0"
    return _name_of(jaxpr, jaxpr.outvars[0], through_views=True)


# (slice and broadcast_in_dim: an expand, and its undoing in a hidden base)
_LAYOUT_PRIMS = {"reshape", "transpose", "squeeze", "expand_dims", "slice", "broadcast_in_dim"}


def _name_of(jaxpr, var, through_views=False):
    for eqn in reversed(jaxpr.eqns):
        if any(o is var for o in eqn.outvars):
            k = next(i for i, o in enumerate(eqn.outvars) if o is var)
            call = str(eqn.params.get("name", ""))
            if call.endswith(("_backward", "_backward_data")):  # a formula torch has a node for (result_grad)
                return "".join(w.capitalize() for w in call.split("_")) + "Backward0"
            if eqn.primitive.name == "optimization_barrier" and type(eqn.invars[k]).__name__ != "Literal":
                return _name_of(jaxpr, eqn.invars[k], through_views)  # (a tie: the value is its operand's)
            inner = eqn.params.get("jaxpr") or eqn.params.get("call_jaxpr")
            if inner is not None:
                inner = getattr(inner, "jaxpr", inner)
                return _name_of(inner, inner.outvars[k], through_views)
            if through_views and eqn.primitive.name in _LAYOUT_PRIMS and type(eqn.invars[0]).__name__ != "Literal":
                return _name_of(jaxpr, eqn.invars[0], through_views)
            return _sum_to_name(jaxpr, eqn) or _PRIM_NAMES.get(eqn.primitive.name, "MulBackward0")
    return "AliasBackward0"


def _sum_to_name(jaxpr, eqn):
    """torch's sum_to (a broadcast input's gradient) is sum() to a 0-dim shape, else a keepdim sum: JAX's
    reduce_sum over every axis, or a reduce_sum whose reshape puts the summed axes back as ones."""
    prim = eqn.primitive.name
    if prim == "reduce_sum":
        return "SumBackward0" if eqn.outvars[0].aval.shape == () and eqn.invars[0].aval.shape != () else None
    if prim not in ("reshape", "expand_dims", "broadcast_in_dim") or type(eqn.invars[0]).__name__ == "Literal":
        return None
    src = next((e for e in jaxpr.eqns if any(o is eqn.invars[0] for o in e.outvars)), None)
    if src is None or src.primitive.name != "reduce_sum":
        return None
    axes = set(src.params["axes"])
    keepdim = tuple(1 if d in axes else n for d, n in enumerate(src.invars[0].aval.shape))
    return "SumBackward1" if tuple(eqn.outvars[0].aval.shape) == keepdim else None
