"""torchish: torch's API on JAX. `import torchish as torch`."""

from __future__ import annotations

import jax as _jax

# torch's default integer is int64 and float64 must exist: JAX needs x64 mode for both.
_jax.config.update("jax_enable_x64", True)
# torch computes float32 matmuls in full float32 (no TF32) unless told otherwise.
_jax.config.update("jax_default_matmul_precision", "highest")

# ruff: noqa: I001  (import order matters: the Tensor and the op table come before what builds on them)
from . import _dtype  # noqa: E402
from ._dtype import (  # noqa: E402,F401
    bfloat16,
    bool,
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from ._device import device  # noqa: E402,F401
from ._tensor import Size, Tensor  # noqa: E402,F401
from . import ops as _ops  # noqa: E402
from .ops import OPS as _OPS  # noqa: E402
from .ops import bitwise_and, bitwise_or, bitwise_xor, fmod, logical_and, logical_or, remainder  # noqa: E402,F401
from .ops.basic import (  # noqa: E402,F401
    channels_last,
    channels_last_3d,
    clone,
    contiguous_format,
    memory_format,
    preserve_format,
)
from .ops.creation import (  # noqa: E402,F401
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    range,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from .ops.einsum import einsum  # noqa: E402,F401
from .ops.linalg import addbmm, addmm, addmv, addr, bmm, dot, ger, matmul, mm, mv, outer  # noqa: E402,F401
from .ops.pointwise import (  # noqa: E402,F401
    abs,
    acos,
    add,
    asin,
    atan,
    ceil,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    cos,
    cosh,
    div,
    eq,
    erf,
    exp,
    exp2,
    expm1,
    float_power,
    floor,
    frac,
    ge,
    greater,
    greater_equal,
    gt,
    le,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logical_not,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    not_equal,
    pow,
    reciprocal,
    relu,
    round,
    rsqrt,
    rsub,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    sub,
    tan,
    tanh,
    trunc,
    where,
)
from .ops.reduction import (  # noqa: E402,F401
    all,
    amax,
    amin,
    aminmax,
    any,
    argmax,
    argmin,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    nansum,
    nonzero,
    prod,
    softmax,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from .ops.selection import (  # noqa: E402,F401
    addcdiv,
    addcmul,
    argsort,
    atan2,
    index_select,
    isfinite,
    isinf,
    isnan,
    lerp,
    masked_fill,
    masked_select,
    nan_to_num,
    norm,
    renorm,
    sort,
    topk,
)
from .ops.combinatorics import (  # noqa: E402,F401
    cartesian_prod,
    combinations,
    isin,
    tril_indices,
    triu_indices,
    unique_consecutive,
)
from .ops.tensor_extras import adjoint, split_with_sizes, unsafe_chunk, unsafe_split, unsafe_split_with_sizes  # noqa: E402,F401,I001
from .ops.scatters import (  # noqa: E402,F401
    as_strided_scatter,
    diagonal_scatter,
    gather,
    index_put,
    index_reduce,
    masked_scatter,
    put,
    scatter,
    scatter_add,
    scatter_reduce,
    select_scatter,
    slice_scatter,
)
from .ops.shape import _permute_function as permute, _reshape_function as reshape  # noqa: E402,F401
from .ops.shape import (  # noqa: E402,F401
    as_strided,
    atleast_2d,
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    diagonal,
    expand,
    flatten,
    flip,
    hstack,
    narrow,
    repeat,
    roll,
    select,
    split,
    squeeze,
    stack,
    swapaxes,
    swapdims,
    t,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    view,
    vstack,
)
from .autograd import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: E402,F401
from .autograd.anomaly import (  # noqa: E402,F401
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)
from .autograd.grad_mode import is_grad_enabled, is_inference_mode_enabled  # noqa: E402,F401
from ._printing import get_printoptions, printoptions, set_printoptions  # noqa: E402,F401
from ._random import *  # noqa: E402,F401,F403
from ._random import TENSOR_METHODS as _RANDOM_METHODS  # noqa: E402
from .ops.decomp import *  # noqa: E402,F401,F403
from .ops.linalg_extra import _lu as lu, _lu_solve_deprecated as lu_solve  # noqa: E402,F401
from .ops.linalg_extra import lu_unpack, matrix_exp, triangular_solve, vdot  # noqa: E402,F401
from .ops.misc import *  # noqa: E402,F401,F403
from .ops.scans import *  # noqa: E402,F401,F403
from .ops.pointwise_special import *  # noqa: E402,F401,F403
from .ops.aliases import *  # noqa: E402,F401,F403
from .ops.special_ops import *  # noqa: E402,F401,F403
from .ops.order_stats import *  # noqa: E402,F401,F403
from .ops import bitwise_not, logical_xor  # noqa: E402,F401
from .ops.pointwise import deg2rad, rad2deg, sgn  # noqa: E402,F401
from . import autograd, backends, cuda, func, linalg, nn, optim, random, special, testing, utils  # noqa: E402,F401
from .func import vmap  # noqa: E402,F401
from .serialization import load, save  # noqa: E402,F401

for _name, _fn in _RANDOM_METHODS.items():
    setattr(Tensor, _name, _fn)
del _name, _fn

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
cfloat = complex64
cdouble = complex128

__version__ = "2.13.0"


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.dtype.is_floating_point


def numel(input: Tensor) -> int:
    return input.numel()


def result_type(tensor1, tensor2) -> dtype:
    ts = [x for x in (tensor1, tensor2) if isinstance(x, Tensor)]
    scalars = [x for x in (tensor1, tensor2) if not isinstance(x, Tensor)]
    return _dtype._result_type([x.dtype for x in ts if x.dim()], [x.dtype for x in ts if not x.dim()], scalars)


def can_cast(from_: dtype, to: dtype) -> bool:
    return _dtype._category(from_) <= _dtype._category(to)


from ._toplevel import *  # noqa: E402,F401,F403
from .ops._out import guard_method_outs as _guard_method_outs  # noqa: E402

_guard_method_outs(Tensor)  # (once every method is in place)
