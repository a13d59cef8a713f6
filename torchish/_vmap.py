"""torch.func.vmap on jax.vmap: torch's argument checks and texts, in_dims / out_dims over pytrees.

The function is traced once per call on per-example shapes (batched dims removed); `_jaxfn` compiles
jax.vmap of the trace and caches it by structure. A trace that needs a batched value in Python
(`.item()`, `if tensor:`) fails the way torch's vmap fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

from . import _jaxfn as J
from ._pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten


def _Tensor():
    from ._tensor import Tensor

    return Tensor


def _check_randomness_arg(randomness: str) -> None:
    if randomness not in ["error", "different", "same"]:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


def _get_name(func: Callable) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)


def _check_out_dims(out_dims: Any, func: Callable) -> None:
    if isinstance(out_dims, int):
        return
    for x in tree_flatten(out_dims)[0]:
        if not (isinstance(x, int) or x is None):
            raise ValueError(
                f"vmap({_get_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python "
                "collection of ints representing where in the outputs the vmapped dimension should appear."
            )


def _process_batched_inputs(in_dims: Any, args: tuple, func: Callable):
    Tensor = _Tensor()
    name = _get_name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a (potentially nested) "
            f"tuple matching the structure of inputs, got: {type(in_dims)}."
        )
    if len(args) == 0:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying to vmap over a "
            "function with no inputs. The latter is unsupported."
        )
    flat_args, args_spec = tree_flatten(args)
    flat_in_dims = broadcast_to_and_flatten(in_dims, args_spec)
    if flat_in_dims is None:
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the structure of "
            f"`inputs`. in_dims has structure {tree_flatten(in_dims)[1]} but inputs has structure {args_spec}."
        )
    for i, (arg, in_dim) in enumerate(zip(flat_args, flat_in_dims)):
        if not isinstance(in_dim, int) and in_dim is not None:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an input but in_dim must "
                "be either an integer dimension or None."
            )
        if isinstance(in_dim, int) and not isinstance(arg, Tensor):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an input but the input is "
                f"of type {type(arg)}. We cannot vmap over non-Tensor arguments, please use None as the respective "
                "in_dim"
            )
        if in_dim is not None and (in_dim < -arg.dim() or in_dim >= arg.dim()):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for some input, but that input "
                f"is a Tensor of dimensionality {arg.dim()} so expected in_dim to satisfy -{arg.dim()} <= in_dim < "
                f"{arg.dim()}."
            )
        if in_dim is not None and in_dim < 0:
            flat_in_dims[i] = in_dim % arg.dim()
    sizes = [arg.size(d) for d, arg in zip(flat_in_dims, flat_args) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
            f"{sizes} for the mapped dimension"
        )
    return sizes[0], flat_in_dims, flat_args, args_spec


def vmap(
    func: Callable,
    in_dims: int | tuple = 0,
    out_dims: int | tuple = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable:
    _check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _check_out_dims(out_dims, func)
        size, flat_in_dims, flat_args, args_spec = _process_batched_inputs(in_dims, args, func)
        return _vmap_call(func, size, flat_in_dims, flat_args, args_spec, out_dims, kwargs)

    return wrapped


def _vmap_call(func, size, flat_in_dims, flat_args, args_spec, out_dims, kwargs):
    Tensor = _Tensor()
    name = _get_name(func)
    tpos = [i for i, x in enumerate(flat_args) if isinstance(x, Tensor)]
    tensors = [flat_args[i] for i in tpos]
    arrays = [t._value for t in tensors]
    in_axes = tuple(flat_in_dims[i] for i in tpos)
    avals = [
        jax.ShapeDtypeStruct(a.shape[:ax] + a.shape[ax + 1 :], a.dtype) if ax is not None else J.aval_of(a)
        for a, ax in zip(arrays, in_axes)
    ]
    d: dict = {}

    def fn(*xs):
        leaves = list(flat_args)
        for i, x in zip(tpos, xs):
            leaves[i] = Tensor._make(x)
        out = func(*tree_unflatten(leaves, args_spec), **kwargs)
        flat_out, out_spec = tree_flatten(out)

        def incompatible():
            raise ValueError(
                f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the structure of "
                f"`outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs has structure {out_spec}."
            )

        if isinstance(out, Tensor):
            if isinstance(out_dims, int) or out_dims is None:
                flat_dims = [out_dims]
            elif isinstance(out_dims, tuple) and len(out_dims) == 1:
                flat_dims = list(out_dims)
            else:
                incompatible()
        else:
            flat_dims = broadcast_to_and_flatten(out_dims, out_spec)
            if flat_dims is None:
                incompatible()
        arrays_out, axes, slots = [], [], []
        for k, (o, od) in enumerate(zip(flat_out, flat_dims)):
            if od is None and not isinstance(o, Tensor):
                continue
            if not isinstance(o, Tensor):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(o)}. Did you mean to set "
                    "out_dims= to None for output?"
                )
            if od is not None:
                n = o.dim() + 1
                if not -n <= od < n:
                    raise IndexError(
                        f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {od})"
                    )
                od %= n
            arrays_out.append(o._value)
            axes.append(od)
            slots.append(k)
        # only the static (non-tensor) results are kept: a traced tensor must not outlive the trace
        static = [None if isinstance(o, Tensor) else o for o in flat_out]
        d.update(flat_out=static, out_spec=out_spec, axes=tuple(axes), slots=slots)
        return tuple(arrays_out)

    try:
        with J.guarded():
            closed = jax.make_jaxpr(fn)(*avals)
    except J.CONCRETE_ERRORS as e:
        raise RuntimeError(_vmap_concrete_message(e)) from None
    except RuntimeError as e:
        if not J.is_captured_write(e):
            raise
        # torch's vmap cannot write a batched value into an unbatched tensor the function closed over
        old, new = e.torchish_shapes
        raise RuntimeError(f"output with shape {list(old)} doesn't match the broadcast shape {[size, *new]}") from None
    axes = d["axes"]

    def build(g):
        return jax.vmap(g, in_axes=in_axes, out_axes=axes, axis_size=size)

    try:
        res = J.apply(("vmap", in_axes, axes, size), closed, fn, arrays, build, sources=tensors)
    except ValueError as e:
        if "out_axes" in str(e):
            raise ValueError(
                f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None"
            ) from None
        raise
    flat_out = list(d["flat_out"])
    for k, r in zip(d["slots"], res):
        flat_out[k] = r
    return tree_unflatten(flat_out, d["out_spec"])


def _vmap_concrete_message(e: Exception) -> str:
    tb, in_bool = e.__traceback__, False
    while tb is not None:  # Tensor.__bool__ may reach the tracer through .item()
        in_bool |= tb.tb_frame.f_code.co_name == "__bool__"
        tb = tb.tb_next
    if in_bool or isinstance(e, jax.errors.TracerBoolConversionError):
        return (
            "vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. We don't "
            "support that yet, please file an issue at https://github.com/pytorch/pytorch/issues ."
        )
    return (
        "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over calling .item() on a "
        "Tensor, please try to rewrite what you're doing with other operations. If error is occurring somewhere "
        "inside PyTorch internals, please file a bug report."
    )
