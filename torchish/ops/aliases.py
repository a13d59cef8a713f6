"""Ops torch composes of others (its CompositeImplicitAutograd functions): aliases and short compositions, each
written in terms of the ops torch's own composition calls, so their graphs and errors are torch's."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from . import _out, pointwise, reduction, scans, selection, shape, special_ops
from . import _registry as R
from ._registry import inplace_method

__all__ = [
    "absolute", "true_divide", "ravel", "atleast_1d", "atleast_3d", "broadcast_tensors", "column_stack", "dstack",
    "inner", "nanmean", "msort", "isreal", "isposinf", "isneginf", "arccos", "arcsin", "arctan", "arctan2", "arccosh",
    "arcsinh", "arctanh", "negative", "subtract", "multiply", "divide", "fix", "positive", "real", "imag", "conj",
    "conj_physical", "resolve_conj", "resolve_neg", "is_complex", "is_conj", "is_neg", "is_nonzero",
]  # fmt: skip


def absolute(input, *, out=None):
    return pointwise.abs(input, out=out)


def true_divide(input, other, *, out=None):
    return pointwise.div(input, other, out=out)


def ravel(input):
    return shape.reshape(input, (-1,))


def _each(tensors, fn):
    """torch's atleast_*: one tensor in, one out; several (or a list) in, a tuple out."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    if len(tensors) == 1:
        tensors = tensors[0]
    return tuple(fn(t) for t in tensors)


def atleast_1d(*tensors):
    return _each(tensors, lambda t: shape.reshape(t, (1,)) if t.dim() == 0 else t)


def _at_least_3d(t):
    if t.dim() == 0:
        return shape.reshape(t, (1, 1, 1))
    if t.dim() == 1:
        return shape.unsqueeze(shape.unsqueeze(t, 0), -1)
    return shape.unsqueeze(t, -1) if t.dim() == 2 else t


def atleast_3d(*tensors):
    return _each(tensors, _at_least_3d)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    size = pointwise._broadcast_shapes([t.shape for t in tensors])
    return tuple(t if tuple(t.shape) == tuple(size) else shape.expand(t, size) for t in tensors)


@R.takes_tensor_list
def column_stack(tensors, *, out=None):
    return shape.hstack([shape.reshape(t, (t.numel(), 1)) if t.dim() <= 1 else t for t in tensors], out=out)


@R.takes_tensor_list
def dstack(tensors, *, out=None):
    return shape.cat([_at_least_3d(t) for t in tensors], 2, out=out)


def inner(input, other, *, out=None):
    if out is not None:
        _out.tensor_out("inner", out)
    if input.dim() == 0 or other.dim() == 0:
        return pointwise.mul(input, other, out=out)
    from .decomp import tensordot

    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]), out=out)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch's composition: nansum over the count of non-nan elements; into out, nansum's out= (computed in out's
    dtype), then divided in place."""
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {R._type_word(input.dtype)}"
        )
    count = reduction.sum(pointwise.logical_not(selection.isnan(input)), dim, keepdim)
    if out is not None:
        _out.check_out_grad("nansum", (input,), (out,))
        summed = dtype or out.dtype
        if not summed.is_floating_point:  # (nansum's kernel, run in that dtype, has floating ones only)
            _out.resize_out(out, count.shape)
            raise NotImplementedError(f"\"nansum_cpu\" not implemented for '{R._type_word(summed)}'")
        return reduction.nansum(input, dim, keepdim, dtype=dtype, out=out).div_(count)
    return pointwise.div(reduction.nansum(input, dim, keepdim, dtype=dtype), count)


def msort(input, *, out=None):
    if out is None:
        return selection.sort(input, 0)[0]
    _out.tensor_out("msort", out)
    _out.check_out_grad("sort", (input,), (out,))
    return _out.exact_out("msort", out, selection.sort(input, 0)[0])


def isreal(input):
    from .creation import ones_like

    if input.is_complex():
        return pointwise.eq(input.imag, 0)
    return ones_like(input, dtype=D.bool)


def _isinf_signed(name, positive):
    def check(input, *, out=None):
        from .creation import zeros_like

        if input.is_complex():
            raise RuntimeError(f"{name} does not support complex inputs.")
        if out is not None and out.dtype is not D.bool:
            raise RuntimeError(f"{name} does not support non-boolean outputs.")
        if not input.dtype.is_floating_point:
            result = zeros_like(input, dtype=D.bool)
        else:
            result = pointwise.eq(input, float("inf") if positive else float("-inf"))
        return result if out is None else _out.write_out(out, result)

    check.__name__ = name
    return check


isposinf = _isinf_signed("isposinf", True)
isneginf = _isinf_signed("isneginf", False)


def _sum_to_size(self, *size):
    """torch's sum_to: a keepdim sum over the dims size broadcasts, viewed without the leading ones."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    from ..autograd.function import _expandable

    have = tuple(self.shape)
    lead = len(have) - len(size)
    if not _expandable(tuple(size), have):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(have)}}}.")
    if tuple(size) == have:
        return self
    dims = list(range(lead)) + [lead + d for d, s in enumerate(size) if s == 1 and have[lead + d] != 1]
    out = reduction.sum(self, dims, True) if dims else self
    return shape.view(out, tuple(size)) if lead > 0 else out


def _alias(name, target, method=None):
    """torch's other name of an op: the same function (the method and in-place method, looked up when called)."""

    def fn(*args, **kwargs):
        return target(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    if method is not None:
        setattr(Tensor, name, lambda self, *a, **k: getattr(self, method)(*a, **k))
        setattr(Tensor, name + "_", lambda self, *a, **k: getattr(self, method + "_")(*a, **k))
    return fn


arccos = _alias("arccos", pointwise.acos, "acos")
arcsin = _alias("arcsin", pointwise.asin, "asin")
arctan = _alias("arctan", pointwise.atan, "atan")
arccosh = _alias("arccosh", special_ops.acosh, "acosh")
arcsinh = _alias("arcsinh", special_ops.asinh, "asinh")
arctanh = _alias("arctanh", special_ops.atanh, "atanh")
negative = _alias("negative", pointwise.neg, "neg")
subtract = _alias("subtract", pointwise.sub, "sub")
multiply = _alias("multiply", pointwise.mul, "mul")
divide = _alias("divide", pointwise.div, "div")
fix = _alias("fix", pointwise.trunc, "trunc")


def arctan2(input, other, *, out=None):
    if not isinstance(other, Tensor):
        raise TypeError(f"arctan2(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return selection.atan2(input, other, out=out)


def _real_only(name, copies=False):
    """copies: torch's conj_physical, whose out= takes a copy (TensorIterator's: of the input's dtype only)."""

    def check(input, **out):
        if input.dtype.is_complex:
            raise NotImplementedError(f"torchish: {name} of complex tensors")
        if not copies or out.get("out") is None:
            if out:
                raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(out))}'")
            return input
        (out,) = out.values()
        _out.refuse_grad_out(name, out)
        if out.dtype is not input.dtype:
            raise RuntimeError(f"Found dtype {R._type_word(out.dtype)} but expected {R._type_word(input.dtype)}")
        from .basic import write_underived

        _out.resize_out(out, input.shape)
        return write_underived(name, out, input, input)

    check.__name__ = name
    return check


# for real dtypes torch returns the tensor itself
real = _real_only("real")
conj = _real_only("conj")
conj_physical = _real_only("conj_physical", copies=True)
resolve_conj = _real_only("resolve_conj")
resolve_neg = _real_only("resolve_neg")


def imag(input):
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    raise NotImplementedError("torchish: imag of complex tensors")


def positive(input):
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def is_complex(input):
    return input.dtype.is_complex


def is_conj(input):
    return False


def is_neg(input):
    return False


def is_nonzero(input):
    n = input.numel()
    if n != 1:
        raise RuntimeError(
            f"Boolean value of Tensor with {'no values' if n == 0 else 'more than one value'} is ambiguous"
        )
    return bool(input.item())


def _polygamma_method(self, n):
    return special_ops._polygamma_op(self, n)


def _polygamma_(self, n):
    return special_ops._polygamma_inplace(self, n, _target=self)


def _shifts(fn):
    return (
        lambda self, other: fn(self, other),
        lambda self, other: fn(other, self),
        lambda self, other: fn(self, other, _target=self),
    )


Tensor.real = property(real)
Tensor.imag = property(imag)
Tensor.__lshift__, Tensor.__rlshift__, Tensor.__ilshift__ = _shifts(special_ops.bitwise_left_shift)
Tensor.__rshift__, Tensor.__rrshift__, Tensor.__irshift__ = _shifts(special_ops.bitwise_right_shift)
for _name, _method in special_ops.COMPARE_INPLACE.items():
    setattr(Tensor, _name + "_", _method)
for _name, _target in (("less", "lt"), ("greater", "gt"), ("less_equal", "le"), ("greater_equal", "ge"),
                       ("not_equal", "ne")):  # fmt: skip
    setattr(Tensor, _name + "_", special_ops.COMPARE_INPLACE[_target])


_METHODS = {
    "arctan2": lambda self, other: self.atan2(other),
    "arctan2_": lambda self, other: self.atan2_(other),
    "positive": positive,
    "conj": conj,
    "conj_physical": _out.method_without_out("conj_physical", conj_physical, no_keywords=True),
    "resolve_conj": resolve_conj,
    "resolve_neg": resolve_neg,
    "is_conj": is_conj,
    "is_neg": is_neg,
    "is_nonzero": is_nonzero,
    "polygamma": _polygamma_method,
    "frexp": _out.method_without_out("frexp", special_ops.frexp, no_keywords=True),
    "polygamma_": _polygamma_,
    "square_": lambda self: self.pow_(2),
    "cumprod_": inplace_method(scans.cumprod),
    "logical_not_": lambda self: pointwise.logical_not(self, _target=self),
    "__ifloordiv__": lambda self, other: special_ops.floor_divide(self, other, _target=self),
    "absolute": absolute,
    "absolute_": lambda self: self.abs_(),
    "true_divide": true_divide,
    "true_divide_": lambda self, other: self.div_(other),
    "ravel": ravel,
    "inner": _out.method_without_out("inner", inner),
    "nanmean": _out.method_without_out("nanmean", nanmean),
    "msort": _out.method_without_out("msort", msort, no_keywords=True),
    "isreal": isreal,
    "isposinf": _out.method_without_out("isposinf", isposinf, no_keywords=True),
    "isneginf": _out.method_without_out("isneginf", isneginf, no_keywords=True),
    "sum_to_size": _sum_to_size,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
