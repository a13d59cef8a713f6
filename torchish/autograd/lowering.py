"""Lowering: the reachable part of a graph becomes pure JAX functions, jitted and cached by structure.

A plan orders the needed nodes (reverse topological, roots first) and says, for every node input,
where its gradient goes: another node's output, a target (leaf / requested input), or nowhere.
Cotangents live in a flat dict `state`: (0, node, output) -> pending cotangent, (1, target, 0) ->
gradient so far. A segment is a run of nodes with no Python hook inside; its function maps
(saved inputs of its nodes, state) -> state, calling `jax.vjp` of each node's pure function on its
saved inputs. With no hooks the whole backward is one segment: one XLA call.
"""

from __future__ import annotations

import collections
import itertools
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
    return _unsigned_zeros(x)


@jax.jit
def _unsigned_zeros(x):  # (named: a create_graph history sees through it, _is_transparent)
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


def _result_vjp(formula, args, diff, cts, metas):
    """The gradients of the differentiable inputs by torch's formula in terms of the saved result (the last of
    args, after the inputs): the formula gives one gradient, or a tuple of one per input. None where torch's
    formula is undefined; an exception where torch's formula raises once that input's gradient is needed."""
    c = cts[0]
    ct = _zeros_like_meta(metas[0]) if c is None else c.astype(metas[0][1])
    with jax.named_scope(_FORMULA_SCOPE):  # (written in torch's operand order: _grad_first leaves it)
        g = formula(ct, args[-1], args[:-1])
    per_input = g if isinstance(g, tuple) else {diff[0]: g}
    for j in diff:
        if isinstance(per_input[j], Exception):  # (torch's formula fails on this input's undefined gradient)
            raise per_input[j]
    return tuple(None if per_input[j] is None else per_input[j].astype(args[j].dtype) for j in diff)


def node_vjp(node, diff, cts, metas):
    """One node's input cotangents, from what it saved: by its result formula where it has one."""
    formula = result_formula(node)
    args = saved_args(node, formula)
    if formula is not None:
        return _result_vjp(formula, args, diff, cts, metas)
    return _node_vjp(node.kernel.pure, args, diff, cts, metas)


def result_formula(node, create_graph=False):
    """(grad, result, inputs) -> the input's gradient, for a node that saved its result (OpDef.result_grad);
    else None. Its `case` is OpDef.formula_case's."""
    op = getattr(node.kernel, "op", None)
    if op is None or op.result_grad is None or node._result is None:
        return None
    params = dict(node.kernel.key[1])
    if op.formula_case is not None:
        params["case"] = op.formula_case(node, create_graph)
        if params["case"] is None:
            return None

    def formula(g, y, x):
        return op.result_grad(g, y, params, x)

    formula.case = params.get("case")
    return formula


def saved_args(node, formula):
    """What a node's backward reads: its saved inputs, then its saved result where its result formula (what
    result_formula gave for this backward, or None) reads that."""
    return node.saved if formula is None or node.saved is None else node.saved + (node._result,)


def segment_function(steps):
    """Build the pure function of one segment. `steps`: per node (i, pure, diff, dests, n_out, metas,
    reads, skip, tie, formula) where dests[j] is the state key receiving input j's gradient, reads lists
    (output, target key) pairs copied out before the node runs, skip marks target-only nodes, and formula
    is the node's result formula (then its saved args end with the result)."""

    def run(saved, state):
        state = dict(state)
        for (i, pure, diff, dests, n_out, metas, reads, skip, tie, formula, passes_on), args in zip(steps, saved):
            for o, tkey in reads:
                c = state.get((0, i, o))
                if c is not None:
                    state[tkey] = c if tkey not in state else state[tkey] + c
            cts = [state.pop((0, i, o), None) for o in range(n_out)]
            if skip or not diff or all(c is None for c in cts):
                continue
            if formula is not None:
                grads = _result_vjp(formula, args, diff, cts, metas)
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
            for n, (key, g) in enumerate(zip(dests, grads)):
                if key is None or g is None:
                    continue
                g = _fitted(g, passes_on, n, diff)
                prev = state.get(key)
                state[key] = g if prev is None else _rounded_sum(prev, g)
        return state

    return run


@jax.custom_jvp
def _rounded_sum(a, b):
    """Two gradient contributions summed as torch's engine sums them, each rounded first: XLA's CPU backend would
    contract the product that ends one contribution and this add into an FMA (a sum that cancels to 0 in torch
    then keeps the product's unrounded part)."""
    from ..ops.pointwise_special import _unfused

    if not jnp.issubdtype(a.dtype, jnp.floating) or a.dtype != b.dtype:
        return a + b
    return _unfused(a) + _unfused(b)


@_rounded_sum.defjvp
def _rounded_sum_jvp(primals, tangents):
    return _rounded_sum(*primals), tangents[0] + tangents[1]  # (a plain add: JAX transposes it)


def _fitted(g, passes_on, n, diff):
    """A gradient for a node that recorded another shape (its tensor took a new geometry in place, in no_grad mode):
    summed to that shape where it expands to the gradient's, as torch's engine does (validate_outputs), else its
    error naming the node that passed it on."""
    name, shapes, positions = passes_on
    shape = shapes[n] if n < len(shapes) else None
    if shape is None or tuple(g.shape) == shape:
        return g
    from .engine import summed_to_recorded

    summed = summed_to_recorded(g, shape)
    if summed is not None:
        return summed
    raise RuntimeError(
        f"Function {name} returned an invalid gradient at index {positions[n]} - got {list(g.shape)} but expected "
        f"shape compatible with {list(shape)}"
    )


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


# ------------------------------------------------------------------------------ create_graph: the equations' graph
# A create_graph backward's result gets a history of one node per equation of the lowered backward that it
# depends on (torch records one node per op of its formulas): a pure function, its input values, and edges to
# the equations or inputs that made them. Nested jitted calls are inlined, except torch's own backward formulas
# (a jitted `*_backward`), which are one node each, as in torch.


class EquationGraph:
    """The live equations of a lowered backward. eqns: (bind(*inputs), input refs, output ids, output metas,
    name, the positions of the inputs torch has edges for, those whose gradient torch's formula leaves
    undefined) where a ref is ("in", argument position), ("lit", value) or ("v", value id, live); outputs: a ref
    per output; needed: the value ids `values` returns, in order."""

    __slots__ = ("key", "eqns", "outputs", "needed", "values")

    def __init__(self, key, eqns, outputs, needed, values):
        self.key, self.eqns, self.outputs, self.needed, self.values = key, eqns, outputs, needed, values


_GRAPHS: OrderedDict = OrderedDict()


def equation_graph(pure, args, live_inputs, n_saved, key):
    """The EquationGraph of pure(*args), its equations live where they depend differentiably on an argument
    in live_inputs; the arguments from n_saved on are cotangents. Cached by key and the arguments' shapes.
    None where the trace fails."""
    key = (key, tuple(live_inputs), tuple((a.shape, a.dtype) if hasattr(a, "shape") else type(a) for a in args))
    return _lookup(_GRAPHS, key, lambda: _equation_graph(pure, args, set(live_inputs), n_saved, key))[0]


def _equation_graph(pure, args, live_inputs, n_saved, key):
    try:
        closed = jax.make_jaxpr(pure)(*args)
    except Exception:  # (then the result keeps one node for the whole backward)
        return None
    flat = []
    consts = [("lit", c) for c in closed.consts]
    # (an optional tensor not given, clamp's max=None, is an argument without a jaxpr variable)
    ins = [("in", p) for p, a in enumerate(args) if a is not None]
    outputs = _inline(closed.jaxpr, consts, ins, flat, itertools.count())
    live = {}

    def is_live(r):
        return (r[0] == "in" and r[1] in live_inputs) or (r[0] == "v" and live.get(r[1], False))

    # values computed from Python numbers alone, such as log(base) of base ** x, are the Scalars of torch's
    # formulas (C++ arithmetic, no tensor); a Python number an op saved, converted or not, is a wrapped 0-dim
    # tensor there
    # ("saved": a Python number the op saved, or one only converted or broadcast from it)
    number = {r: "saved" for r in ins if not hasattr(args[r[1]], "shape")}
    for eqn, refs, ids in flat:
        on = eqn.primitive.name != "stop_gradient" and any(is_live(r) for r in refs)
        for v, i in zip(eqn.outvars, ids):
            live[i] = on and getattr(v.aval.dtype, "kind", "f") in "fcV"
        if eqn.primitive.name == "broadcast_in_dim" and eqn.outvars[0].aval.shape and refs[0][0] == "lit":
            continue  # (zeros_like, full_like: a tensor that needs no gradient, an edge to None in torch)
        if all(r[0] == "lit" or r in number for r in refs):
            kinds = {number[r] for r in refs if r[0] != "lit"}
            prim = eqn.primitive.name
            if prim in _WRAPPING_PRIMS and kinds <= {"wrapped", "saved"}:
                kind = "saved" if "saved" in kinds else "wrapped"
            else:  # (a division's barrier keeps a saved number a saved number: torch divides by that tensor)
                kind = "saved" if prim == "optimization_barrier" and kinds == {"saved"} else "scalar"
            number.update({("v", i): kind for i in ids})

    def is_scalar(r):
        return r[0] == "v" and number.get(r) == "scalar"

    # the live equations an output reaches
    wanted = {r[1] for r in outputs if r[0] == "v" and live[r[1]]}
    kept = []
    for eqn, refs, ids in reversed(flat):
        if any(i in wanted for i in ids):
            kept.append((eqn, refs, ids))
            wanted.update(r[1] for r in refs if r[0] == "v" and live[r[1]])
    kept.reverse()
    steps = []
    for eqn, refs, ids in kept:
        refs = _filled_numbers(eqn, refs)
        steps.append(
            (
                eqn,
                _binder(eqn, refs),
                refs,
                ids,
                _equation_name(eqn, [("lit", None) if is_scalar(r) else r for r in refs]),
            )
        )
    steps, alias = _see_through(_keepdim_sums(steps))
    outputs = [alias.get(r[1], r) if r[0] == "v" else r for r in outputs]
    from_grad = _from_grad(flat, n_saved)
    steps = _implicit_broadcasts(steps, from_grad, {r[1] for r in outputs if r[0] == "v"})
    steps = _grad_first(steps, from_grad)
    needed = sorted({r[1] for s in steps for r in s[2] if r[0] == "v"} | {r[1] for r in outputs if r[0] == "v"})
    position = {i: k for k, i in enumerate(needed)}
    eqns = []
    for eqn, bind, refs, ids, name in steps:
        metas = tuple((tuple(v.aval.shape), np.dtype(v.aval.dtype)) for v, _ in zip(eqn.outvars, ids))
        ins = tuple(("v", i, live[i]) if kind == "v" else (kind, i) for kind, i in refs)
        undefined = ()
        if eqn.primitive.name == "select_n" and len(refs) == 3 and all(r[0] != "lit" for r in refs):
            edge_positions = (2, 1)  # (torch's where(condition, self, other) has edges for self, then other)
        elif _is_formula(eqn):  # (a named call has edges for its floating inputs: not masked_fill's mask)
            operands = [(r, v) for r, v in zip(refs, eqn.invars) if r[0] != "lit"]
            edge_positions = tuple(
                k for k, (r, v) in enumerate(operands) if not is_scalar(r) and np.dtype(v.aval.dtype).kind in "fc"
            )[: _FORMULA_EDGES.get(str(eqn.params["name"]))]
            undefined = _UNDEFINED_GRADS.get(str(eqn.params["name"]), ())
        else:
            edge_positions = tuple(k for k, r in enumerate(r for r in refs if r[0] != "lit") if not is_scalar(r))
        eqns.append((bind, ins, tuple(ids), metas, name, edge_positions, undefined))

    def values(*xs):
        env = {}
        for eqn, refs, ids in flat:
            outs = _bind(eqn, [_read(r, xs, env) for r in refs])
            env.update(zip(ids, outs))
        return tuple(env[i] for i in needed)

    return EquationGraph(key, tuple(eqns), tuple(outputs), position, jax.jit(values))


def _filled_numbers(eqn, refs):
    """A torch formula's `1 - t` and `1 / t` are C++ `empty_like(t).fill_(1).sub_(t)`: a SubBackward0 (DivBackward0)
    with an edge, None, for the filled tensor. Its literal becomes a ("num", array) input of the node."""
    if (
        eqn.primitive.name in ("sub", "div")
        and len(refs) == 2
        and refs[0][0] == "lit"
        and refs[1][0] != "lit"
        and _FORMULA_SCOPE in str(eqn.source_info.name_stack)
    ):
        return (("num", np.asarray(refs[0][1], eqn.invars[0].aval.dtype)),) + tuple(refs[1:])
    return refs


# what leaves a wrapped number a wrapped number
_WRAPPING_PRIMS = {"convert_element_type", "broadcast_in_dim", "reshape", "squeeze", "expand_dims"}


def _keepdim_sums(steps):
    """torch's sum_to is a keepdim sum (SumBackward1): JAX's reduce_sum, then a reshape that puts the summed dims
    back as ones, is that one node. steps: (eqn, bind, refs, ids, name), the layout step taking the sum's place."""
    uses = collections.Counter(r[1] for s in steps for r in s[2] if r[0] == "v")
    made_by = {i: k for k, s in enumerate(steps) for i in s[3]}
    out, fused = [], set()
    for eqn, bind, refs, ids, name in steps:
        src = made_by.get(refs[0][1]) if refs and refs[0][0] == "v" and uses[refs[0][1]] == 1 else None
        if src is not None and eqn.primitive.name in ("reshape", "expand_dims", "broadcast_in_dim"):
            sum_eqn, sum_bind, sum_refs = steps[src][:3]
            shape = sum_eqn.invars[0].aval.shape if sum_eqn.primitive.name == "reduce_sum" else None
            axes = set(sum_eqn.params.get("axes", ()))
            if shape is not None and tuple(eqn.outvars[0].aval.shape) == tuple(
                1 if d in axes else n for d, n in enumerate(shape)
            ):
                fused.add(src)
                bind, refs, name = _composed(bind, sum_bind), sum_refs, "SumBackward1"
        out.append((eqn, bind, refs, ids, name))
    return [s for k, s in enumerate(out) if k not in fused]


def _see_through(steps):
    """What torch has no node for is part of the node that made its operand: an optimization_barrier (a tie: the
    formula's node reads the tied inputs too) and unsigned_zeros (a BLAS result's sign of zero)."""
    uses = collections.Counter(r[1] for s in steps for r in s[2] if r[0] == "v")
    made_by = {s[3][0]: k for k, s in enumerate(steps) if len(s[3]) == 1}
    out, alias = [], {}
    for eqn, bind, refs, ids, name in steps:
        refs = [alias.get(r[1], r) if r[0] == "v" else r for r in refs]
        transparent = _is_transparent(eqn)
        src = made_by.get(refs[0][1]) if transparent and refs[0][0] == "v" else None
        if src is not None and uses[refs[0][1]] == 1 and out[src] is not None:
            p_eqn, p_bind, p_refs, _, p_name = out[src]
            ties = [r for r in refs[1:] if r[0] != "lit" and r not in p_refs]
            n = sum(r[0] != "lit" for r in p_refs)
            out[src] = None
            out.append((eqn, _folded(bind, p_bind, n), list(p_refs) + ties, ids[:1], p_name))
            continue
        if transparent and eqn.primitive.name == "optimization_barrier" and len(refs) == 1:
            alias[ids[0]] = refs[0]  # (a barrier of one value is that value)
            out.append(None)
            continue
        out.append((eqn, bind, refs, ids, name))
    return [s for s in out if s is not None], alias


def _is_transparent(eqn) -> bool:
    if eqn.primitive.name == "optimization_barrier":
        return True
    inner = eqn.params.get("call_jaxpr") if eqn.primitive.name == "custom_jvp_call" else None
    inner = getattr(inner, "jaxpr", inner)
    return inner is not None and any(e.params.get("name") in ("_unsigned_zeros", "_unfused_bits") for e in inner.eqns)


def _folded(bind, made, n):
    """A transparent equation applied to what `made` (of the first n inputs) returns; the rest are ties (read,
    never used: a barrier's value is its first operand's)."""
    if getattr(bind, "multiple", False):  # (the barrier)
        return lambda *xs: made(*xs[:n])
    return lambda *xs: bind(made(*xs[:n]))


def _from_grad(flat, n_saved):
    """ref -> whether that value is made from the incoming gradient (the arguments from n_saved on)."""
    made = {}

    def graded(r):
        return (r[0] == "in" and r[1] >= n_saved) or (r[0] == "v" and made.get(r[1], False))

    for _, refs, ids in flat:
        made.update(dict.fromkeys(ids, any(graded(r) for r in refs)))
    return graded


# JAX's elementwise primitives, which torch's TensorIterator ops broadcast their operands within
_ELEMENTWISE = {
    "mul", "add", "sub", "div", "max", "min", "pow", "atan2", "select_n", "rem", "and", "or", "eq", "ne", "lt", "le",
    "gt", "ge", "nextafter",
}  # fmt: skip


def _implicit_broadcasts(steps, graded, outputs):
    """torch's formulas broadcast a saved operand inside each elementwise op that reads it: JAX's broadcast_in_dim
    of one is part of the equations reading it, not an ExpandBackward0 of its own. (A broadcast of a value made
    from the incoming gradient is torch's explicit expand: sum's formula.)"""
    readers = collections.defaultdict(list)
    for eqn, _, refs, _, _ in steps:
        for r in refs:
            if r[0] == "v":
                readers[r[1]].append(eqn.primitive.name)
    folded = {}
    for eqn, bind, refs, ids, _ in steps:
        if (
            eqn.primitive.name == "broadcast_in_dim"
            and len(refs) == 1
            and refs[0][0] in ("v", "in")
            and not graded(refs[0])
            and ids[0] not in outputs
            and readers[ids[0]]
            and all(p in _ELEMENTWISE for p in readers[ids[0]])
        ):
            folded[ids[0]] = (bind, refs[0])
    if not folded:
        return steps
    out = []
    for eqn, bind, refs, ids, name in steps:
        if ids and ids[0] in folded:
            continue
        if any(r[0] == "v" and r[1] in folded for r in refs):
            inner = [folded[r[1]][0] if r[0] == "v" and r[1] in folded else None for r in refs if r[0] != "lit"]
            bind = _broadcasting(bind, inner)
            refs = [folded[r[1]][1] if r[0] == "v" and r[1] in folded else r for r in refs]
        out.append((eqn, bind, refs, ids, name))
    return out


def _broadcasting(bind, inner):
    def broadcast_then_bind(*xs):
        return bind(*(x if f is None else f(x) for f, x in zip(inner, xs)))

    broadcast_then_bind.multiple = getattr(bind, "multiple", False)
    return broadcast_then_bind


def _grad_first(steps, graded):
    """torch's formulas multiply grad by what they read (grad * other): a product's operand made from the
    incoming gradient goes first."""
    out = []
    for eqn, bind, refs, ids, name in steps:
        ours = _FORMULA_SCOPE not in str(eqn.source_info.name_stack)
        if ours and eqn.primitive.name == "mul" and len(refs) == 2 and "lit" not in (refs[0][0], refs[1][0]):
            if graded(refs[1]) and not graded(refs[0]):
                bind, refs = _swapped(bind), [refs[1], refs[0]]
        out.append((eqn, bind, refs, ids, name))
    return out


_FORMULA_SCOPE = "torch_formula"  # (the equations of a formula in terms of a saved result)


def _swapped(bind):
    return lambda a, b: bind(b, a)


def _composed(outer, inner):
    return lambda *xs: outer(inner(*xs))


def _read(ref, args, env):
    kind, x = ref
    return args[x] if kind == "in" else x if kind == "lit" else env[x]


def _bind(eqn, vals):
    with eqn.ctx.manager:
        out = eqn.primitive.bind(*vals, **eqn.primitive.get_bind_params(eqn.params))
    return out if eqn.primitive.multiple_results else [out]


def _binder(eqn, refs):
    """eqn as a function of its non-literal inputs: one array, or a tuple for several outputs."""
    slots = [r[1] if r[0] == "lit" else None for r in refs]

    def bind(*xs):
        it = iter(xs)
        out = _bind(eqn, [next(it) if s is None else s for s in slots])
        return out[0] if len(out) == 1 else tuple(out)

    bind.multiple = len(eqn.outvars) > 1
    return bind


def _inline(jaxpr, consts, ins, flat, ids):
    """Append jaxpr's equations to flat as (eqn, input refs, output ids), nested calls inlined except torch's
    formulas; returns the refs of its outputs."""
    env = dict(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, ins))

    def ref(v):
        return ("lit", v.val) if type(v).__name__ == "Literal" else env[v]

    for eqn in jaxpr.eqns:
        inner = eqn.params.get("jaxpr") if eqn.primitive.name in ("jit", "pjit", "closed_call") else None
        if inner is not None and not _is_formula(eqn):
            inner_consts = [("lit", c) for c in getattr(inner, "consts", ())]
            outs = _inline(getattr(inner, "jaxpr", inner), inner_consts, [ref(v) for v in eqn.invars], flat, ids)
            env.update(zip(eqn.outvars, outs))
            continue
        out_ids = tuple(next(ids) for _ in eqn.outvars)
        flat.append((eqn, [ref(v) for v in eqn.invars], out_ids))
        env.update((v, ("v", i)) for v, i in zip(eqn.outvars, out_ids))
    return [ref(v) for v in jaxpr.outvars]


def _is_formula(eqn) -> bool:
    """A jitted `*_backward` / `*_backward_data`: a formula torch has a node of its own for (OpDef.result_grad);
    or a named call of an op torch's formulas use (_TORCH_CALLS)."""
    name = str(eqn.params.get("name", ""))
    if name in _RULED_CALLS:
        # (JAX's derivative of such a call splits it into calls of the same name, one computing what the rule
        # reads, one applying it: those are the rule's own ops, torch's nodes; the call itself is its one rule)
        body = eqn.params["jaxpr"].jaxpr.eqns
        return len(body) == 1 and body[0].primitive.name == "custom_jvp_call"
    return name.endswith(("_backward", "_backward_data")) or name in _TORCH_CALLS


# ATen backward ops whose later inputs torch does not differentiate (a loss's weight): edges for the first ones only
_FORMULA_EDGES = {"nll_loss_backward": 2, "nll_loss2d_backward": 2, "binary_cross_entropy_backward": 3}

# ATen backward ops whose own derivative torch leaves undefined for some inputs (positions among the call's array
# inputs): no gradient, not zeros (layer_norm's double backward for the bias, which its gradients do not read)
_UNDEFINED_GRADS = {"native_layer_norm_backward": (5,)}

# named calls of a function with a derivative rule of its own (ops/_formulas.py's torch_pow, torch_rsqrt, ...)
_RULED_CALLS = {"pow", "rsqrt", "reciprocal", "xlogy", "div"}


_TORCH_CALLS = {
    "masked_fill": "MaskedFillBackward0",
    "unsqueeze": "UnsqueezeBackward0",
    "mean": "MeanBackward0",
    "mean_dim": "MeanBackward1",
    "digamma": "DigammaBackward0",
    "polygamma": "PolygammaBackward0",
    "special_i1": "SpecialI1Backward0",
    "t": "TBackward0",
    "clone": "CloneBackward0",
    "view": "ViewBackward0",
    "transpose": "TransposeBackward0",
    "permute": "PermuteBackward0",
    "bmm": "BmmBackward0",
    "mv": "MvBackward0",
    "broadcast_mul": "MulBackward0",
    "index_add": "IndexAddBackward0",
    "scatter_add": "ScatterAddBackward0",
    "scatter": "ScatterBackward0",
    "put": "PutBackward0",
    "masked_scatter": "MaskedScatterBackward0",
    "roll": "RollBackward0",
    "tril": "TrilBackward0",
    "triu": "TriuBackward0",
    "constant_pad_nd": "ConstantPadNdBackward0",
    "cumsum": "CumsumBackward0",
    "cumprod": "CumprodBackward0",
    "pow": "PowBackward0",
    "rsqrt": "RsqrtBackward0",
    "reciprocal": "ReciprocalBackward0",
    "xlogy": "XlogyBackward0",
    "div": "DivBackward0",
    "nll_loss2d_backward": "NllLoss2DBackwardBackward0",
}


def _formula_name(eqn) -> str:
    name = str(eqn.params["name"])
    return _TORCH_CALLS.get(name) or "".join(w.capitalize() for w in name.split("_")) + "Backward0"


def _equation_name(eqn, refs) -> str:
    prim = eqn.primitive.name
    if _is_formula(eqn):
        return _formula_name(eqn)
    if prim == "mul" and any(r[0] == "lit" for r in refs):
        return "MulBackward1"  # (torch's mul by a Python number)
    if (
        prim == "div"
        and refs[1][0] == "lit"
        and refs[0][0] != "lit"
        and _FORMULA_SCOPE in str(eqn.source_info.name_stack)
    ):
        return "DivBackward1"  # (a torch formula's division by a C++ Scalar; an op's Python number is a tensor)
    if prim == "pow" and all(r[0] != "lit" for r in refs):
        return "PowBackward1"  # (a tensor exponent)
    if prim in ("add", "sub") and any(r[0] == "lit" for r in refs):  # (with a Python number)
        return "RsubBackward1" if prim == "sub" and refs[0][0] == "lit" else prim.capitalize() + "Backward1"
    if prim in ("custom_jvp_call", "custom_vjp_call"):  # (an op's own derivative rule: named by what it computes)
        inner = eqn.params.get("call_jaxpr") or eqn.params.get("fun_jaxpr")
        inner = getattr(inner, "jaxpr", inner)
        if inner is not None and inner.outvars:
            return _name_of(inner, inner.outvars[0])
    if prim == "reduce_sum":  # (a sum to 0-dim is torch's sum(); one over dims of one element only, a view)
        shape = eqn.invars[0].aval.shape
        if not eqn.outvars[0].aval.shape and shape:
            return "SumBackward0"
        if all(shape[d] == 1 for d in eqn.params["axes"]):
            return "ViewBackward0"
    return _PRIM_NAMES.get(prim, "".join(w.capitalize() for w in prim.replace("-", "_").split("_")) + "Backward0")


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
    "sign": "SgnBackward0",  # (the derivative formulas' sgn)
    "logistic": "SigmoidBackward0",
    "log1p": "Log1PBackward0",
    "erf_inv": "ErfinvBackward0",
    "square": "PowBackward0",  # (torch's square is pow(x, 2))
    "copy": "CloneBackward0",
    "copy_p": "CloneBackward0",
    "dynamic_slice": "SliceBackward0",
    "slice": "SliceBackward0",
    "pad": "ConstantPadNdBackward0",
    "scatter-add": "IndexPutBackward0",
    "scatter_add": "IndexPutBackward0",
    "gather": "IndexBackward0",
    "rev": "FlipBackward0",
    "split": "SliceBackward0",  # (cat's gradient: torch narrows it once per input)
    "unstack": "SelectBackward0",  # (stack's: torch selects it once per input)
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
            if _is_formula(eqn):
                return _formula_name(eqn)
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
