"""The op table and the one dispatcher every op goes through.

An op is a pure function of jax arrays plus static parameters, registered once with `@op`. From it
the registry derives the public function, the Tensor method, the in-place `_` variant, and the
recording of a graph Node. A kernel (the pure function specialised to static params and input
dtypes, plus its jitted form) is cached, so an op call is a dict lookup and one XLA dispatch.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import os
import sys
import warnings
import weakref
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from ..autograd import anomaly as _anomaly
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.forward_ad import _LEVEL as _FWD_LEVEL
from ..autograd.graph import _named_node_class
from . import _out
from . import views as _views

OPS: dict[str, OpDef] = {}  # the op table: name -> definition
_KERNELS: dict = {}
_Tensor = None  # set by _tensor.py (import cycle)

# promotion kinds: how an op picks its computation dtype from its inputs
SAME = "same"  # the dtype of the first tensor (shape ops, neg, abs, relu, ...)
BINARY = "binary"  # torch.result_type over tensors and Python scalars
FLOAT = "float"  # like BINARY, then integers/bool go to the default float (sin, exp, div, ...)
COMPARE = "compare"  # BINARY to compute, bool result
SUM = "sum"  # integers/bool accumulate in int64


class OpDef:
    __slots__ = (
        "name",
        "fn",
        "n_tensors",
        "promote",
        "grad_name",
        "saves",
        "differentiable",
        "method",
        "inplace",
        "check",
        "sig",
        "static_names",
        "varargs",
        "out_dtype",
        "public",
        "n_out",
        "promoted",
        "is_view",
        "grad_keeps_input",
        "saved_for",
        "edges",
        "history_first",
        "pointwise",
        "column_major",
        "result_grad",
        "formula_case",
        "gemm_grads",
        "inplace_shape_error",
        "dynamic_forward",
    )

    def __init__(
        self,
        name,
        fn,
        n_tensors,
        promote,
        grad_name,
        saves,
        differentiable,
        method,
        inplace,
        check,
        varargs,
        out_dtype,
        n_out,
        promoted=None,
    ):
        self.name = name
        self.promoted = promoted
        self.is_view = False
        self.grad_keeps_input = False
        # torch's autograd kernel reads the inputs' histories (regenerating stale views' grad_fns, or refusing
        # them) before the op checks its arguments. False for an op torch composes of others: its check
        # calls _views._history_first itself where its first inner op would.
        self.history_first = True
        # an elementwise op (TensorIterator's): its result is laid out in memory as its strided inputs
        self.pointwise = False
        # a LAPACK-backed op: params -> the outputs that come back as batches of column-major matrices
        self.column_major = None
        # torch's formula of an op that saves its result, in terms of that result: (grad, result, params,
        # inputs) -> the gradient of its one differentiable input. The backward then reads the saved result
        # (what an unpack hook returns) and a create_graph gradient reaches the input through this node, as
        # torch's does
        self.result_grad = None
        # where torch's formula depends on the values (prod's, cumprod's: a quotient by an input without zeros):
        # (node, create_graph) -> the case result_grad computes, given as params["case"]; None: JAX's derivative
        # of the kernel. Without create_graph the case may not depend on the values (the backward is cached by
        # structure alone)
        self.formula_case = None
        # the inputs whose gradients torch computes with a matrix product (BLAS): those have no -0.0
        self.gemm_grads = ()
        # (target shape, result shape, args) -> the text of torch's error where an in-place call's result does
        # not fit its target, for ops whose kernels say it their own way (None: TensorIterator's)
        self.inplace_shape_error = None
        # an op whose integer params (an index, a slice's start) would compile a forward kernel per value:
        # (split, fn) where split(params, args) -> (static params, dynamic values) and fn(*inputs, *dynamic,
        # **static) computes the same result with those values traced, so one compiled forward serves them all
        self.dynamic_forward = None
        # torch's edges (next_functions) as a function of the kernel's input signature: the positions of the
        # inputs torch differentiates (None: all). A node records one edge per argument regardless.
        self.edges = None
        self.saved_for = {}  # which-inputs-need-grad mask -> saved input indices
        self.fn = fn
        self.n_tensors = n_tensors
        self.promote = promote
        self.grad_name = grad_name
        self.saves = saves
        self.differentiable = differentiable
        self.method = method
        self.inplace = inplace
        self.check = check
        self.varargs = varargs
        self.out_dtype = out_dtype
        self.n_out = n_out
        self.sig = inspect.signature(fn)
        names = list(self.sig.parameters)
        self.static_names = names[1:] if varargs else names[n_tensors:]
        self.public = None

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def op(
    name=None,
    *,
    n_tensors=1,
    promote=SAME,
    grad_name=None,
    saves=(),
    differentiable=True,
    method=True,
    inplace=False,
    check=None,
    varargs=False,
    out_dtype=None,
    n_out=1,
    promoted=None,
):
    """Register a pure jax function as a torch op.

    grad_name: torch's grad_fn class name, or a function (params, args) -> name.
    saves: for each tensor input, the inputs (indices, or -1 for the result) torch's backward
      saves to differentiate it; drives torch's freed-graph and version errors.
    varargs: the first parameter is a sequence of tensors (cat, stack).
    promoted: the argument positions that take part in type promotion (default: all).
    """

    def register(fn):
        d = OpDef(
            name or fn.__name__,
            fn,
            n_tensors,
            promote,
            grad_name,
            saves,
            differentiable,
            method,
            inplace,
            check,
            varargs,
            out_dtype,
            n_out,
            promoted,
        )
        OPS[d.name] = d
        if check is not None and hasattr(check, "__code__") and "op_name" in check.__code__.co_names:
            check.op_name = d.name
        d.public = _make_public(d)
        return d.public

    return register


# ---------------------------------------------------------------------------------------------
# kernels


class _Kernel:
    """One op specialised to static params and input signature; `pure` is what JAX differentiates."""

    __slots__ = ("op", "pure", "jitted", "key", "out_dtype", "names", "grad_out")

    def __init__(self, op_def, params, sig, compute, result):
        self.op = op_def
        self.key = (op_def.name, params, sig)
        self.out_dtype = result
        self.names = None
        self.grad_out = result is not None and (result.is_floating_point or result.is_complex)
        fn = op_def.fn
        kw = dict(params)
        cdt = D._jnp_dtype(compute) if compute is not None else None
        casts = tuple(
            i
            for i, s in enumerate(sig)
            if cdt is not None
            and isinstance(s, tuple)
            and s[0] != cdt
            and (op_def.promoted is None or i in op_def.promoted)
        )
        rdt = D._jnp_dtype(result) if result is not None else None
        post_cast = rdt is not None and op_def.promote != COMPARE and rdt != cdt and op_def.n_out == 1
        widened = rdt is not None and op_def.promote == SUM and op_def.n_out == 1  # (jnp.sum of int32 is int64)

        def pure(*args):
            if casts:
                args = list(args)
                for i in casts:
                    args[i] = args[i].astype(cdt)
            out = fn(args, **kw) if op_def.varargs else fn(*args, **kw)
            if post_cast or widened and out.dtype != rdt:
                out = out.astype(rdt)
            return out

        if op_def.gemm_grads:
            pure.gemm_grads = op_def.gemm_grads  # (read by the lowering's vjp, which sees only pure)
        self.pure = pure
        self.jitted = jax.jit(pure) if op_def.dynamic_forward is None else _dynamic_jitted(op_def, params, sig)


_DYNAMIC: dict = {}


def _dynamic_jitted(op_def, params, sig):
    """The forward of an op with a dynamic_forward: one jitted function per static params, given the dynamic ones
    as arguments (the kernel's own `pure`, with every param static, stays what the backward differentiates)."""
    split, fn = op_def.dynamic_forward  # (view ops: no dtype casts to apply around fn)
    static, dynamic = split(dict(params))
    key = (op_def.name, tuple(static.items()), sig)
    shared = _DYNAMIC.get(key)
    if shared is None:
        shared = _DYNAMIC[key] = jax.jit(lambda *a: fn(*a, **static))
    dynamic = tuple(np.int64(v) for v in dynamic)
    return lambda *values: shared(*values, *dynamic)


def _dtype_of_sig(s):
    return D._from_np(s[0])


def _compute_dtypes(op_def, sig, params):
    """(compute dtype, result dtype) per torch's promotion for this op kind."""
    kind = op_def.promote
    if op_def.promoted is not None:
        sig = tuple(sig[i] for i in op_def.promoted)
    tens = [s for s in sig if isinstance(s, tuple)]
    if kind == SAME:
        d = _dtype_of_sig(tens[0])
        return d, d
    dims = [_dtype_of_sig(s) for s in tens if not s[1]]
    zeros = [_dtype_of_sig(s) for s in tens if s[1]]
    scalars = [s(0) if s is not type(None) else None for s in sig if not isinstance(s, tuple)]
    scalars = [s for s in scalars if s is not None]
    d = D._result_type(dims, zeros, scalars)
    if kind == BINARY:
        return d, d
    if kind == COMPARE:
        return d, D.bool
    if kind == FLOAT:
        if not (d.is_floating_point or d.is_complex):
            d = D.get_default_dtype()
        return d, d
    if kind == SUM:
        want = params and dict(params).get("dtype")
        if want is not None:
            return want, want
        if not (d.is_floating_point or d.is_complex):
            return D.int64, D.int64
        return d, d
    raise AssertionError(kind)


def _kernel(op_def, params, args):
    sig = tuple([(a._value.dtype, not a._value.shape) if isinstance(a, _Tensor) else type(a) for a in args])
    key = (op_def, params, sig)
    k = _KERNELS.get(key)
    if k is None:
        compute, result = _compute_dtypes(op_def, sig, params)
        if op_def.out_dtype is not None:
            result = op_def.out_dtype(compute, dict(params))
        k = _KERNELS[key] = _Kernel(op_def, params, sig, compute, result)
    return k


# ---------------------------------------------------------------------------------------------
# dispatch


def _freeze(v):
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, _Tensor) and v.dim() == 0 and not v.requires_grad:
        return v.item()
    return v


def _read_stale_histories(args) -> None:
    """torch's autograd collects an op's input edges before its kernel checks anything: a stale view among
    the inputs is rebuilt (or refused) first."""
    for a in args:
        if isinstance(a, _Tensor) and a._base is not None and _views._may_be_stale(a):
            a.grad_fn  # noqa: B018


# elementwise ops whose Python-number arguments torch's kernel captures rather than wraps into a 0-dim operand
_SCALAR_PARAMS = {"clamp", "clamp_min", "clamp_max", "lerp", "masked_fill"}
# elementwise ops whose result torch allocates with empty_like(input): the input's strides, exactly
_LIKE_INPUT = {"clone", "_to_copy", "nan_to_num", "hardtanh"}


def dispatch(op_def: OpDef, args: tuple, params: tuple, *, inplace_target=None):
    """Run an op on Tensors / Python scalars and record it. The single entry for every op call."""
    if op_def.differentiable and op_def.history_first and _gm._state.grad_enabled:
        _read_stale_histories(args)
    if op_def.check is not None:
        fixed = op_def.check(args, dict(params))
        if fixed is not None:
            params = tuple({**dict(params), **fixed}.items())
    k = _kernel(op_def, params, args)
    values = tuple([a._value if isinstance(a, _Tensor) else a for a in args])
    try:
        out = k.jitted(*values)
    except TypeError as e:  # a JAX error must never surface as is
        raise RuntimeError(f"{op_def.name}: {e}") from None
    if inplace_target is not None:
        target = _commit_inplace(op_def, k, args, values, out, params, inplace_target)
        if _FWD_LEVEL:
            _fwd._carry(k, args, values, (target,))
        return target
    record = False
    if op_def.differentiable and _gm._state.grad_enabled:
        for a in args:
            if isinstance(a, _Tensor) and (
                a._grad_fn is not None or a._requires_grad or a._base is not None and a._base.requires_grad
            ):
                record = True
                break
    if op_def.n_out == 1:
        result = _Tensor._make(out)
        strided = False
        if op_def.is_view:
            _views._attach(result, args[0], k)
        elif (
            op_def.pointwise
            and out.ndim > 1
            and (op_def.name != "clone" or _views._preserves_format(dict(params).get("memory_format")))
        ):
            strided = _views._laid_out_as_inputs(
                result,
                [a for a in args if isinstance(a, _Tensor)],
                op_def.name not in _SCALAR_PARAMS and any(isinstance(a, (int, float, complex)) for a in args),
                op_def.name in _LIKE_INPUT,
            )
        elif op_def.column_major is not None and op_def.column_major(dict(params)):
            _views._column_major(result)
        if record and k.grad_out:
            node = _record(op_def, k, args, values, params, (result,))
            if strided:  # (its formula's elementwise results are laid out by them too)
                node._operand_layouts = _views._operand_layouts(args)
        if _FWD_LEVEL:
            _fwd._carry(k, args, values, (result,))
        return result
    results = tuple(_Tensor._make(o) for o in out)
    if _FWD_LEVEL:
        _fwd._carry(k, args, values, results)
    for i in op_def.column_major(dict(params)) if op_def.column_major is not None else ():
        _views._column_major(results[i])
    if record:
        _record(op_def, k, args, values, params, results)
    return results


def _edge(t):
    if t._base is not None:
        t.__dict__.pop("_lazy_old", None)  # (see views._rebase_view)
    if t._grad_fn is not None:
        if t._hooks is not None and t._hooks_fn is not t._grad_fn and t._base is not None:
            t._hooks = None  # (Tensor.grad_fn)
        return (t._grad_fn, t._output_nr)
    # torch's gradient_edge reads grad_fn first: a view's history is regenerated now (or refused)
    if t._base is not None and t.grad_fn is not None:
        return (t._grad_fn, t._output_nr)
    if t._requires_grad:
        return (t._accumulator(), 0)
    return None


def _record(op_def, k, args, values, params, outputs, name=None, edges=None):
    if edges is None:
        edges = tuple([_edge(a) if isinstance(a, _Tensor) else None for a in args])
    saved_versions = ()
    wanted = ()
    if op_def.saves:
        # (a view that requires grad through its base alone has no edge: torch saves for it only what every formula
        # reads, which its codegen saves unguarded; the rest waits on should_compute_output, an edge)
        needs = tuple(
            [
                () if e is not None else _VIEW_ONLY if isinstance(a, _Tensor) and a.requires_grad else None
                for a, e in zip(args, edges)
            ]
        )
        kept = op_def.edges(k.key[2]) if op_def.edges is not None and any(n == _VIEW_ONLY for n in needs) else None
        wanted = _saved_indices(op_def, needs, args, kept)
        sv = []
        for i in wanted:
            t = outputs[-1 - i] if i < 0 else args[i] if i < len(args) else None
            if isinstance(t, _Tensor):
                # a result is held weakly, as torch's SavedVariable does: no cycle output -> node -> output,
                # so a dropped graph frees its buffers at once instead of at the next garbage collection
                sv.append((t._version_counter, t._version_counter[0], weakref.ref(t) if i < 0 else t, i))
        saved_versions = tuple(sv)
    if name is None:
        g = op_def.grad_name
        name = g(dict(params), args) if callable(g) else g
    meta = tuple([(o._value.shape, o._value.dtype) for o in outputs])
    node = _named_node_class(name)(k, values, edges, saved_versions, meta, name)
    node._saves_tensors = bool(wanted)
    if op_def.result_grad is not None and (wanted or not any(op_def.saves)):  # (a formula that reads nothing)
        node._result = outputs[0]._value
    if _anomaly._STATE.enabled:
        _anomaly._record_traceback(node)
    # node.fragment (the structure key) is derived lazily by the engine: most graphs are built far more
    # often than their backward's key is needed for the first time
    if len(outputs) == 1:
        outputs[0]._grad_fn = node
    else:
        for i, o in enumerate(outputs):
            if _grad_dtype(o._value.dtype):
                o._grad_fn = node
                o._output_nr = i
    if saved_versions and _gm._state.saved_hooks:  # (after the outputs got their grad_fn, as torch packs them)
        _pack_saved(node, outputs)
    return node


def _pack_saved(node, outputs) -> None:
    """torch.autograd.graph.saved_tensors_hooks: the saved tensors are packed, and no longer version-checked."""
    from ..autograd.saved_hooks import pack_all

    def saved(t, i):
        if i < 0:
            return outputs[-1 - i]
        return _input_before_write(node, i) if builtins.any(t is o for o in outputs) else t

    node._packed = pack_all([(i, saved(t, i)) for _, _, t, i in node.saved_versions])
    node.saved_versions = ()


def _input_before_write(node, i):
    """What torch saves of an in-place op's own input: a clone of the value before the write, on its old history."""
    old = _Tensor._make(node.saved[i])
    if node.next_edges[i] is not None:
        old._grad_fn, old._output_nr = node.next_edges[i]
    with _gm.enable_grad():
        return old.clone()


# torch's names of saved outputs, for their unpacking order (values and indices of max/sort/cummax)
_OUTPUT_NAMES = ("result", "indices", "result2")


# the ops whose ATen schema names its first argument `input`, not `self`, where that changes the name order
_ATEN_FIRST_ARG = {"batch_norm": "input"}  # (input < running_mean < self)


_VIEW_ONLY = "view"  # (an input that requires grad without an edge)


def _saved_indices(op_def, edges, args=None, kept=None):
    """The inputs (-1 - j: output j) torch's backward saves, given which inputs need a gradient (an edge, or
    _VIEW_ONLY). kept: the inputs torch's node differentiates, where not all (OpDef.edges)."""
    mask = tuple([None if e is None else e == _VIEW_ONLY for e in edges])
    # (what an edge-less input saves depends on which inputs have formulas)
    key = mask + tuple([_has_formula(a) for a in args or ()]) + (kept,) if any(mask) else mask
    hit = op_def.saved_for.get(key)
    if hit is None:
        wanted = set()
        for i, needs in enumerate(mask):
            if needs is not None and i < len(op_def.saves):
                wanted.update(v for v in op_def.saves[i] if not needs or _unguarded(op_def, v, args, kept))
        # torch's generated backward unpacks (and so version-checks) saved values in name order
        names = [_ATEN_FIRST_ARG.get(op_def.name, "self"), *list(op_def.sig.parameters)[1:]]
        hit = op_def.saved_for[key] = tuple(
            sorted(wanted, key=lambda i: _OUTPUT_NAMES[-1 - i] if i < 0 else names[i] if i < len(names) else str(i))
        )
    return hit


def _unguarded(op_def, v, args, kept=None) -> bool:
    """Whether every formula of the op reads saved value v (torch saves it then whichever edges are valid): the
    formulas being those of its differentiable tensor inputs (a Scalar overload's number has none: kept)."""
    formulas = [
        i for i, a in enumerate(args or ()) if i < len(op_def.saves) and _has_formula(a) and (kept is None or i in kept)
    ]
    return all(v in op_def.saves[i] for i in formulas)


def _has_formula(a) -> bool:  # (a Python number in a tensor's place is a wrapped tensor there, with its formula)
    if isinstance(a, _Tensor):
        return _grad_dtype(a._value.dtype)
    return isinstance(a, (int, float, complex)) and not isinstance(a, bool)


def _grad_dtype(np_dtype) -> bool:
    return np_dtype.kind in "fc" or np_dtype == jnp.bfloat16


def _inplace_records(op_def, args) -> bool:
    return (
        _gm._state.grad_enabled
        and op_def.differentiable
        and builtins.any(isinstance(a, _Tensor) and a.requires_grad for a in args)
    )


def _check_inplace_first(op_def, args, target) -> None:
    """What torch checks of an in-place op before its kernel looks at shapes or dtypes: autograd's
    check_inplace, then TensorIterator's memory-overlap checks."""
    record = _inplace_records(op_def, args)
    target._check_inplace(record)
    if record and op_def.history_first:  # (before the overlap checks below)
        _read_stale_histories(args)
    if op_def.name == "_copy_from" and _views._same_data(target, args[1]):
        return  # torch's copy_ returns at once when src is self's very elements, before its overlap checks
    _views._check_overlap(target, args)


def _commit_inplace(op_def, k, args, values, out, params, target):
    """In-place: the op ran out of place; rebind the handle and re-record its grad_fn."""
    record = _inplace_records(op_def, args)
    target._check_inplace(record)  # before any shape/dtype error, as in torch
    tdt = target._value.dtype
    if out.dtype != tdt:
        _check_cast(D._from_np(out.dtype), D._from_np(tdt))
        out = out.astype(tdt)
    if out.shape != target._value.shape and op_def.inplace_shape_error is not None:
        raise RuntimeError(op_def.inplace_shape_error(tuple(target._value.shape), tuple(out.shape), args))
    if out.shape != target._value.shape:
        raise RuntimeError(
            f"output with shape {list(target._value.shape)} doesn't match the broadcast shape {list(out.shape)}"
        )
    if record and op_def.saves:  # an inference tensor refuses to be saved: torch raises before writing
        needs = tuple([() if isinstance(a, _Tensor) and a.requires_grad else None for a in args])
        for i in _saved_indices(op_def, needs):
            if 0 < i < len(args) and isinstance(args[i], _Tensor):
                args[i]._version_counter[0]
    # the edges are the inputs' histories before the write (which regenerates the grad_fn of views of the
    # written storage, an input among them maybe), as torch collects them before running the op
    edges = tuple([_edge(a) if isinstance(a, _Tensor) else None for a in args]) if record else None
    linked = target._base is not None or target._alias is not None
    rounds = _views._overlap_rounds(target) if linked and args[0] is target else None
    if rounds is not None and op_def.name != "cumsum":  # (an elementwise op on a view of shared elements)
        out = _views._sequential_write(k, values, out, rounds)
    target._set_value(out)
    if record:
        node = _record(op_def, k, args, values, params, (target,), edges=edges)
        if (
            op_def.pointwise
            and out.ndim > 1
            and builtins.any(isinstance(a, _Tensor) and _views._strided(a) for a in args)
        ):
            node._operand_layouts = _views._operand_layouts(args)
        # the target's old value is an immutable array held by the node, so only its result can go stale; an
        # input that shares the target's storage (x.mul_(x)) was saved before this write bumped its version
        counter = target._version_counter
        node._old_self = builtins.any(i == 0 for _, _, _, i in node.saved_versions)
        node.saved_versions = tuple(
            (c, e - 1, t, i) if i > 0 and c is counter else (c, e, t, i) for c, e, t, i in node.saved_versions if i != 0
        )
        target._after_inplace_record(edges[0] is not None)
    return target


_TYPE_WORDS = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


# c10's names of the scalar types (TypeMeta, TensorOptions), as torch's C++ errors print them
_C_NAMES = {
    "float32": "float",
    "float64": "double",
    "int64": "long int",
    "int32": "int",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _check_cast(result, target) -> None:
    """TensorIterator's canCast: a result is written into another dtype only within its category or below."""
    if D._category(result) > D._category(target):
        raise RuntimeError(
            f"result type {_type_word(result)} can't be cast to the desired output type {_type_word(target)}"
        )


def _user_stacklevel() -> int:
    """The stacklevel, for warnings.warn called by the caller of this, of the first frame outside torchish: torch's
    warnings point at the user's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_warn_always = [False]  # torch.set_warn_always
_warned_once: set = set()


def warn_once(key: str, text: str) -> None:
    """A TORCH_WARN_ONCE: once per process, every time under torch.set_warn_always(True) (which leaves the
    once-flag unset, as torch's macro)."""
    if not _warn_always[0]:
        if key in _warned_once:
            return
        _warned_once.add(key)
    warnings.warn(text, UserWarning, stacklevel=_user_stacklevel())


def _type_word(d) -> str:
    return _TYPE_WORDS[d._name]


# ---------------------------------------------------------------------------------------------
# public function, method and in-place variant from one definition


def _check_tensor_sequence(name: str, seq, positional: bool = True) -> None:
    """The arg parser's TypeError for a lone tensor where a TensorList goes (a tensor iterates, a list is meant)."""
    if isinstance(seq, _Tensor):
        where = " (position 1)" if positional else ""
        raise TypeError(f"{name}(): argument 'tensors'{where} must be tuple of Tensors, not Tensor")


def takes_tensor_list(fn: Callable) -> Callable:
    """fn's first argument, `tensors`, is a TensorList: a lone tensor gets the arg parser's TypeError, named
    after fn, before fn iterates it."""

    @functools.wraps(fn)
    def public(*args, **kwargs):
        _check_tensor_sequence(fn.__name__, args[0] if args else kwargs.get("tensors"), bool(args))
        return fn(*args, **kwargs)

    return public


def _make_public(d: OpDef) -> Callable:
    sig = d.sig
    n = d.n_tensors
    statics = d.static_names
    defaults = tuple((nm, sig.parameters[nm].default) for nm in statics)
    fast_params = tuple((nm, v) for nm, v in defaults if v is not inspect.Parameter.empty)
    all_defaulted = len(fast_params) == len(defaults)
    from ._argparse import _DIM_NAMES, _INT_PARAMS, FUNCTION_OVERLOADS, check_dim_args, check_overloads

    checked_names = _DIM_NAMES + _INT_PARAMS.get(d.name, ())
    dim_checked = not d.name.startswith("_") and builtins.any(nm in checked_names for nm in statics)

    def bind(args, kwargs):
        if d.varargs:
            seq = args[0] if args else kwargs.pop("tensors")
            rest = args[1:]
            ba = sig.bind(list(seq), *rest, **kwargs)
            ba.apply_defaults()
            tensors = tuple(seq)
        else:
            ba = sig.bind(*args, **kwargs)
            ba.apply_defaults()
            vals = list(ba.arguments.values())
            tensors = tuple(vals[:n])
        params = tuple((nm, _freeze(ba.arguments[nm])) for nm in statics)
        return tensors, params

    def public(*args, out=None, _target=None, _method=False, **kwargs):
        if not kwargs and len(args) == n and all_defaulted and not d.varargs:
            tensors, params = args, fast_params
        else:
            if dim_checked:
                shown = d.name + "_" if _target is not None else ""
                args, kwargs = check_dim_args(d.name, sig, args, kwargs, _method, shown)
            if d.varargs:
                _check_tensor_sequence(d.name, args[0] if args else kwargs.get("tensors"), bool(args))
            try:
                tensors, params = bind(args, kwargs)
            except TypeError as e:
                if d.name in FUNCTION_OVERLOADS and not _method:
                    check_overloads(d.name, FUNCTION_OVERLOADS[d.name], args, kwargs)
                raise TypeError(_missing(d.name, sig, args, kwargs) or f"{d.name}() {e}") from None
        for t in tensors:
            if not isinstance(t, _Tensor):
                tensors = tuple([_as_operand(t) for t in tensors])
                break
        if out is not None and (_method or _target is not None):
            name = d.name + ("_" if _target is not None else "")
            _out.refuse_method_out(name, len(sig.parameters) == 1, None, args[1:], {**kwargs, "out": out})
        if out is not None and d.name in FUNCTION_OVERLOADS:  # (out= where only some overloads take it)
            check_overloads(d.name, FUNCTION_OVERLOADS[d.name], args, {**kwargs, "out": out})
        if _target is not None:
            _check_inplace_first(d, tensors, _target)
            wanted = dict(params).get("dtype")
            if wanted is not None and wanted is not _target.dtype:  # (cumsum_(dim, dtype=...): torch's in-place check)
                raise RuntimeError(
                    f"Bad in-place call: input tensor dtype {_C_NAMES[_target.dtype._name]} and output tensor "
                    f"dtype {_C_NAMES[wanted._name]} should match"
                )
            if d.promote == SUM and wanted is None and "dtype" in dict(params):  # (it computes in its own dtype)
                params = tuple((k, _target.dtype if k == "dtype" else v) for k, v in params)
            return dispatch(d, tensors, params, inplace_target=_target)
        if out is not None:
            if d.name in _WITHOUT_OUT:
                raise TypeError(f"{d.name}() got an unexpected keyword argument 'out'")
            _check_out_grad(d, tensors, out)
            if d.name in _out.COMPUTED_IN_OUT_DTYPE and dict(params).get("dtype") is None:
                _out.computed_in_out_dtype(d.name, tensors[0], out)
                params = tuple((k, out.dtype if k == "dtype" else v) for k, v in params)
            elif d.name in _out.COMPUTED_IN_FLOAT_OUT and out.dtype.is_floating_point:
                tensors = tuple(t.to(out.dtype) if t.dtype.is_floating_point else t for t in tensors)
            result = dispatch(d, tensors, params)
            _out.check_out_dtype(d.name, out, result, tensors)
            return _out.write_out(out, result, iterator=d.pointwise)
        return dispatch(d, tensors, params)

    public.__name__ = d.name
    public.__qualname__ = d.name
    public.__doc__ = f"torch.{d.name}{sig}"
    public._op = d
    public._dim_checked = dim_checked
    return public


def _missing(name, sig, args, kwargs):
    """torch's parser error for the required parameters not given; None when none is missing."""
    from ._argparse import missing_arguments

    params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    required = [i for i, p in enumerate(params) if p.default is inspect.Parameter.empty]
    first = next((i for i in required if i >= len(args) and params[i].name not in kwargs), None)
    return None if first is None else missing_arguments(name, [params[i].name for i in required if i >= first])


def method_form(public: Callable) -> Callable:
    """The Tensor method of a public op: torch's parser words its dim arguments by the method's overloads and
    positions (self not counted), and refuses out=, which no Tensor method takes."""

    @functools.wraps(public)
    def method(self, *args, **kwargs):
        return public(self, *args, _method=True, **kwargs)

    return method


def _as_operand(x):
    if isinstance(x, (_Tensor, int, float, builtins.bool, complex)) or x is None:
        return x
    if isinstance(x, (np.ndarray, np.generic, jax.Array)):
        return _Tensor._make(jnp.asarray(x))
    if isinstance(x, (list, tuple)):
        return x
    raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(x).__name__}")


# the ops whose torch signatures have no out= (their parser refuses it)
_WITHOUT_OUT = frozenset(
    ("cdist", "celu", "clone", "det", "diag_embed", "diagonal", "dist", "isclose", "isfinite", "isinf", "isnan",
     "logdet", "matrix_exp", "pinverse", "put", "relu", "roll", "rot90", "select", "t", "trace", "transpose",
     "unsqueeze")
)  # fmt: skip


def _check_out_grad(d, tensors, out):
    """torch refuses out= on a differentiable op while grad mode is on and any argument requires grad."""
    if d.differentiable:
        # torch names the public op: `_pow_tensor` is pow
        name = d.name[1:].split("_")[0] if d.name.startswith("_") else d.name
        _out.check_out_grad(name, tensors, out if isinstance(out, (tuple, list)) else (out,))


def inplace_method(public: Callable) -> Callable:
    """The `x.op_(...)` form of a public function: same computation, result rebound into x."""

    # (torch's words count a method's positions without self)
    form = {"_method": True} if getattr(public, "_dim_checked", False) else {}

    def method(self, *args, **kwargs):
        return public(self, *args, _target=self, **form, **kwargs)

    method.__name__ = public.__name__ + "_"
    return method
