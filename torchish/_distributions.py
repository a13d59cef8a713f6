"""torch's CPU random streams, bit for bit, as numpy computations.

Everything here is torch-independent: an engine with the state of ATen's ``CPUGeneratorImpl``
(a 32-bit Mersenne Twister plus the seed and the cached Box-Muller sample) and one function per
CPU kernel that turns engine output into the values torch writes, in torch's iteration order.

The arithmetic follows the compiled kernels, not their source: GCC contracts ``a * b + c`` into
fused multiply-adds in the AVX2 kernels (and ``std::fma`` is explicit elsewhere), and the
transcendental calls are glibc's.  numpy's own SIMD ``log``/``exp``/``tan`` differ from glibc in
the last bit, so those are only used after a probe shows they agree with ``math`` (which calls
libm); otherwise the values go through ``math`` element by element.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from fractions import Fraction

import ml_dtypes
import numpy as np

from ._box_muller import box_muller_avx2, fmadd
from ._tie_order import topk_indices

N_STATE = 624
STATE_BYTES = 5056
DEFAULT_SEED = 67280421310721

_F32 = np.float32
_F64 = np.float64
_U32 = np.uint32
_U64 = np.uint64
_TWO_PI = 2.0 * math.pi


# ----------------------------------------------------------------------------------------- engine


def _temper(y: np.ndarray) -> np.ndarray:
    y = y.astype(_U32)
    y ^= y >> _U32(11)
    y ^= (y << _U32(7)) & _U32(0x9D2C5680)
    y ^= (y << _U32(15)) & _U32(0xEFC60000)
    y ^= y >> _U32(18)
    return y


class Engine:
    """ATen's mt19937 + CPUGeneratorImpl extras, backed by numpy's MT19937 (the same recurrence).

    numpy's bit generator only knows ``pos``; torch also reports ``left``/``next``.  They agree
    (``left == 625 - pos``) except right after seeding (torch reports ``next == 0``) and for
    hand-made states where ``left + next != 625`` - those replay ``state[next:]`` first.
    """

    __slots__ = (
        "_bg",
        "_gen",
        "seed",
        "_exhausted_next",
        "_prefix",
        "_prefix_next",
        "normal_double",
        "normal_float",
    )

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self._bg = np.random.MT19937(0)
        self._gen = np.random.Generator(self._bg)
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        self.seed = seed
        self._bg._legacy_seeding(seed & 0xFFFFFFFF)
        self._exhausted_next = 0
        self._prefix = None
        self._prefix_next = 0
        self.normal_double = None
        self.normal_float = None

    def clone(self) -> Engine:
        other = Engine.__new__(Engine)
        other._bg = np.random.MT19937(0)
        other._bg.state = self._bg.state
        other._gen = np.random.Generator(other._bg)
        for name in ("seed", "_exhausted_next", "_prefix", "_prefix_next", "normal_double", "normal_float"):
            setattr(other, name, getattr(self, name))
        return other

    def restore(self, other: Engine) -> None:
        self._bg.state = other._bg.state
        for name in ("seed", "_exhausted_next", "_prefix", "_prefix_next", "normal_double", "normal_float"):
            setattr(self, name, getattr(other, name))

    # raw draws -----------------------------------------------------------------------------

    def _take_prefix(self, n: int) -> np.ndarray:
        k = min(n, len(self._prefix))
        head, rest = self._prefix[:k], self._prefix[k:]
        self._prefix = rest if len(rest) else None
        self._prefix_next += k
        return head

    def raw32(self, n: int) -> np.ndarray:
        """n outputs of ``random()`` as uint64 values < 2**32 (numpy's raw layout, no copy)."""
        if n <= 0:
            return np.empty(0, _U64)
        self._exhausted_next = None
        if self._prefix is not None:
            head = self._take_prefix(n).astype(_U64)
            if len(head) == n:
                if self._prefix is None:  # used up exactly: torch now reports left=1 and this next
                    self._exhausted_next = self._prefix_next
                return head
            return np.concatenate([head, self._bg.random_raw(n - len(head))])
        return self._bg.random_raw(n)

    def u32(self, n: int) -> np.ndarray:
        return self.raw32(n).astype(_U32)

    def u64(self, n: int) -> np.ndarray:
        """n outputs of ``random64()``: the first 32-bit draw is the high word."""
        if n <= 0:
            return np.empty(0, _U64)
        if self._prefix is not None or not _FAST_U64:
            r = self.raw32(2 * n)
            return (r[0::2] << _U64(32)) | r[1::2]
        self._exhausted_next = None
        return self._gen.integers(0, 2**64, size=n, dtype=_U64)

    def float24(self, n: int) -> np.ndarray:
        """``uniform_real_distribution<float>(0, 1)``: 24 random bits over 2**24."""
        r = self.raw32(n)
        np.bitwise_and(r, _U64(0xFFFFFF), out=r)
        f = r.astype(_F32)
        f *= _F32(2.0**-24)  # exact: a power of two
        return f

    def double53(self, n: int) -> np.ndarray:
        """``uniform_real_distribution<double>(0, 1)``: 53 random bits over 2**53."""
        r = self.u64(n)
        np.bitwise_and(r, _U64((1 << 53) - 1), out=r)
        f = r.astype(_F64)
        f *= 2.0**-53
        return f

    # torch's state tensor -----------------------------------------------------------------------

    def get_state(self) -> np.ndarray:
        st = self._bg.state["state"]
        key, pos = st["key"], int(st["pos"])
        if self._prefix is not None:
            left, nxt = len(self._prefix) + 1, self._prefix_next
        else:
            left = 625 - pos
            nxt = self._exhausted_next if (pos == N_STATE and self._exhausted_next is not None) else pos
        out = np.zeros(STATE_BYTES, np.uint8)
        out[0:8].view(_U64)[0] = self.seed
        out[8:12].view(np.int32)[0] = left
        out[12:16].view(np.int32)[0] = 1
        out[16:24].view(_U64)[0] = nxt
        out[24:5016].view(_U64)[:] = key
        if self.normal_double is not None:
            out[5024:5032].view(_F64)[0] = self.normal_double
            out[5040:5044].view(np.int32)[0] = 1
        if self.normal_float is not None:
            out[5048:5052].view(_F32)[0] = self.normal_float
            out[5052] = 1
        return out

    def set_state(self, data: np.ndarray) -> None:
        """Load a 5056-byte state (size already checked); raises ValueError if torch would refuse it."""
        data = np.ascontiguousarray(data, np.uint8)
        seed = int(data[0:8].view(_U64)[0])
        left = int(data[8:12].view(np.int32)[0])
        seeded = int(data[12:16].view(np.int32)[0])
        nxt = int(data[16:24].view(_U64)[0]) & 0xFFFFFFFF
        key = data[24:5016].view(_U64).astype(_U32)
        # torch keeps `seeded` in a bool, so any nonzero low byte counts
        if not (seeded & 0xFF) or not (0 < left <= N_STATE) or nxt > N_STATE:
            raise ValueError("Invalid mt19937 state")
        prefix = None
        if left > 1 and left + nxt != 625:
            if nxt + left - 1 > N_STATE:
                raise ValueError("Invalid mt19937 state")  # torch would read past its state array
            prefix = _temper(key[nxt : nxt + left - 1])
        self._bg.state = {
            "bit_generator": "MT19937",
            "state": {"key": key, "pos": 625 - left if prefix is None else N_STATE},
        }
        self.seed = seed
        self._exhausted_next = nxt if (left == 1) else None
        self._prefix = prefix
        self._prefix_next = nxt
        self.normal_double = float(data[5024:5032].view(_F64)[0]) if data[5040:5044].view(np.int32)[0] else None
        self.normal_float = float(data[5048:5052].view(_F32)[0]) if data[5052] else None


def _check_fast_u64() -> bool:
    # Generator.integers over the full uint64 range is numpy's next_uint64 (hi word first); make
    # sure this numpy still does that before relying on it.
    a, b = np.random.MT19937(0), np.random.MT19937(0)
    a._legacy_seeding(12345)
    b._legacy_seeding(12345)
    r = a.random_raw(64)
    ref = (r[0::2] << _U64(32)) | r[1::2]
    return bool(np.array_equal(np.random.Generator(b).integers(0, 2**64, size=32, dtype=_U64), ref))


_FAST_U64 = _check_fast_u64()


# ------------------------------------------------------------------------------------------- libm


def _load_libm():
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    except OSError:
        return None
    fn = getattr(lib, "lgamma", None)
    if fn is not None:
        fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_double]
    return lib


_LIBM = _load_libm()


def c_lgamma(x: float) -> float:
    """glibc's lgamma (CPython's math.lgamma is its own implementation)."""
    if _LIBM is not None and hasattr(_LIBM, "lgamma"):
        return _LIBM.lgamma(x)
    return math.lgamma(x)


_PROBES = {
    "log": lambda r: np.concatenate([r, r * 1e6, r * 1e-30]) + 1e-300,
    "log1p": lambda r: np.concatenate([-r, r * 10, -r * 1e-9]),
    "sin": lambda r: r * _TWO_PI,
    "cos": lambda r: r * _TWO_PI,
    "tan": lambda r: (r - 0.5) * math.pi,
    "exp": lambda r: (r - 0.5) * 80,
}
_USE_NUMPY: dict[str, bool] = {}


def libm(name: str, x: np.ndarray) -> np.ndarray:
    """glibc's double ``name`` applied elementwise to ``x`` (float64)."""
    use = _USE_NUMPY.get(name)
    if use is None:
        probe = _PROBES[name](np.random.default_rng(7).random(8192))
        fn = getattr(math, name)
        ref = np.fromiter(map(fn, probe.tolist()), _F64, count=len(probe))
        use = _USE_NUMPY[name] = bool(np.array_equal(getattr(np, name)(probe), ref, equal_nan=True))
    x = np.asarray(x, _F64)
    if use:
        return getattr(np, name)(x)
    fn = getattr(math, name)
    if name in ("log", "log1p"):
        # math raises where libm returns -inf/nan; those inputs only appear at exact 0/1 draws
        def fn(v, _f=fn, _n=name):
            try:
                return _f(v)
            except ValueError:
                return -math.inf if v == (0.0 if _n == "log" else -1.0) else math.nan

    return np.fromiter(map(fn, x.ravel().tolist()), _F64, count=x.size).reshape(x.shape)


# ------------------------------------------------------------------------------- exact arithmetic


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


_SPLIT = 134217729.0  # 2**27 + 1


def _two_prod(a, b):
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _round_to_odd_sum(a, b):
    s, e = _two_sum(a, b)
    s = np.array(s, _F64, copy=True, ndmin=1)
    bump = (e != 0) & ((s.view(_U64) & _U64(1)) == 0)
    if bump.any():
        e = np.broadcast_to(e, s.shape)
        s[bump] = np.nextafter(s[bump], np.where(e[bump] > 0, np.inf, -np.inf))
    return s


def fma64(a, b, c) -> np.ndarray:
    """Correctly rounded float64 ``a * b + c`` (Boldo-Melquiond emulation via round-to-odd)."""
    if np.ndim(c) == 0 and c == 0:
        # one rounding of the product; adding the signed zero settles the sign of a zero result
        return np.asarray(a, _F64) * np.asarray(b, _F64) + _F64(c)
    a, b, c = (np.asarray(v, _F64) for v in (a, b, c))
    shape = np.broadcast_shapes(a.shape, b.shape, c.shape)
    with np.errstate(all="ignore"):
        uh, ul = _two_prod(a, b)
        th, tl = _two_sum(c, ul)
        vh, vl = _two_sum(uh, th)
        z = _round_to_odd_sum(tl, vl)
        out = np.broadcast_to(np.asarray(vh + z, _F64), shape).copy()
        # the error-free transformations need no underflow or overflow in the partial products
        big, tiny = 2.0**990, 2.0**-960
        mag = np.broadcast_to(np.abs(uh), shape)
        hard = ~np.isfinite(out) | (mag > big) | ((mag < tiny) & (mag != 0)) | ((np.abs(out) < tiny) & (out != 0))
        hard |= np.broadcast_to((np.abs(a) > big) | (np.abs(b) > big), shape)
    if hard.any():
        aa, bb, cc = (np.broadcast_to(v, shape) for v in (a, b, c))
        for i in zip(*np.nonzero(hard)):
            x, y, w = float(aa[i]), float(bb[i]), float(cc[i])
            if math.isfinite(x) and math.isfinite(y) and math.isfinite(w):
                exact = Fraction(x) * Fraction(y) + Fraction(w)
                try:
                    out[i] = float(exact) if exact != 0 else (x * y + w)
                except OverflowError:
                    out[i] = math.inf if exact > 0 else -math.inf
            else:
                out[i] = x * y + w
    return out


def to_half_via_float(x: np.ndarray, np_dtype) -> np.ndarray:
    """``static_cast<c10::Half>(double)`` goes through float first (c10 has only a float ctor)."""
    return np.asarray(x).astype(_F32).astype(np_dtype)


def cast_double(x: np.ndarray, np_dtype) -> np.ndarray:
    """``static_cast<scalar_t>(double)`` for every dtype torch's kernels write."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype in (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)):
        return to_half_via_float(x, np_dtype)
    if np_dtype.kind in "iub":
        with np.errstate(invalid="ignore", over="ignore"):
            if np_dtype.kind == "b":
                return np.asarray(x) != 0
            # C's double -> integer conversion truncates; out-of-range results are UB in torch
            return np.trunc(x).astype(np.int64).astype(np_dtype)
    return np.asarray(x).astype(np_dtype)


# ---------------------------------------------------------------------------------------- kernels


def uniform_values(eng: Engine, n: int, np_dtype, lo: float, hi: float) -> np.ndarray:
    """uniform_kernel: opmath (float for half types) uniform, cast, and a value rounded up to
    ``to`` is replaced by ``from`` (ATen's clamp for the half types' rounding)."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype == np.dtype(_F64):
        x = eng.double53(n)
        v = x if (lo == 0 and hi == 1) else fma64(x, hi - lo, lo)
    else:
        x = eng.float24(n)
        flo, fhi = _F32(lo), _F32(hi)
        v = x if (flo == 0 and fhi == 1) else fmadd(x, fhi - flo, flo)
        if np_dtype != np.dtype(_F32):
            v = v.astype(np_dtype)
    to_s, from_s = np.array(hi).astype(_F32).astype(np_dtype), np.array(lo).astype(_F32).astype(np_dtype)
    if np_dtype == np.dtype(_F64):
        to_s, from_s = np.float64(hi), np.float64(lo)
    hit = v == to_s
    if hit.any():
        v[hit] = from_s
    return v


def normal_scalar(eng: Engine, n: int, mean: float, std: float) -> np.ndarray:
    """normal_distribution<double> with the generator's cached second Box-Muller sample."""
    vals = np.empty(n, _F64)
    start = 0
    if n and eng.normal_double is not None:
        vals[0] = eng.normal_double
        eng.normal_double = None
        start = 1
    m = n - start
    if m:
        k = (m + 1) // 2
        u = eng.double53(2 * k)
        r = np.sqrt(-2.0 * libm("log1p", -u[1::2]))
        theta = _TWO_PI * u[0::2]
        pairs = np.empty((k, 2), _F64)
        pairs[:, 0] = r * libm("cos", theta)
        pairs[:, 1] = r * libm("sin", theta)
        flat = pairs.ravel()
        vals[start:] = flat[:m]
        if m % 2:
            eng.normal_double = float(flat[m])
    return fma64(vals, std, mean)


def normal_fill_double(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    g = u.reshape(-1, 16)
    radius = np.sqrt(-2.0 * libm("log", 1.0 - g[:, :8]))
    theta = _TWO_PI * g[:, 8:]
    out = np.empty_like(g)
    out[:, :8] = radius * libm("cos", theta)
    out[:, 8:] = radius * libm("sin", theta)
    return fma64(out, std, mean).reshape(-1)


def normal_values(eng: Engine, n: int, np_dtype, mean: float, std: float, contiguous: bool) -> np.ndarray:
    """normal_kernel: 16-wide Box-Muller for contiguous tensors of 16+ elements, else scalar.

    When n is not a multiple of 16 the last 16 outputs are recomputed from 16 fresh uniforms.
    float/double fill the whole buffer with uniforms first; the half types draw block by block
    into a float scratch buffer, so they draw ``n - n % 16 + 16`` uniforms instead of ``n + 16``.
    """
    np_dtype = np.dtype(np_dtype)
    if n < 16 or not contiguous:
        return cast_double(normal_scalar(eng, n, mean, std), np_dtype)
    tail = n % 16
    head = n - tail
    if np_dtype == np.dtype(_F64):
        u = eng.double53(n + (16 if tail else 0))
        body = normal_fill_double(u[:head], mean, std)
        last = normal_fill_double(u[n:], mean, std) if tail else None
    else:
        u = eng.float24((n if np_dtype == np.dtype(_F32) else head) + (16 if tail else 0))
        body = box_muller_avx2(u[:head], mean, std)
        last = box_muller_avx2(u[len(u) - 16 :], mean, std) if tail else None
    if tail:
        body = np.concatenate([body[: n - 16], last])
    return body if np_dtype in (np.dtype(_F64), np.dtype(_F32)) else body.astype(np_dtype)


def random_from_to_values(eng: Engine, n: int, np_dtype, rng: int, base: int) -> np.ndarray:
    """``(bits % range) + base``, cast through int64 to the dtype."""
    # torch >= 2.6 takes 64 bits for any range >= 2**28, to keep the modulo bias under ~5%
    if rng >= 1 << 28:
        v = (eng.u64(n) % _U64(rng) + _U64(base & 0xFFFFFFFFFFFFFFFF)).view(np.int64)
    else:  # 32-bit division is much cheaper, and base + (< 2**28) cannot wrap for a valid range
        v = (eng.raw32(n).astype(_U32) % _U32(rng)).astype(np.int64)
        v += base
    return _cast_int64(v, np.dtype(np_dtype))


def random_full_range_values(eng: Engine, n: int, np_dtype) -> np.ndarray:
    return _cast_int64(eng.u64(n).view(np.int64), np.dtype(np_dtype))


_RANDOM_MOD = {  # random_(): dtype -> (uses random64, modulus)
    "int64": (True, 1 << 63),
    "int32": (False, 1 << 31),
    "int16": (False, 1 << 15),
    "int8": (False, 1 << 7),
    "uint8": (False, 1 << 8),
    "float64": (True, (1 << 53) + 1),
    "float32": (False, (1 << 24) + 1),
    "float16": (False, (1 << 11) + 1),
    "bfloat16": (False, (1 << 8) + 1),
}


def _cast_int64(v: np.ndarray, np_dtype: np.dtype) -> np.ndarray:
    if np_dtype in (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)):
        return v.astype(_F32).astype(np_dtype)  # int64 -> float -> half, as c10 converts
    if np_dtype.kind == "b":
        return v != 0
    return v.astype(np_dtype)


def random_values(eng: Engine, n: int, np_dtype) -> np.ndarray:
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind == "b":
        return (eng.raw32(n) & _U64(1)).astype(bool)
    wide, mod = _RANDOM_MOD[np_dtype.name]
    bits = eng.u64(n) if wide else eng.raw32(n)
    return _cast_int64((bits % _U64(mod)).view(np.int64), np_dtype)


def bernoulli_scalar_values(eng: Engine, n: int, np_dtype, p: float) -> np.ndarray:
    return cast_double((eng.double53(n) < p).astype(_F64), np_dtype)


def bernoulli_tensor_values(eng: Engine, p: np.ndarray, np_dtype) -> np.ndarray:
    """p already broadcast and flattened in iteration order; double p draws 53-bit uniforms."""
    if p.dtype == np.dtype(_F64):
        hit = eng.double53(len(p)) < p
    else:
        hit = eng.float24(len(p)) < p.astype(_F32)
    return cast_double(hit.astype(_F64), np_dtype)


def exponential_values(eng: Engine, n: int, np_dtype, lambd: float) -> np.ndarray:
    u = eng.double53(n)
    return cast_double((-1.0 / lambd) * libm("log1p", -u), np_dtype)


def geometric_values(eng: Engine, n: int, np_dtype, p: float) -> np.ndarray:
    u = eng.double53(n)
    with np.errstate(divide="ignore"):
        v = np.ceil(libm("log", u) / math.log1p(-p))
    return cast_double(v, np_dtype)


def cauchy_values(eng: Engine, n: int, np_dtype, median: float, sigma: float) -> np.ndarray:
    u = eng.double53(n)
    t = libm("tan", math.pi * (u - 0.5))
    return cast_double(fma64(sigma, t, median), np_dtype)


def log_normal_values(eng: Engine, n: int, np_dtype, mean: float, std: float) -> np.ndarray:
    return cast_double(libm("exp", normal_scalar(eng, n, mean, std)), np_dtype)


def randperm_values(eng: Engine, n: int) -> np.ndarray:
    """ATen's randperm_cpu: Fisher-Yates swapping position i with i + ``random() % (n - i)``."""
    if n < (2**32 - 1) // 20:
        z = (eng.raw32(max(n - 1, 0)) % np.arange(n, 1, -1, dtype=_U64)).astype(np.int64)
        targets = z + np.arange(len(z))
        if n <= 2048:
            perm = list(range(n))
            for i, j in enumerate(targets.tolist()):
                perm[i], perm[j] = perm[j], perm[i]
            return np.array(perm, np.int64)
        return _apply_swaps(targets, n)
    perm = np.empty(n, np.int64)
    for i in range(n):  # inside-out shuffle with random64, as ATen does for huge n
        z = int(eng.u64(1)[0] % _U64(i + 1))
        perm[i] = perm[z]
        perm[z] = i
    return perm


def _apply_swaps(j: np.ndarray, n: int) -> np.ndarray:
    """The result of ``for i: swap(r[i], r[j[i]])`` (j[i] >= i) on r = arange(n), without the loop.

    Position i is final after step i.  Step i reads the content of position j[i], which is what the
    latest earlier step aiming at j[i] carried there (or j[i] itself), and carries away c[i], the
    content of position i at that time - itself what the latest earlier step aiming at i carried.
    Those "latest earlier step with the same target" links are found by grouping steps by target;
    c follows the links to their roots by pointer doubling."""
    m = n - 1
    idx = np.arange(m, dtype=np.int64)
    # stable sort of the steps by target: LSD radix over 16-bit digits (numpy radix-sorts uint16)
    order = np.argsort((j & 0xFFFF).astype(np.uint16), kind="stable")
    for shift in (16, 32, 48):
        if n >> shift:
            order = order[np.argsort(((j[order] >> shift) & 0xFFFF).astype(np.uint16), kind="stable")]
    sj = j[order]
    same = sj[1:] == sj[:-1]
    pred = np.full(m, -1, np.int64)
    pred[order[1:][same]] = order[:-1][same]
    counts = np.bincount(j, minlength=n)
    ends = np.cumsum(counts)
    last = np.where(counts > 0, order[np.maximum(ends - 1, 0)], -1)
    second = np.where(counts > 1, order[np.maximum(ends - 2, 0)], -1)
    pos = np.arange(n, dtype=np.int64)
    prev = np.where(last < pos, last, second)  # a step aiming at itself does not count for its own c
    c = np.where(prev >= 0, prev, pos)
    while True:
        nxt = c[c]
        if np.array_equal(nxt, c):
            break
        c = nxt
    r = np.empty(n, np.int64)
    r[:m] = np.where(j == idx, c[:m], np.where(pred >= 0, c[np.maximum(pred, 0)], j))
    r[m] = c[last[m]] if last[m] >= 0 else m
    return r


def poisson_values(eng: Engine, lam: np.ndarray) -> tuple[np.ndarray, int | None]:
    """sample_poisson per element (rejection sampling, so sequential).  Returns the samples and
    the index of the first negative rate (torch raises there, after drawing for the ones before)."""
    out = np.zeros(len(lam), _F64)
    saved = eng.clone()
    buf: list[float] = []
    used = 0

    def uniform() -> float:
        nonlocal buf, used
        if used == len(buf):
            buf += eng.double53(max(256, len(buf))).tolist()
        used += 1
        return buf[used - 1]

    bad = None
    for i, lmb in enumerate(lam.astype(_F64).tolist()):
        if not lmb >= 0:
            bad = i
            break
        out[i] = _poisson_one(lmb, uniform, math.log)
    # the buffer ran ahead of torch: replay exactly the draws that were used
    eng.restore(saved)
    eng.u64(used)
    return out, bad


def _poisson_one(lmb: float, uniform, log) -> float:
    if lmb >= 10:
        slam = math.sqrt(lmb)
        loglam = log(lmb)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lmb + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (log(v) + log(invalpha) - log(a / (us * us) + b)) <= (-lmb + k * loglam - c_lgamma(k + 1.0)):
                return k
    if lmb == 0:
        return 0
    enlam = math.exp(-lmb)
    x, prod = 0, 1.0
    while True:
        prod *= uniform()
        if prod > enlam:
            x += 1
        else:
            return x


def multinomial_values(eng: Engine, probs: np.ndarray, n_sample: int, replacement: bool) -> np.ndarray:
    """probs: (n_dist, n_categories), any float dtype.  Returns int64 (n_dist, n_sample)."""
    n_dist, n_cat = probs.shape
    if not replacement or n_sample == 1:
        # Gumbel trick, as ATen: argmax / topk of p / q with q ~ Exp(1) drawn in p's dtype
        with np.errstate(invalid="ignore"):
            ok = bool((probs.max() < np.inf) & (probs.min() >= 0)) if probs.size else True
        if not ok:
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        sums = probs.astype(_F64).sum(axis=1) if probs.dtype != _F64 else probs.sum(axis=1)
        if (sums == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = exponential_values(eng, probs.size, probs.dtype, 1.0).reshape(probs.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            if probs.dtype in (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)):
                r = (probs.astype(_F32) / q.astype(_F32)).astype(probs.dtype).astype(_F32)
            else:
                r = probs / q
        if n_sample == 1:
            return np.argmax(r, axis=1).reshape(n_dist, 1).astype(np.int64)
        return np.stack([topk_indices(row, n_sample) for row in r]).astype(np.int64)
    acc = _F64 if probs.dtype == _F64 else _F32
    out = np.empty((n_dist, n_sample), np.int64)
    for i in range(n_dist):
        row = probs[i].astype(acc)
        bad = ~(row >= 0)
        inf = ~np.isfinite(row)
        first = np.flatnonzero(bad | inf)
        if len(first):
            j = first[0]
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)"
                if bad[j]
                else "invalid multinomial distribution (encountering probability entry = infinity or NaN)"
            )
        cum = np.add.accumulate(row, dtype=acc)
        total = cum[-1] if n_cat else acc(0)
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = cum / total
        cum[-1] = 1
        out[i] = np.searchsorted(cum.astype(_F64), eng.double53(n_sample), side="left")
    return out
