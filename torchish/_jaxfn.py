"""Torch-style functions under JAX transforms: trace once per call, compile once per structure.

torch.func and torch.autograd.functional turn a Python function of Tensors into a pure function of
arrays (Tensors can wrap tracers), then hand it to jax.grad / vjp / jvp / jacrev / jacfwd / vmap.
Tracing the function to a jaxpr is cheap (one Python pass over the ops); compiling the transformed
function is not (50-100 ms), so the compiled transform is cached by the jaxpr's *structure*. The
jaxpr's constants (tensors the function closed over) are passed as arguments, never baked in, so a
cache hit with new constant values is still correct.

A function that needs concrete values (`.item()`, Python `if` on a tensor) cannot be traced
abstractly; it then runs through the transform eagerly, as torch.func would run it. Under an outer
transform (arguments already tracers) the transform is applied directly: the outer one compiles it.

Results that must stay differentiable by the tape (a torch.func result whose input requires grad)
get one graph Node whose pure function is the transformed function itself.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.extend.core as jcore
import numpy as np

from .autograd.graph import _Tensor

CONCRETE_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerIntegerConversionError,
)

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 256
_SUB: OrderedDict = OrderedDict()  # id(sub-jaxpr) -> (sub-jaxpr, key): keeps the object alive, so ids stay unique
_ids = itertools.count()
STATS = {"compiles": 0, "hits": 0, "eager": 0}


def is_tracer(x: Any) -> bool:
    return isinstance(x, jax.core.Tracer)


# ------------------------------------------------------------------------------------------ structure keys


def _atom(a, names):
    if isinstance(a, jcore.Literal):
        v = np.asarray(a.val)
        return ("L", v.dtype.str, v.shape, v.tobytes(), a.aval)
    n = names.get(a)
    if n is None:
        n = names[a] = len(names)
    return n


def _param_key(v):
    if isinstance(v, (jcore.ClosedJaxpr, jcore.Jaxpr)):
        hit = _SUB.get(id(v))
        if hit is None or hit[0] is not v:
            j = v.jaxpr if isinstance(v, jcore.ClosedJaxpr) else v
            consts = tuple(_param_key(c) for c in v.consts) if isinstance(v, jcore.ClosedJaxpr) else ()
            hit = _SUB[id(v)] = (v, ("J", jaxpr_key(j), consts))
            if len(_SUB) > 4096:
                _SUB.popitem(last=False)
        return hit[1]
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, tuple(_param_key(x) for x in v))
    if isinstance(v, dict):
        return ("d", tuple((k, _param_key(x)) for k, x in v.items()))
    if isinstance(v, (np.ndarray, jax.Array)) and not is_tracer(v):
        a = np.asarray(v)
        return ("A", a.dtype.str, a.shape, a.tobytes())
    try:
        hash(v)
    except TypeError:
        return ("id", id(v), v)  # unhashable and unknown: equal only to itself
    return v


def jaxpr_key(jaxpr) -> tuple:
    """A hashable key equal for two jaxprs exactly when they compute the same function."""
    names: dict = {}
    head = (tuple(v.aval for v in jaxpr.constvars), tuple(v.aval for v in jaxpr.invars))
    for v in jaxpr.constvars:
        _atom(v, names)
    for v in jaxpr.invars:
        _atom(v, names)
    body = []
    for e in jaxpr.eqns:
        params = tuple((k, _param_key(p)) for k, p in sorted(e.params.items()))
        ins = tuple(_atom(a, names) for a in e.invars)
        outs = tuple((_atom(v, names), v.aval) for v in e.outvars)
        body.append((e.primitive, params, ins, outs))
    return head, tuple(body), tuple(_atom(a, names) for a in jaxpr.outvars)


# ------------------------------------------------------------------------------------------ running


class Entry:
    """One compiled transform of one traced structure."""

    __slots__ = ("run", "jitted", "id", "info")

    def __init__(self, run):
        self.run = run
        self.jitted = jax.jit(run)
        self.id = next(_ids)
        self.info = None


def _entry(key, jaxpr, build):
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        STATS["hits"] += 1
        return hit

    def run(consts, *args):
        def g(*xs):
            return tuple(jax.core.eval_jaxpr(jaxpr, consts, *xs))

        return tuple(build(g)(*args))

    e = _CACHE[key] = Entry(run)
    STATS["compiles"] += 1
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return e


def aval_of(a) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(a.shape, a.dtype)


def captured_write(op: str) -> RuntimeError:
    """torch.func's error for a traced function that wrote a traced value into a tensor it did not create
    (one it closed over, like a module's buffer), whose tracer would outlive the trace. Marked, so callers
    with another policy (autograd.functional falls back to the tape) can recognise it."""
    e = RuntimeError(
        "During a grad (vjp, jvp, grad, etc) transform, the function provided attempted to call in-place "
        f"operation ({op}) that would mutate a captured Tensor. This is not supported; please rewrite the "
        "function being transformed to explicitly accept the mutated Tensor(s) as inputs."
    )
    e.torchish_captured_write = True
    return e


def is_captured_write(e: BaseException) -> bool:
    return getattr(e, "torchish_captured_write", False)


def note_write(t, value) -> None:
    """Called by Tensor._set_value while a guarded trace runs: remember tensors that held a concrete value
    before a traced write, so the write can be undone and reported if the tensor outlives the trace."""
    from .autograd import grad_mode as _gm

    if not is_tracer(value) or is_tracer(t._value):
        return
    from .ops.views import _storage_tensors

    # the write lands in every tensor sharing t's storage (bases, views, aliases from detach)
    entries = [_snapshot(u) for u in _storage_tensors(t) if not is_tracer(u._value)]
    _gm._state.write_log.append((entries, _inplace_name(), (tuple(t._value.shape), tuple(value.shape))))


def _snapshot(t):
    return weakref.ref(t), t._value, t._grad_fn, t._output_nr, t._version_counter[0]


def _inplace_name() -> str:
    f = sys._getframe(2)
    while f is not None:
        op = f.f_locals.get("op_def")
        if op is not None and hasattr(op, "name"):
            return "aten::copy_" if "copy" in op.name else f"aten::{op.name.rstrip('_')}_.Tensor"
        f = f.f_back
    return "aten::copy_"


@contextlib.contextmanager
def guarded():
    """Run a trace of user code; afterwards undo traced writes into tensors that are still alive (the ones
    the function closed over: tensors it created are gone) and raise torch.func's error for them."""
    from .autograd import grad_mode as _gm

    st = _gm._state
    prev = getattr(st, "write_log", None)
    log: list = []
    st.write_log = log
    ok = False
    try:
        yield
        ok = True
    finally:
        st.write_log = prev
        bad = None
        for entries, op, shapes in log:
            for ref, value, grad_fn, output_nr, version in entries:
                t = ref()
                if t is not None and is_tracer(t._value):
                    t._value, t._grad_fn, t._output_nr = value, grad_fn, output_nr
                    t._version_counter[0] = version
                    bad = bad or (op, shapes)
        if ok and bad is not None:
            e = captured_write(bad[0])
            e.torchish_shapes = bad[1]
            raise e


def trace(fn: Callable[..., tuple], avals: Sequence[Any]):
    """fn's closed jaxpr for these abstract inputs, or None when fn needs concrete values. Under an outer
    transform (tracer inputs) this still pays: the compiled inner transform is one cached jit call in the
    outer trace instead of a re-trace of the JAX transform machinery."""
    try:
        with guarded():
            return jax.make_jaxpr(fn)(*(a if isinstance(a, jax.ShapeDtypeStruct) else aval_of(a) for a in avals))
    except CONCRETE_ERRORS:
        return None


def apply(
    tag: Any,
    closed,
    fn: Callable[..., tuple],
    arrays: Sequence[Any],
    build: Callable[[Callable], Callable],
    *,
    sources: Sequence[Any] | None = None,
    names: Any = None,
    exact: bool = False,
) -> list:
    """build(fn)(*arrays) as a flat list of Tensors, compiled and cached when fn was traced.

    fn maps arrays to a flat tuple of arrays (`closed` is its trace, or None); build turns such a
    function into the transformed one, also returning a flat tuple. `tag` holds every static
    parameter build depends on. `sources` are the Tensors behind `arrays`: when one requires grad
    (and grad mode is on) the results are recorded for the tape; `names` is a grad_fn name for all
    results or a list of names (None: after the primitive computing that result). `exact`: a result is wired to
    the sources it depends on differentiably (forward AD's tangents, as torch's formulas read them), not to every
    source of the computation that makes it (a torch.func result, as torch's transforms lift every op)."""
    from .autograd import grad_mode as _gm

    Tensor = _Tensor()
    arrays = list(arrays)
    if closed is None:
        if not any(is_tracer(a) for a in arrays):
            STATS["eager"] += 1
        with guarded():
            outs = build(fn)(*arrays)
        entry, consts = None, ()
    else:
        entry = _entry((tag, jaxpr_key(closed.jaxpr)), closed.jaxpr, build)
        consts = tuple(closed.consts)
        outs = entry.jitted(consts, *arrays)
    results = [Tensor._make(o) for o in outs]
    if sources is not None and _gm._state.grad_enabled:
        if any(isinstance(s, Tensor) and s.requires_grad for s in sources):
            _record(entry, build, fn, consts, arrays, sources, results, names, exact)
    return results


# ------------------------------------------------------------------------------------------ the tape


def _out_info(closed, skip: int, n: int, exact: bool):
    """Per output of a jaxpr: the argument positions (after `skip` leading ones) it depends on, and a
    torch-like grad_fn name after the primitive that computes it."""
    from .autograd import lowering as L

    names = getattr(L, "_PRIM_NAMES", {})
    jaxpr = closed.jaxpr
    deps = _dependencies(jaxpr, [{k - skip} if k >= skip else set() for k in range(len(jaxpr.invars))], exact)
    last: dict = {}
    for e in jaxpr.eqns:
        prim = _innermost(e)
        for o in e.outvars:
            last[o] = prim
    out = []
    for v in jaxpr.outvars[:n]:
        if isinstance(v, jcore.Literal):
            out.append((set(), None))
            continue
        prim = last.get(v)
        out.append((deps.get(v, set()), names.get(prim) if prim else None))
    return out


_CALLS = ("pjit", "jit", "closed_call", "core_call")  # (the primitives that call a jaxpr of their own)


def _dependencies(jaxpr, of_inputs: list, exact: bool) -> dict:
    """var -> the set of input positions it depends on. exact: differentiably, looking inside jit calls (a jvp of a
    jitted kernel is one call taking primals and tangents; its tangent outputs may depend on the tangents alone)."""
    deps: dict = dict(zip(jaxpr.invars, of_inputs))
    for e in jaxpr.eqns:
        ins = [set() if isinstance(v, jcore.Literal) else deps.get(v, set()) for v in e.invars]
        calls = exact and e.primitive.name in _CALLS
        inner = e.params.get("jaxpr") if calls else None
        inner = inner.jaxpr if isinstance(inner, jcore.ClosedJaxpr) else inner
        if inner is not None and len(inner.invars) == len(ins):
            sub = _dependencies(inner, ins, exact)
            outs = [set() if isinstance(v, jcore.Literal) else sub.get(v, set()) for v in inner.outvars]
        else:
            outs = [set().union(*ins)] * len(e.outvars)
        for o, d in zip(e.outvars, outs):
            # (no derivative flows through ints)
            deps[o] = d if not exact or np.issubdtype(o.aval.dtype, np.inexact) else set()
    return deps


def _innermost(eqn) -> str:
    """The primitive that produced an equation's (first) output, looking inside jit calls."""
    while eqn.primitive.name in _CALLS and "jaxpr" in eqn.params:
        inner = eqn.params["jaxpr"]
        inner = inner.jaxpr if isinstance(inner, jcore.ClosedJaxpr) else inner
        producers = {o: e for e in inner.eqns for o in e.outvars}
        nxt = producers.get(inner.outvars[0]) if inner.outvars else None
        if nxt is None:
            break
        eqn = nxt
    return eqn.primitive.name


def _record(entry, build, fn, consts, arrays, sources, results, names, exact):
    from .autograd.graph import Node
    from .ops._registry import _edge
    from .ops.views import _ChainKernel

    Tensor = _Tensor()
    nc = len(consts)
    edges = tuple(_edge(s) if isinstance(s, Tensor) and s.requires_grad else None for s in sources)
    edges = edges + (None,) * (len(arrays) - len(edges))
    if entry is not None:
        run = entry.run

        def pure(*saved):
            return run(saved[:nc], *saved[nc:])

        key = ("torchish.func", entry.id)
        if entry.info is None:
            try:
                entry.info = _out_info(jax.make_jaxpr(run)(consts, *arrays), nc, len(results), exact)
            except Exception:  # pruning and naming are refinements: never let them break a result
                entry.info = [(set(range(len(arrays))), None)] * len(results)
        info = entry.info
    else:
        transformed = build(fn)

        def pure(*saved):
            return tuple(transformed(*saved))

        key = ("torchish.func.eager", next(_ids))
        info = [(set(range(len(arrays))), None)] * len(results)
    wired = [
        k
        for k, (r, (deps, _)) in enumerate(zip(results, info))
        if (r._value.dtype.kind in "fc" or str(r._value.dtype) == "bfloat16")
        and any(edges[d] is not None for d in deps)
    ]
    if not wired:
        return
    # (an input no wired result depends on gets no edge: torch's graph of the same ops never reaches it)
    used = set().union(*(info[k][0] for k in wired))
    edges = tuple(e if d in used else None for d, e in enumerate(edges))
    if names is None or isinstance(names, str):
        names = [names] * len(results)
    labels = [names[k] or info[k][1] or "AliasBackward0" for k in range(len(results))]
    saved = tuple(consts) + tuple(arrays)
    full_edges = (None,) * nc + edges
    meta = tuple((r._value.shape, r._value.dtype) for r in results)
    node = Node(_ChainKernel(pure, key), saved, full_edges, (), meta, labels[wired[0]])
    node._of_backward = True  # (named after a JAX primitive: not a torch formula that passes its gradient on)
    node.fragment = (key, tuple(getattr(s, "shape", None) for s in saved), tuple(e is not None for e in full_edges))
    for k in wired:
        r = results[k]
        if labels[k] == labels[wired[0]]:
            r._grad_fn, r._output_nr = node, k
            continue
        # torch names each result after its own last op: give it a pass-through node of that name
        alias = _ChainKernel(_identity, ("alias",))
        a = Node(alias, (r._value,), ((node, k),), (), (meta[k],), labels[k])
        a._of_backward = True
        a.fragment = (alias.key, (r._value.shape,), (True,))
        r._grad_fn, r._output_nr = a, 0


def _identity(x):
    return x
