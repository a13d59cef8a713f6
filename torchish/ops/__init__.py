"""The op table. Importing this package registers every op and attaches the Tensor methods.

_registry.py  the @op decorator, kernels, the dispatcher and recording
pointwise.py  arithmetic, unary math, comparisons      reduction.py  sum, mean, max, softmax, ...
shape.py      views and joins                          linalg.py     matmul and friends
indexing.py   __getitem__ / __setitem__                basic.py      clone, to, fill_, copy_
creation.py   factories                                views.py      keeping views and bases in step
einsum.py     einsum, composed of the ops above as ATen composes it
aliases.py    torch's short compositions and aliases (ravel, atleast_3d, nanmean, ...)
order_stats.py  median, nanmedian, kthvalue, mode
inplace_views.py  unsqueeze_, squeeze_, transpose_, t_: a tensor taking its view's geometry
"""

from __future__ import annotations

from .. import _tensor
from . import _registry
from ._argparse import inplace_parsed
from ._registry import OPS, inplace_method, method_form

_registry._Tensor = _tensor.Tensor

from . import (  # noqa: E402,F401
    _out,
    aliases,  # noqa: E402,F401
    basic,
    combinatorics,
    creation,
    decomp,
    indexing,
    inplace_views,
    linalg,
    linalg_extra,
    misc,
    order_stats,
    pointwise,
    pointwise_special,
    reduction,
    scans,
    scatters,
    selection,
    shape,
    special_ops,
    tensor_extras,
)

Tensor = _tensor.Tensor

# Tensor methods straight from the table: the public function takes the tensor as its first argument
for _d in list(OPS.values()):
    if _d.method:
        setattr(Tensor, _d.name, method_form(_d.public))
    if _d.inplace:
        setattr(Tensor, _d.name + "_", inplace_method(_d.public))

_QUANTILE = tuple(
    f'{q} q, int dim = None, bool keepdim = False, *, str interpolation = "linear"' for q in ("Tensor", "float")
)
_METHODS = {
    # routed or composite public functions that are also methods (those with out=: refused as torch's methods do)
    "pow": pointwise.pow,
    "max": reduction.max,
    "min": reduction.min,
    "square": pointwise.square,
    "aminmax": reduction._aminmax_method,
    "float_power": pointwise._float_power_method,
    "float_power_": pointwise._float_power_,
    "view": shape.view,
    "reshape": shape.reshape,
    "view_as": shape.view_as,
    "reshape_as": shape.reshape_as,
    "permute": shape.permute,
    "round": pointwise.round,
    "round_": lambda self, *, decimals=None: pointwise.round(self, decimals=decimals, _target=self),
    "flip": shape._flip_method,
    "tile": misc._tile_method,
    "flatten": shape.flatten,
    "svd": _out.method_without_out("svd", decomp.svd),
    "unflatten": shape._unflatten_method,
    "expand": shape.expand,
    "expand_as": shape.expand_as,
    "unbind": shape.unbind,
    "split": shape.split,
    "chunk": shape.chunk,
    "repeat": shape.repeat,
    "as_strided": shape.as_strided,
    "swapaxes": shape.swapaxes.method,
    "swapdims": shape.swapdims.method,
    "to": basic.to,
    "type_as": basic.type_as,
    "type": basic._type,
    "fill_": basic.fill_,
    "zero_": basic.zero_,
    "copy_": basic.copy_,
    "resize_": basic.resize_,
    "where": lambda self, condition, y: pointwise.where(condition, self, y),
    "nonzero": _out.method_without_out("nonzero", reduction.nonzero, ("", "*, bool as_tuple")),
    "broadcast_to": shape.broadcast_to,
    "matmul": linalg.matmul,
    "outer": _out.method_without_out("outer", linalg.outer),
    "ger": _out.method_without_out("ger", linalg.outer),
    "kron": _out.method_without_out("kron", decomp.kron),
    "matrix_power": _out.method_without_out("matrix_power", decomp.matrix_power),
    "greater": pointwise.gt,
    "greater_equal": pointwise.ge,
    "less": pointwise.lt,
    "less_equal": pointwise.le,
    "not_equal": pointwise.ne,
    "__getitem__": indexing.getitem,
    "__setitem__": indexing.setitem,
    "gather": scatters.gather,
    "index_select": selection.index_select,
    "scatter": scatters.scatter,
    "scatter_add": scatters.scatter_add,
    "scatter_reduce": scatters.scatter_reduce,
    "scatter_reduce_": scatters._scatter_reduce_,
    "index_put": scatters._index_put_method,
    "masked_scatter_": scatters._masked_scatter_,
    "index_put_": scatters.index_put_,
    "slice_scatter": _out.method_without_out("slice_scatter", scatters.slice_scatter),
    "select_scatter": scatters.select_scatter,
    "diagonal_scatter": scatters.diagonal_scatter,
    "fill_diagonal_": scatters.fill_diagonal_,
    "unique_consecutive": combinatorics.unique_consecutive,
    "index_reduce": scatters.index_reduce,
    "index_reduce_": scatters._index_reduce_,
    "sort": selection.sort,
    "argsort": selection.argsort,
    "topk": selection.topk,
    "masked_select": selection.masked_select,
    "norm": selection._norm_method,
    "median": order_stats.median,
    "nanmedian": order_stats.nanmedian,
    "kthvalue": order_stats.kthvalue,
    "mode": order_stats.mode,
    "quantile": _out.method_without_out("quantile", order_stats.quantile, _QUANTILE),
    "nanquantile": _out.method_without_out("nanquantile", order_stats.nanquantile, _QUANTILE),
    "scatter_": inplace_parsed(scatters.scatter, "scatter_"),
    "scatter_add_": inplace_parsed(scatters.scatter_add, "scatter_add_"),
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, getattr(_fn, "method", _fn))  # (a composite behind torch's parser: its method form)
Tensor.pow_ = inplace_method(pointwise.pow)
for _name in ("clamp", "clamp_min", "clamp_max"):
    setattr(Tensor, _name, pointwise._clamp_method(_name, False))
    setattr(Tensor, _name + "_", pointwise._clamp_method(_name, True))
Tensor.clip, Tensor.clip_ = Tensor.clamp, Tensor.clamp_

from .. import _dtype as _D  # noqa: E402

for _name, _dt in (
    ("float", _D.float32),
    ("double", _D.float64),
    ("half", _D.float16),
    ("bfloat16", _D.bfloat16),
    ("long", _D.int64),
    ("int", _D.int32),
    ("short", _D.int16),
    ("char", _D.int8),
    ("byte", _D.uint8),
    ("bool", _D.bool),
    ("cfloat", _D.complex64),
    ("cdouble", _D.complex128),
):
    setattr(Tensor, _name, basic._cast_method(_dt))


def _cpu(self, memory_format=None):
    return basic.to(self, "cpu")


def _cuda(self, device=None, non_blocking=False, memory_format=None):
    return basic.to(self, "cuda" if device is None else device)


Tensor.cpu = _cpu
Tensor.cuda = _cuda
Tensor.T = property(
    lambda self: shape._permute(self, tuple(range(self.dim() - 1, -1, -1))) if self.dim() > 2 else shape.t(self)
)
Tensor.mT = property(lambda self: shape.transpose(self, -2, -1))


def _binary(fn, reflected=False):
    if reflected:
        return lambda self, other: fn(other, self) if isinstance(other, Tensor) else fn(self, other)
    return lambda self, other: fn(self, other)


def _rtruediv(self, other):
    return pointwise.mul(pointwise.reciprocal(self), other)


def _rpow(self, other):
    return pointwise.pow(other, self)


def _rmatmul(self, other):
    return linalg.matmul(other, self)


def _rsub(self, other):
    return pointwise.rsub(self, other)


def _rfloordiv(self, other):  # (torch's // is floor_divide)
    return special_ops.floor_divide(
        Tensor._make(_registry.jnp.asarray(other)) if not isinstance(other, Tensor) else other, self
    )


def _floordiv(self, other):
    return special_ops.floor_divide(self, other)


def _mod(self, other):
    return remainder(self, other)


def _iop(fn):
    def method(self, other):
        return fn(self, other, _target=self)

    return method


@_registry.op(
    n_tensors=2,
    promote=_registry.BINARY,
    grad_name=pointwise._mixed_name("RemainderBackward1", "RemainderBackward0"),
    inplace=True,
    saves=((), (0, 1)),
    check=pointwise._broadcast_check,
)
def remainder(input, other):
    return pointwise._remainder(input, other)


@_registry.op(
    n_tensors=2,
    promote=_registry.BINARY,
    grad_name=pointwise._mixed_name("FmodBackward1", "FmodBackward0"),
    inplace=True,
    saves=((), (0, 1)),
    check=pointwise._broadcast_check,
)
def fmod(input, other):
    return pointwise._fmod(input, other)


def _integral_only(name, tensor_only):
    def check(args, params):
        if tensor_only and not isinstance(args[1], Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(args[1]).__name__}")
        pointwise._broadcast_check(args, params)
        if not name.startswith("logical"):
            ts = [a for a in args if isinstance(a, Tensor)]
            d = _D._result_type(
                [t.dtype for t in ts if t.dim()],
                [t.dtype for t in ts if not t.dim()],
                [a for a in args if not isinstance(a, Tensor)],
            )
            if d.is_floating_point or d.is_complex:
                raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_registry._type_word(d)}'")

    return check


def _bitwise(name, fn):
    def pure(input, other):
        return fn(input, other)

    pure.__name__ = name
    promote = _registry.COMPARE if name.startswith("logical") else _registry.BINARY
    return _registry.op(
        name,
        n_tensors=2,
        promote=promote,
        differentiable=False,
        inplace=True,
        check=_integral_only(name, name.startswith("logical")),
    )(pure)


bitwise_and = _bitwise("bitwise_and", _registry.jnp.bitwise_and)
bitwise_or = _bitwise("bitwise_or", _registry.jnp.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", _registry.jnp.bitwise_xor)
logical_and = _bitwise("logical_and", _registry.jnp.logical_and)
logical_or = _bitwise("logical_or", _registry.jnp.logical_or)
logical_xor = _bitwise("logical_xor", _registry.jnp.logical_xor)
for _d in (
    OPS["logical_xor"],
    OPS["remainder"],
    OPS["fmod"],
    OPS["bitwise_and"],
    OPS["bitwise_or"],
    OPS["bitwise_xor"],
    OPS["logical_and"],
    OPS["logical_or"],
):
    setattr(Tensor, _d.name, _d.public)
    setattr(Tensor, _d.name + "_", inplace_method(_d.public))


def _invert(self):
    if self.dtype is _D.bool:
        return pointwise.logical_not(self)
    return _bitwise_not(self)


def _integral_input(args, params):
    d = args[0].dtype
    if d.is_floating_point or d.is_complex:
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{_registry._type_word(d)}'")


@_registry.op("bitwise_not", promote=_registry.SAME, differentiable=False, inplace=True, check=_integral_input)
def _bitwise_not(input):
    return _registry.jnp.invert(input)


bitwise_not = _bitwise_not
Tensor.bitwise_not, Tensor.bitwise_not_ = bitwise_not, inplace_method(bitwise_not)


_OPERATORS = {
    "__add__": _binary(pointwise.add),
    "__radd__": _binary(pointwise.add),
    "__sub__": _binary(pointwise.sub),
    "__rsub__": _rsub,
    "__mul__": _binary(pointwise.mul),
    "__rmul__": _binary(pointwise.mul),
    "__truediv__": _binary(pointwise.div),
    "__rtruediv__": _rtruediv,
    "__div__": _binary(pointwise.div),
    "__floordiv__": _floordiv,
    "__rfloordiv__": _rfloordiv,
    "__mod__": _mod,
    "__rmod__": lambda self, other: remainder(Tensor._make(_registry.jnp.asarray(other)), self),
    "__pow__": _binary(pointwise.pow),
    "__rpow__": _rpow,
    "__matmul__": _binary(linalg.matmul),
    "__rmatmul__": _rmatmul,
    "__neg__": pointwise.neg,
    "__pos__": lambda self: self,
    "__abs__": pointwise.abs,
    "__eq__": _binary(pointwise.eq),
    "__ne__": _binary(pointwise.ne),
    "__lt__": _binary(pointwise.lt),
    "__le__": _binary(pointwise.le),
    "__gt__": _binary(pointwise.gt),
    "__ge__": _binary(pointwise.ge),
    "__and__": _binary(bitwise_and),
    "__or__": _binary(bitwise_or),
    "__xor__": _binary(bitwise_xor),
    "__rand__": _binary(bitwise_and),
    "__ror__": _binary(bitwise_or),
    "__rxor__": _binary(bitwise_xor),
    "__invert__": _invert,
    "__iadd__": _iop(pointwise.add),
    "__isub__": _iop(pointwise.sub),
    "__imul__": _iop(pointwise.mul),
    "__itruediv__": _iop(pointwise.div),
    "__ipow__": _iop(pointwise.pow),
    "__imod__": _iop(remainder),
    "__iand__": _iop(bitwise_and),
    "__ior__": _iop(bitwise_or),
    "__ixor__": _iop(bitwise_xor),
}
for _name, _fn in _OPERATORS.items():
    setattr(Tensor, _name, _fn)


def _tensor_args(sig):
    return tuple(i for i, s in enumerate(sig) if isinstance(s, tuple))


# torch's next_functions hold the inputs its formulas differentiate: a Python scalar that selects a Scalar
# overload (`2 - x` is rsub(x, 2)) and index / mask / condition tensors get no edge
for _name in ("rsub", "_pow_base_scalar", "remainder", "fmod"):
    OPS[_name].edges = _tensor_args
for _name in ("clamp", "clamp_min", "clamp_max"):  # (the Number overload has one edge, the Tensor one all three)
    OPS[_name].edges = lambda sig: range(len(sig)) if any(isinstance(s, tuple) for s in sig[1:]) else (0,)
_EDGES = {"_where": (1, 2), "_index": (0,), "_index_put": (0, 1), "_gather": (0,), "_index_select": (0,)}
_EDGES.update({"_topk": (0,), "_selected": (0,), "_sorted_by": (0,), "_masked_select": (0,), "take": (0,)})
for _name, _pos in _EDGES.items():
    OPS[_name].edges = lambda sig, _pos=_pos: _pos
OPS["masked_fill"].edges = lambda sig: (0, 2) if isinstance(sig[2], tuple) else (0,)  # a Tensor value has one
# elementwise ops outside pointwise.py: TensorIterator lays their results out as their strided inputs
for _name in (
    "_div_scalar", "_mul_scalar", "copysign", "digamma", "erfinv", "heaviside", "hypot", "lgamma", "logaddexp",
    "logaddexp2", "logit", "signbit", "sinc", "addcdiv", "addcmul", "atan2", "bitwise_and", "bitwise_or",
    "bitwise_xor", "fmod", "lerp", "logical_and", "logical_or", "logical_xor", "bitwise_not", "nan_to_num",
    "remainder", "isclose", "xlogy",
):  # fmt: skip
    OPS[_name].pointwise = True
Tensor.__hash__ = _tensor.Tensor.__hash__
