"""Tensor: a thin, stateful handle around an immutable jax.Array.

The handle holds torch's autograd state (requires_grad, grad, grad_fn, version, hooks, view base);
the array never changes. In-place ops rebind `_value` and bump the shared version counter, so
`id(t)` is stable exactly as in torch. Ops are attached by `torchish.ops` from the op table.
"""

from __future__ import annotations

import math
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._device import _of_array
from .autograd import grad_mode as _gm
from .autograd.graph import AccumulateGrad, _checked_hook_value, _register_retained, _RemovableHandle

_NO_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal "
    "tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details."
)
_NO_SAVE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
    "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it "
    "in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`."
)


class _NoVersion(list):
    """The version counter of an inference tensor, disabled as torch's is. Outside inference mode a bump (an
    in-place op) is refused, and so is a read: ops read a counter only to save the tensor for backward."""

    __slots__ = ()

    def __getitem__(self, i):
        if _gm._state.inference:
            return 0
        raise RuntimeError(_NO_SAVE)

    def __setitem__(self, i, v):
        if not _gm._state.inference:
            raise RuntimeError(_NO_INPLACE)


class _TensorHook:
    """A hook registered on a tensor: torch checks that it returns None or a gradient like the one it got."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, grad):
        return _checked_hook_value(self.fn, self.fn(grad), grad)


_FREED_NODE = object()  # what a hooks dict was registered on, once the tensor let go of that node


class Size(tuple):
    """torch.Size"""

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


class Tensor:
    __slots__ = (
        "_value",
        "_requires_grad",
        "_grad",
        "_grad_fn",
        "_output_nr",
        "_version_counter",
        "_base",
        "_view_fn",
        "_acc",
        "_hooks",
        "_post_acc_hooks",
        "_retains_grad",
        "_views",
        "_warned_grad",
        "__dict__",
        "__weakref__",
    )
    # rarely set, so kept out of the slots (an instance sets them in its __dict__)
    _alias = None  # weakref of the tensor whose storage this one shares without being its view (detach, .data)
    _perm = None  # an owner laid out in memory dims-order other than row-major: its dims, outermost first
    _alias_chain = ()  # the view kernels from that tensor's value to this one's
    _attr_version = 0  # a view's version when its grad_fn was last set (torch regenerates it lazily after writes)
    # torch's CreationMeta of a view it forbids writing to in place with grad mode on (None: allowed): one of
    # unbind/split's outputs ("multi_output"), made with grad mode off ("no_grad"), or a custom Function's
    # output ("custom_function"); a view of such a view inherits it unless made with grad mode off
    _creation = None
    # torch's _backward_hooks dict: the hooks of this tensor since its grad_fn last changed, run by its
    # AccumulateGrad and registered on the grad_fn it had when the dict was made (_hooks_fn)
    _hooks_fn = None
    # the grad_fn field torch keeps on a multi-output (or no_grad) view whose base was written: its history is
    # refused from then on, but the old node (and the AccumulateGrad it holds) lives, and torch's errors name it
    _refused_grad_fn = None
    _fw_tangent = None  # forward AD: the tangent of a dual tensor (autograd/forward_ad.py)
    _retained_on = None  # the node holding this tensor's retain_grad hook (it can lag behind the grad_fn)

    def __new__(cls, *args, **kwargs):
        # torch.Tensor(data) / torch.Tensor(*sizes): float32 of the default dtype
        from .ops.creation import _legacy_tensor

        return _legacy_tensor(cls, *args, **kwargs)

    @classmethod
    def _make(cls, value: jax.Array, requires_grad: bool = False) -> Tensor:
        t = object.__new__(Tensor if cls is Tensor else cls)
        t._value = value
        t._requires_grad = requires_grad
        t._grad = None
        t._grad_fn = None
        t._output_nr = 0
        # tensors made in inference mode are inference tensors: no version counter
        t._version_counter = _NoVersion((0,)) if _gm._state.inference else [0]
        t._base = None
        t._view_fn = None
        t._acc = None
        t._hooks = None
        t._post_acc_hooks = None
        t._retains_grad = False
        t._views = None
        t._warned_grad = False
        return t

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> Size:
        return Size(self._value.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._value.shape)
        return self._value.shape[_dim_of_sizes(dim, self._value.ndim)]

    def dim(self) -> int:
        return self._value.ndim

    ndim = property(dim)

    def ndimension(self) -> int:
        return self._value.ndim

    def numel(self) -> int:
        return math.prod(self._value.shape)

    nelement = numel

    @property
    def dtype(self) -> D.dtype:
        return D._from_np(self._value.dtype)

    @property
    def device(self):
        return _of_array(self._value)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    is_cpu = property(lambda self: self.device.type == "cpu")
    is_sparse = False
    is_quantized = False
    is_meta = False
    is_mkldnn = False
    layout = "torch.strided"

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self.dtype.itemsize

    def element_size(self) -> int:
        return self._value.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_contiguous(self, memory_format=None) -> bool:
        from .ops.views import _is_contiguous

        return _is_contiguous(self)

    def contiguous(self, memory_format=None) -> Tensor:
        from .ops.basic import contiguous_format

        return self if self.is_contiguous() else self.clone(memory_format=contiguous_format)

    def stride(self, dim: int | None = None):
        from .ops.views import _layout

        st = _layout(self)[0]
        return st if dim is None else st[_dim_of_sizes(dim, self._value.ndim)]

    def storage_offset(self) -> int:
        from .ops.views import _layout

        return _layout(self)[1]

    def get_device(self) -> int:
        d = self.device
        return -1 if d.type == "cpu" else (d.index or 0)

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        # a view follows its base (one made under no_grad, or before the base asked for grad, stays a leaf)
        return (
            self._grad_fn is not None
            or self._requires_grad
            or (self._base is not None and self._base.requires_grad)
            or self._refused_grad_fn is not None  # (the grad_fn field a refused view still holds)
        )

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self._has_grad_fn_field():
            hint = (  # torch gives it only for turning the flag off
                " If you want to use a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
            raise RuntimeError("you can only change requires_grad flags of leaf variables." + ("" if flag else hint))
        if flag and not _grad_dtype(self._value.dtype):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        if flag:
            self._check_not_inference()
        self._requires_grad = bool(flag)

    def _check_not_inference(self) -> None:
        if self._version_counter.__class__ is _NoVersion and not _gm._state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")

    def _has_grad_fn_field(self) -> bool:
        """torch's C++ is_leaf() reads the grad_fn field, which a view refused by handle_view_on_rebase still holds."""
        return self._grad_fn is not None or self._refused_grad_fn is not None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self._has_grad_fn_field():
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
                )
            return self
        if requires_grad and not _grad_dtype(self._value.dtype):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if requires_grad:
            self._check_not_inference()
        self._requires_grad = bool(requires_grad)
        return self

    def is_inference(self) -> bool:
        return self._version_counter.__class__ is _NoVersion

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad_fn(self):
        if self._base is not None:
            self.__dict__.pop("_lazy_old", None)  # (torch rebuilds a stale view's history now: see _rebase_view)
        if self._grad_fn is None and self._base is not None:
            from .ops.views import _stale_view_grad_fn

            _stale_view_grad_fn(self)
        if self._hooks is not None and self._hooks_fn is not self._grad_fn and self._base is not None:
            self._hooks = None  # torch resets a view's hooks when it sees its regenerated grad_fn
        return self._grad_fn

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def grad(self) -> Tensor | None:
        if self._has_grad_fn_field() and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
                "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
                "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf "
                "Tensor by mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information. (Triggered internally at "
                "/__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:493.)",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, new: Tensor | None) -> None:
        if new is not None:
            if not isinstance(new, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {type(new).__name__}"
                )
            if new.dtype is not self.dtype:
                from .ops._registry import _type_word
                from .ops.linalg import _C_NAMES

                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES[new.dtype._name]}' to a tensor with "
                    f"grad_dtype '{_type_word(self.dtype)}'. The gradient must match the tensor's grad_dtype (defaults "
                    "to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or "
                    "None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match."
                )
            if tuple(new.shape) != tuple(self.shape):
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(new.shape)}' to a tensor of size "
                    f"'{list(self.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
        self._grad = new

    def _is_view(self) -> bool:
        return self._base is not None

    @property
    def _version(self) -> int:
        if self._version_counter.__class__ is _NoVersion:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._version_counter[0]

    @property
    def data(self) -> Tensor:
        # the same storage as self, but torch gives it a fresh version counter: writes through it go unnoticed
        t = self.detach()
        t._version_counter = [0]
        return t

    @data.setter
    def data(self, new: Tensor) -> None:
        self._value = new._value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if not self._has_grad_fn_field() or self._retains_grad:  # torch returns before reading grad_fn
            return
        self.grad_fn  # noqa: B018 - torch reads it here: a refused view raises
        self._retains_grad = True
        _register_retained(self)

    def _accumulator(self) -> AccumulateGrad:
        acc = self._acc() if self._acc is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            # torch keeps AccumulateGrad alive only while the graph references it
            self._acc = weakref.ref(acc)
        return acc

    def register_hook(self, hook) -> _RemovableHandle:
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = self._hooks
        if hooks is None:
            # torch sets the dict before it reads grad_fn, so a refused view keeps it when the read raises
            self._hooks_fn = self._grad_fn
            hooks = self._hooks = {}
            fn = self.grad_fn
            self._hooks_fn, self._hooks = fn, hooks
            if fn is not None:  # a non-leaf's hooks also run as its grad_fn's pre-hooks for its output
                if fn._tensor_hooks is None:
                    fn._tensor_hooks = {}
                fn._tensor_hooks[self._output_nr] = hooks
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = _TensorHook(hook)
        return handle

    def register_post_accumulate_grad_hook(self, hook) -> _RemovableHandle:
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        handle = _RemovableHandle(self._post_acc_hooks)
        self._post_acc_hooks[handle.id] = hook
        return handle

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        v = self._value
        # under a JAX transform (torch.func) the value is a tracer: detach must cut its derivative too
        traced = isinstance(v, jax.core.Tracer)
        t = Tensor._make(jax.lax.stop_gradient(v) if traced else v)
        t._version_counter = self._version_counter  # detach shares storage, hence the version counter
        if not traced:  # (a traced alias would lose its stop_gradient when a write re-derives it)
            from .ops.views import _alias

            _alias(t, self)
        return t

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) "
                "for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and "
                "hence detach_() cannot be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        if self._hooks_fn is not None:  # (the dict stays, but no longer keeps that node and its graph alive)
            self._hooks_fn = _FREED_NODE
        self._grad_fn, self._output_nr = None, 0
        self._requires_grad = False
        return self

    # ------------------------------------------------------------------ in-place plumbing
    def _check_inplace(self, grad_recording: bool) -> None:
        # torch's check_inplace: a view's checks first, then the leaf's
        if grad_recording and self._creation is not None:
            from .ops.views import _rebase_error

            raise _rebase_error(self, indirect=False)  # (the field, not the getter that would refuse it first)
        # torch asks whether the view requires grad and its base is a leaf: a base that became a leaf through
        # detach_() still refuses writes through a view that kept its history
        if _gm._state.grad_enabled and self._base is not None and self._base._grad_fn is None and self.requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        if grad_recording and self._grad_fn is None and self._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")

    def _set_value(self, value: jax.Array) -> None:
        if getattr(_gm._state, "write_log", None) is not None:  # inside a torch.func-style trace: see _jaxfn
            from ._jaxfn import note_write

            note_write(self, value)
        self._value = value
        if self._base is not None or self._views or self._alias is not None:
            from .ops.views import _propagate_write

            _propagate_write(self)
        c = self._version_counter
        if c.__class__ is _NoVersion:
            c[0] = 0  # as in torch the write is done, then an inference tensor refuses the bump outside inference mode
        else:
            c[0] += 1

    def _after_inplace_record(self, required_grad: bool = True) -> None:
        self._hooks = None  # a new grad_fn: torch's update_tensor_hooks_on_new_gradfn
        if self._retains_grad:  # torch moves the retain_grad hook to the new grad_fn
            _register_retained(self)
        if self._base is not None:
            from .ops.views import _propagate_grad_fn

            _propagate_grad_fn(self, required_grad)
        elif self._views:
            from .ops.views import _refresh_view_grad_fns

            _refresh_view_grad_fns(self)

    def _overwrite_(self, value: jax.Array) -> Tensor:
        """Write new contents in place (random fills, copy_, fill_): the old contents get no gradient."""
        from .ops.basic import _overwrite

        return _overwrite(self, value)

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return np.asarray(self._value).reshape(()).item()

    def tolist(self):
        a = np.asarray(self._value)
        if a.dtype == D.bfloat16._np:
            a = a.astype(np.float32)
        return a.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return np.asarray(self._value)

    def __array__(self, dtype=None, copy=None):
        a = np.asarray(self._value)
        return a.astype(dtype) if dtype is not None else a

    def __jax_array__(self):
        return self._value

    def __bool__(self) -> bool:
        n = self.numel()
        if n != 1:
            if n == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        if self.requires_grad:  # only float(), and before the size check
            from .ops._registry import warn_once

            warn_once(
                "float of requires_grad",
                "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                "Consider using tensor.detach() first. (Triggered internally at "
                "/__w/pytorch/pytorch/torch/csrc/autograd/generated/python_variable_methods.cpp:822.)",
            )
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.dtype.is_complex or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def _scalar(self, what: str):
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __len__(self) -> int:
        if self._value.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._printing import _tensor_repr

        return _tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec: str) -> str:
        if self._value.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        return (_rebuild, (np.asarray(self._value), self._requires_grad))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the "
                "moment.  If you were attempting to deepcopy a module, this may be because of a torch.nn.utils."
                "weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
            )
        t = Tensor._make(self._value, self._requires_grad)
        if self._grad is not None:
            t._grad = Tensor._make(self._grad._value)
        # the user's attributes; not the storage and view links, the copy is a fresh leaf
        links = ("_alias", "_alias_chain", "_creation")
        t.__dict__.update((k, v) for k, v in self.__dict__.items() if k not in links)
        memo[id(self)] = t
        return t

    def __setstate__(self, state):
        pass


def _rebuild(array, requires_grad):
    return Tensor._make(jnp.asarray(array), requires_grad)


def _wrap(value: jax.Array, requires_grad: bool = False) -> Tensor:
    """A fresh leaf tensor around a jax array."""
    return Tensor._make(value, requires_grad)


def _grad_dtype(np_dtype) -> bool:
    return np_dtype.kind in "fc" or np_dtype == D.bfloat16._np


def _wrap_dim(dim: int, ndim: int) -> int:
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % max(ndim, 1)


def _dim_of_sizes(dim: int, ndim: int) -> int:
    """size(dim) / stride(dim): a 0-dim tensor has no dim to read (where ops wrap dims as if it had one)."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


_C10 = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _c10_name(d: D.dtype) -> str:
    return _C10.get(d._name, d._name)
