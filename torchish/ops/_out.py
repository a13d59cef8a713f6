"""out= tensors: how torch's kernels check them, resize them and write into them.

Every out tensor of another shape is resized (torch's resize_output: a deprecation warning when it held elements;
no version bump, the write that follows makes that). What a kernel checks of an out tensor's dtype, in what order,
and whether it resizes one out before checking the next, belongs to the kernel's family; the families' words are
in _CHECKS. A failed check can leave an earlier out resized: so does torch. A composite (torch's Python function or
CompositeImplicit kernel) computes its result with its history and copies it in (copy_out); the parser's checks
of the out argument itself are tensor_out / tensors_out.
"""

from __future__ import annotations

import functools
import warnings

import jax.numpy as jnp

from .. import _dtype as D
from .._return_types import return_type
from . import _registry as R

_RESIZE_WARNING = (
    "An output with one or more elements was resized since it had shape {had}, which does not match the required "
    "output shape {shape}. This behavior is deprecated, and in a future PyTorch release outputs will not be resized "
    "unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
    "elements with t.resize_(0). (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/Resize.cpp:30.)"
)


def resize_out(out, shape: tuple, warnings_given: int = 1) -> None:
    """torch's resize_output."""
    shape = tuple(shape)
    if tuple(out._value.shape) == shape:
        return
    if out._base is not None or getattr(out, "_alias", None) is not None:
        raise NotImplementedError("torchish: resizing an out= tensor that shares storage with another tensor")
    for _ in range(warnings_given if out._value.size else 0):
        warnings.warn(
            _RESIZE_WARNING.format(had=list(out._value.shape), shape=list(shape)),
            UserWarning,
            stacklevel=R._user_stacklevel(),
        )
    out._value = jnp.zeros(shape, out._value.dtype)


def write_out(out, result, iterator: bool = False, versioned: bool = True):
    """One out tensor takes the result (cast to its dtype: the caller checked the cast). An elementwise op
    (`iterator`: TensorIterator's) writing into another dtype warns twice of a resize: it resizes the out tensor
    both for its temporary and when copying that back. Not `versioned`: torch wrote through an _unsafe_view of out,
    whose version counter is not out's (kron)."""
    resize_out(out, result._value.shape, 2 if iterator and out.dtype is not result.dtype else 1)
    with R._gm.no_grad():
        out._set_value(result._value.astype(out._value.dtype))
    if not versioned and out._version_counter.__class__ is list:
        out._version_counter[0] -= 1
    return out


def exact_out(fname: str, out, result, error: str | None = None):
    """An out tensor that must have the result's dtype (a structured kernel's check, or the legacy kernel's
    `error`), resized and written."""
    check_exact(out, result.dtype, error)
    return write_out(out, result)


def check_exact(out, dtype, error: str | None = None) -> None:
    """A structured kernel's check of an out tensor's dtype (or the legacy kernel's `error`)."""
    if out.dtype is not dtype:
        raise RuntimeError(error or _structured("", 0, dtype, out.dtype))


def check_out_dtype(fname: str, out, result, tensors) -> None:
    """The out tensor's dtype as the op's kernel checks it, before anything is written (an op not listed: the
    TensorIterator rule, a result that does not cast safely to the out's dtype refused)."""
    rule = _OUT_DTYPE_RULES.get(fname)
    if fname in _BOUNDED and any(isinstance(t, R._Tensor) for t in tensors[1:]):
        rule = None  # (clamp's Tensor overload is TensorIterator's promoting one: the cast rule)
    want, got = result.dtype, out.dtype
    first = tensors[0].dtype if tensors and isinstance(tensors[0], R._Tensor) else want
    if fname in ("dot", "vdot"):  # (their kernels resize the out tensor before they check its dtype)
        resize_out(out, tuple(result.shape))
    if rule is not None:
        error = rule(fname, want, got, first)
        if error:
            raise error if isinstance(error, Exception) else RuntimeError(error)
    else:
        R._check_cast(want, got)


_BOUNDED = ("clamp", "clip", "clamp_min", "clamp_max")
# reductions whose dtype= the out tensor's dtype stands in for: they compute in it
COMPUTED_IN_OUT_DTYPE = ("sum", "nansum", "prod", "cumsum", "cumprod")


def computed_in_out_dtype(name: str, input, out) -> None:
    """nansum of a floating input runs its kernel in the out tensor's dtype, which has none for integers (an
    integral input is summed by sum's)."""
    if name == "nansum" and (input.dtype.is_floating_point or input.dtype.is_complex):
        if not (out.dtype.is_floating_point or out.dtype.is_complex):
            raise NotImplementedError(f"\"nansum_cpu\" not implemented for '{_word(out.dtype)}'")


# and those that compute in a floating out tensor's dtype, their input cast to it
COMPUTED_IN_FLOAT_OUT = ("mean", "std", "var", "logsumexp")


def _same(fname, want, got, first):  # (TensorIterator's check_all_same_dtype)
    return got is not want and f"Found dtype {_word(got)} but expected {_word(want)}"


def _exact(fname, want, got, first):  # (a structured kernel's set_output)
    return got is not want and _structured(fname, 0, want, got)


def _as_input(fname, want, got, first):
    return got is not first and (
        f"Expected the dtype for input and out to match, but got {_word(first)} for input's dtype and "
        f"{_word(got)} for out's dtype."
    )


def _bool_result(fname, want, got, first):
    return got._name != "bool" and f"{fname} only supports bool tensor for result, got: {_word(got)}"


_OUT_DTYPE_RULES = {
    **dict.fromkeys(
        ("abs", "absolute", "neg", "negative", "sign", "sgn", "ceil", "floor", "round", "trunc", "fix", "frac",
         "clamp", "clip", "clamp_min", "clamp_max", "bitwise_not", "conj_physical", "gelu", "softplus", "hardshrink",
         "softshrink"),
        _same,
    ),
    **dict.fromkeys(
        ("mm", "bmm", "mv", "_matmul", "addmm", "addmv", "baddbmm", "diag", "tril", "triu", "inverse", "argmax",
         "argmin", "cross", "linalg_lu_solve", "_linalg_solve", "_linalg_cholesky"),
        _exact,
    ),
    **dict.fromkeys(("cholesky", "linalg_householder_product"), lambda fname, want, got, first: _unsafe_cast(
        {"cholesky": "cholesky", "linalg_householder_product": "torch.linalg.householder_product"}[fname], want, got
    )),
    **dict.fromkeys(("amax", "amin"), _as_input),
    **dict.fromkeys(("all", "any"), _bool_result),
    "logcumsumexp": lambda fname, want, got, first: got is not first and _cumulative(fname, 0, first, got),
    "logsumexp": lambda fname, want, got, first: not (got.is_floating_point or got.is_complex) and (
        f"logsumexp(): Expected floating point type for result tensor, but got: {_word(got)}"
    ),
    **dict.fromkeys(COMPUTED_IN_OUT_DTYPE, lambda fname, want, got, first: None),
    **dict.fromkeys(("dot", "vdot"), lambda fname, want, got, first: got is not want and (
        f"result dtype {_word(got)} does not match input dtype {_word(first)}"
    )),
    "take": lambda fname, want, got, first: got is not first and (
        f"take(): self and out expected to have the same dtype, but got self.dtype = {_word(first)} and "
        f"out.dtype = {_word(got)}"
    ),
    "nan_to_num": lambda fname, want, got, first: got is not first and (
        f"nan_to_num: dtype of out: {_word(got)} should be same as input: {_word(first)}"
    ),
    "cat": lambda fname, want, got, first: D._category(want) > D._category(got) and TypeError(
        f"torch.cat(): input types can't be cast to the desired output type {_word(got)}"
    ),
    "signbit": lambda fname, want, got, first: got._name != "bool" and "signbit does not support non-boolean outputs.",
    "_where": lambda fname, want, got, first: got is not want and (
        f"Expected out type to be {_word(want)} but got {_word(got)}"
    ),
}  # fmt: skip


def _unsafe_cast(fname, want, got):  # (torch's checkLinalgCompatibleDtype)
    return D._category(want) > D._category(got) and (
        f"{fname}: Expected result to be safely castable from {_word(want)} dtype, but got result with dtype "
        f"{_word(got)}"
    )


def _word(d) -> str:
    return R._TYPE_WORDS[d._name]


def _structured(fname, i, want, got):
    return f"Expected out tensor to have dtype {R._C_NAMES[want._name]}, but got {R._C_NAMES[got._name]} instead"


def _median(fname, i, want, got):
    if i == 1:
        return (
            f"Expected tensor for argument #1 'indices' to have scalar type Long; but got torch.{_word(got)}Tensor "
            "instead (while checking arguments for median)"
        )
    return (
        "Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but type "
        f"torch.{_word(got)}Tensor does not equal torch.{_word(want)}Tensor (while checking arguments for median)"
    )


def _kthvalue(fname, i, want, got):
    return "output indices must be of scalar type Long" if i else "output values must be of same type as input"


def _mode(fname, i, want, got):
    return f"expected scalar type '{_word(want)}' but got '{_word(got)}' for {('values', 'indices')[i]} output"


def _cumulative(fname, i, want, got):
    return f"expected scalar_type {_word(want)} but found {_word(got)}"


# family: (its dtype error, the order it checks the outs in, whether each out is resized before the next is checked,
# whether an out with the reduced dim dropped gets it back (unsqueeze_) before the resize: "one fewer" only when the
# out has one dim fewer than the input, "always" whatever its dims)
_CHECKS = {
    "structured": (_structured, (0, 1), True, None),
    "median": (_median, (1, 0), False, None),
    "kthvalue": (_kthvalue, (0, 1), True, "one fewer"),
    "mode": (_mode, (0, 1), False, "always"),
    "cumulative": (_cumulative, (0, 1), False, None),
}


def write_outs(fname: str, outs, results, family: str = "structured", *, dim=None, ndim=None, keepdim=True, order=None):
    """Several out tensors (sort's values and indices, ...) take the results: torch.return_types.<fname>_out of the
    out tensors themselves. `dim`, `ndim`, `keepdim`: the reduced dim, the input's dims and keepdim, for the
    families that re-insert a dropped dim before resizing. `order`: the order a kernel that resizes each out before
    checking the next sets them in, where it is not theirs (_linalg_svd: U, Vh, S)."""
    error, checked_order, one_by_one, regrow = _CHECKS[family]
    regrown = regrow is not None and not keepdim and ndim

    def checked(i):
        want, got = results[i].dtype, outs[i].dtype
        if got is not want:
            raise RuntimeError(error(fname, i, want, got))

    def resized(i):
        out, shape = outs[i], tuple(results[i]._value.shape)
        if regrown:
            shape = shape[:dim] + (1,) + shape[dim:]
            # (mode unsqueezes any out it can: not a 0-dim one at dim 1)
            if regrow == "always" and dim <= out._value.ndim or out._value.ndim == ndim - 1:
                out._value = jnp.expand_dims(out._value, min(dim, out._value.ndim))
        resize_out(out, shape)

    if not one_by_one:
        for i in checked_order:
            checked(i)
    for i in order or range(len(outs)):
        if one_by_one:
            checked(i)
        resized(i)
    for out, result in zip(outs, results):  # (a regrown out loses its dim again)
        with R._gm.no_grad():
            out._set_value(result._value)
    return return_type(f"{fname}_out", _fields(results))(*outs)


def _fields(results) -> tuple:
    return getattr(results, "_fields", ("values", "indices"))


def method_without_out(name: str, fn, overloads: tuple | None = None, no_keywords: bool = False):
    """The Tensor method of a function that takes out= (torch's methods take none): out= gets the parser's error,
    in the words of a method of no parameters (`no_keywords`) or of the method's `overloads` where it has several."""

    def method(self, *args, **kwargs):
        if "out" in kwargs:
            refuse_method_out(name, no_keywords, overloads, args, kwargs)
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def refuse_method_out(name: str, no_keywords: bool, overloads: tuple | None = None, args=(), kwargs=None) -> None:
    """torch's parser error for out= given to a Tensor method (none takes it): for a method of several overloads
    (given, or torch's as _argparse.METHOD_SIGNATURES lists them) the invalid combination of arguments."""
    from ._argparse import METHOD_SIGNATURES, check_overloads

    if no_keywords:
        raise TypeError(f"TensorBase.{name}() takes no keyword arguments")
    if overloads is None:
        overloads = METHOD_SIGNATURES.get(name) or (METHOD_SIGNATURES.get(name[:-1]) if name.endswith("_") else None)
    if overloads:
        check_overloads(name, overloads, args, kwargs or {})
    raise TypeError(f"{name}() got an unexpected keyword argument 'out'")


def guard_method_outs(cls) -> None:
    """The Tensor methods of several overloads refuse out= as torch's parser does, listing those overloads, before
    they run (some share their function with the torch.* form, which takes out=)."""
    from ._argparse import METHOD_SIGNATURES

    for base in METHOD_SIGNATURES:
        for name in {base, base + "_"}:
            method = cls.__dict__.get(name)
            if callable(method):
                setattr(cls, name, _refusing_out(name, method))


def _refusing_out(name, method):
    @functools.wraps(method)
    def refusing(self, *args, **kwargs):
        if "out" in kwargs:
            refuse_method_out(name, False, None, args, kwargs)
        return method(self, *args, **kwargs)

    return refusing


def refuse_grad_out(aten: str, out) -> None:
    """An out tensor that requires grad, given to an op whose out= autograd has no formula for (the factories,
    conj_physical, slice_scatter): refused first, in the aten op's name."""
    if out.requires_grad:
        raise RuntimeError(
            f"aten::{aten}(): functions with out=... arguments don't support automatic differentiation, but one of "
            "the arguments requires grad."
        )


def check_out_grad(fname: str, tensors, outs) -> None:
    """torch refuses out= while grad mode is on and any argument requires grad."""
    if R._gm._state.grad_enabled and any(getattr(t, "requires_grad", False) for t in (*tensors, *outs)):
        raise RuntimeError(
            f"{fname}(): functions with out=... arguments don't support automatic differentiation, but one of the "
            "arguments requires grad."
        )


def castable(fname: str, out, result_dtype) -> None:
    """torch's checkLinalgCompatibleDtype: the result's dtype must cast safely to the out tensor's."""
    error = _unsafe_cast(fname, result_dtype, out.dtype)
    if error:
        raise RuntimeError(error)


def copy_out(out, result):
    """A composite's out=: torch computes the result as without out= (with its history), then resizes the out
    tensor and copies the result in. The copy is autograd's: cast to out's dtype, one version bump, and a result
    with history gives out a CopyBackwards through which gradients reach the inputs."""
    resize_out(out, result._value.shape)
    return out.copy_(result)


def begin_outs(fname: str, out, n: int, pos: int, grad_name: str, tensors) -> None:
    """An op of n out tensors before it computes (nothing without out=): the arg parser's check of the tuple (the
    pos-th argument, 0-based), then torch's refusal while an argument requires grad (grad_name: its aten op)."""
    if out is not None:
        tensors_out(fname, out, n, pos)
        check_out_grad(grad_name, tensors, out)


def tensor_out(fname: str, out) -> None:
    """The arg parser's check of a `Tensor out` argument."""
    if not isinstance(out, R._Tensor):
        raise TypeError(f"{fname}(): argument 'out' must be Tensor, not {type(out).__name__}")


def tensors_out(fname: str, out, n: int, pos: int) -> None:
    """The arg parser's check of a `tuple of Tensors out` argument of n tensors, the pos-th (0-based) argument."""
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"{fname}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
    if len(out) != n:
        raise TypeError(f"expected tuple of {n} elements but got {len(out)}")
    for i, t in enumerate(out):
        if not isinstance(t, R._Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument {pos}, but got {type(t).__name__}")
