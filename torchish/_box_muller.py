"""ATen's AVX2 Box-Muller for float32 (``normal_fill_16_AVX2``), bit for bit.

torch fills a contiguous float tensor of 16+ elements with 24-bit uniforms, then turns each block
of 16 into normals: ``radius = sqrt(-2 log(1 - u[j]))``, ``theta = 2 pi u[j + 8]``, outputs
``radius * cos(theta)`` and ``radius * sin(theta)``.  log/sincos are ``log256_ps`` and
``sincos256_ps`` from avx_mathfun.h (Cephes polynomials) in float32.  The torch wheel is built by
GCC with -mfma and FP contraction on, so every float ``mul`` whose only use is an ``add``/``sub``
became a fused multiply-add; we redo the same float32 arithmetic with the same fusions.

A fused step is computed in float64, where the product of two floats is exact, then rounded once
to float32.  That equals the true fused result unless the float64 sum is inexact *and* lands
exactly halfway between two floats.  The polynomials only ever see 2**24 distinct inputs each (the
24-bit uniforms), and an exhaustive sweep (tests/test_random.py, thorough profile) shows that no
input hits that case.  Only the final ``n * std + mean`` depends on user values; it is computed
exactly (round-to-odd) when ``mean != 0``.

Large inputs go through the same arithmetic jitted by XLA on the CPU.  XLA contracts float ``a*b+c``
into FMAs on its own, so the XLA version writes every fused step in float64 (where contraction
cannot change anything: the product is exact) and every unfused product feeds a conversion or a
multiply, never an add.
"""

from __future__ import annotations

import math

import numpy as np

_F32 = np.float32
_F64 = np.float64
_U32 = np.uint32
_U64 = np.uint64

C = {
    k: _F32(v)
    for k, v in dict(
        sqrthf=0.707106781186547524,
        p0=7.0376836292e-2,
        p1=-1.1514610310e-1,
        p2=1.1676998740e-1,
        p3=-1.2420140846e-1,
        p4=1.4249322787e-1,
        p5=-1.6668057665e-1,
        p6=2.0000714765e-1,
        p7=-2.4999993993e-1,
        p8=3.3333331174e-1,
        q1=-2.12194440e-4,
        q2=0.693359375,
        dp1=-0.78515625,
        dp2=-2.4187564849853515625e-4,
        dp3=-3.77489497744594108e-8,
        s0=-1.9515295891e-4,
        s1=8.3321608736e-3,
        s2=-1.6666654611e-1,
        c0=2.443315711809948e-005,
        c1=-1.388731625493765e-003,
        c2=4.166664568298827e-002,
        fopi=1.27323954473516,
        two_pi=2.0 * math.pi,
    ).items()
}
LOG_P = [C[f"p{i}"] for i in range(1, 9)]
MIN_NORM = np.array(0x00800000, _U32).view(_F32)
XLA_MIN = 1 << 18  # below this the numpy version wins (and no compile is paid)


def _round_to_odd_sum(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    s = p + c
    bb = s - p
    err = (p - (s - bb)) + (c - bb)
    s = np.array(s, _F64, ndmin=1)
    bump = (err != 0) & ((s.view(_U64) & _U64(1)) == 0)
    if bump.any():
        err = np.broadcast_to(err, s.shape)
        s[bump] = np.nextafter(s[bump], np.where(err[bump] > 0, np.inf, -np.inf))
    return s


_TINY = _F32(2.0**-125)


def fma32(a, b, c) -> np.ndarray:
    """Correctly rounded float32 ``a*b + c``.

    The float64 product is exact, so only the sum rounds twice (to float64, then to float32);
    that can go wrong only where the float64 sum sits exactly halfway between two floats (or in
    the subnormal range).  Those lanes are redone with a round-to-odd sum, which makes the final
    rounding correct."""
    p = np.asarray(a, _F64) * np.asarray(b, _F64)
    if np.ndim(c) == 0 and c == 0:
        return p.astype(_F32) + _F32(c)  # one rounding; the signed zero settles zero signs
    c64 = np.asarray(c, _F64)
    s = np.asarray(p + c64)
    r = np.array(s.astype(_F32), ndmin=1)
    with np.errstate(invalid="ignore"):
        suspect = ((s.view(_U64) & _U64((1 << 29) - 1)) == _U64(1 << 28)) | (np.abs(r) < _TINY)
    if suspect.any():
        idx = np.flatnonzero(np.broadcast_to(suspect, r.shape))
        pp = np.broadcast_to(p, r.shape).reshape(-1)[idx]
        cc = np.broadcast_to(c64, r.shape).reshape(-1)[idx]
        r.reshape(-1)[idx] = _round_to_odd_sum(pp, cc).astype(_F32)
    return r.reshape(s.shape)


# ------------------------------------------------------------------------------------------- numpy


class _Fused:
    """float32 fused multiply-add through a float64 scratch buffer (see the module docstring)."""

    def __init__(self, n: int) -> None:
        self.t64 = np.empty(n, _F64)

    def __call__(self, a, b, c, out):
        t = self.t64[: len(out)]
        np.multiply(a, b, out=t, dtype=_F64)
        np.add(t, c, out=t)
        np.copyto(out, t, casting="unsafe")
        return out


def log256(x: np.ndarray, fma) -> np.ndarray:
    """log256_ps; ``x`` is consumed."""
    n = len(x)
    invalid = x <= 0
    np.maximum(x, MIN_NORM, out=x)
    xi = x.view(_U32)
    e = (xi >> _U32(23)).view(np.int32)
    e -= 0x7E  # exponent - 127, plus the kernel's "e += 1"
    e = e.astype(_F32)
    np.bitwise_and(xi, _U32(0x807FFFFF), out=xi)
    np.bitwise_or(xi, _U32(0x3F000000), out=xi)
    mask = x < C["sqrthf"]
    tmp = np.where(mask, x, _F32(0))
    x -= _F32(1)
    e -= mask
    x += tmp
    z = x * x
    y = np.full(n, C["p0"], _F32)
    for p in LOG_P:
        fma(y, x, p, y)
    y *= x
    fma(y, z, e * C["q1"], y)  # y*z + e*q1: GCC fused the first product
    z *= _F32(-0.5)
    y += z  # y - z*0.5, fused; z*(-0.5) is exact, so one rounded add is the same thing
    x += y
    fma(e, C["q2"], x, x)  # (x + y) + e*q2
    x[invalid] = np.nan
    return x


def sincos256(x: np.ndarray, fma):
    """sincos256_ps; ``x`` is consumed."""
    n = len(x)
    xi = x.view(_U32)
    sign_sin = xi & _U32(0x80000000)
    np.bitwise_and(xi, _U32(0x7FFFFFFF), out=xi)
    j = (x * C["fopi"]).astype(np.int32)  # truncation, as cvttps
    j += 1
    j &= ~1
    y = j.astype(_F32)
    sign_sin ^= ((j & 4) << 29).view(_U32)
    poly = (j & 2) == 0
    j -= 2
    np.invert(j, out=j)
    j &= 4
    j <<= 29
    sign_cos = j.view(_U32)
    for d in ("dp1", "dp2", "dp3"):
        fma(y, C[d], x, x)
    z = x * x
    yc = np.empty(n, _F32)
    fma(z, C["c0"], C["c1"], yc)
    fma(yc, z, C["c2"], yc)
    yc *= z
    hz = z * _F32(-0.5)
    fma(yc, z, hz, yc)  # y*z - z*0.5: the first product is the fused one
    yc += _F32(1)
    ys = y  # reuse the buffer
    fma(z, C["s0"], C["s1"], ys)
    fma(ys, z, C["s2"], ys)
    ys *= z
    fma(ys, x, x, ys)
    s = np.where(poly, ys, yc)
    c = np.where(poly, yc, ys)
    s.view(_U32)[...] ^= sign_sin
    c.view(_U32)[...] ^= sign_cos
    return s, c


def _radius_cos_sin_numpy(u: np.ndarray) -> np.ndarray:
    """(blocks, 16) uniforms -> (blocks, 16) of radius*cos | radius*sin, before std/mean."""
    out = np.empty_like(u)
    chunk = 2048  # blocks per pass: the scratch arrays stay in cache
    fma = _Fused(chunk * 8)
    with np.errstate(invalid="ignore", over="ignore"):
        for b in range(0, len(u), chunk):
            blk = u[b : b + chunk]
            radius = log256(np.subtract(_F32(1), blk[:, :8]).ravel(), fma)
            radius *= _F32(-2)
            np.sqrt(radius, out=radius)
            s, c = sincos256(np.multiply(C["two_pi"], blk[:, 8:]).ravel(), fma)
            c *= radius
            s *= radius
            out[b : b + chunk, :8] = c.reshape(-1, 8)
            out[b : b + chunk, 8:] = s.reshape(-1, 8)
    return out


# --------------------------------------------------------------------------------------------- XLA

_XLA_CHUNK = 1 << 18  # elements per jitted call: one compile per process
_xla_fn = None


def _build_xla():
    import jax
    import jax.numpy as jnp
    from jax import lax

    f32, f64 = jnp.float32, jnp.float64
    k = {name: float(v) for name, v in C.items()}

    def fused(a, b, c):
        a = a.astype(f64)
        b = b.astype(f64) if hasattr(b, "astype") else b
        c = c.astype(f64) if hasattr(c, "astype") else c
        return (a * b + c).astype(f32)

    def log_(x):
        invalid = x <= 0
        x = jnp.maximum(x, jnp.asarray(MIN_NORM))
        xi = lax.bitcast_convert_type(x, jnp.uint32)
        e = ((xi >> 23).astype(jnp.int32) - 0x7E).astype(f32)
        x = lax.bitcast_convert_type((xi & 0x807FFFFF) | 0x3F000000, f32)
        mask = x < k["sqrthf"]
        tmp = jnp.where(mask, x, f32(0))
        x = (x - f32(1)) + tmp
        e = e - mask.astype(f32)
        z = x * x
        y = jnp.full(x.shape, k["p0"], f32)
        for p in LOG_P:
            y = fused(y, x, float(p))
        y = y * x
        y = fused(y, z, e * f32(k["q1"]))
        y = (y.astype(f64) - z.astype(f64) * 0.5).astype(f32)
        return jnp.where(invalid, jnp.nan, fused(e, k["q2"], x + y))

    def sincos_(x):
        xi = lax.bitcast_convert_type(x, jnp.uint32)
        sign_sin = xi & jnp.uint32(0x80000000)
        x = lax.bitcast_convert_type(xi & 0x7FFFFFFF, f32)
        j = (x * f32(k["fopi"])).astype(jnp.int32)
        j = (j + 1) & ~1
        y = j.astype(f32)
        sign_sin = sign_sin ^ ((j & 4) << 29).astype(jnp.uint32)
        poly = (j & 2) == 0
        sign_cos = ((~(j - 2) & 4) << 29).astype(jnp.uint32)
        for d in ("dp1", "dp2", "dp3"):
            x = fused(y, k[d], x)
        z = x * x
        yc = fused(fused(z, k["c0"], k["c1"]), z, k["c2"]) * z
        yc = (yc.astype(f64) * z.astype(f64) - (z * f32(0.5)).astype(f64)).astype(f32) + f32(1)
        ys = fused(fused(z, k["s0"], k["s1"]), z, k["s2"]) * z
        ys = fused(ys, x, x)
        s = jnp.where(poly, ys, yc)
        c = jnp.where(poly, yc, ys)
        s = lax.bitcast_convert_type(lax.bitcast_convert_type(s, jnp.uint32) ^ sign_sin, f32)
        c = lax.bitcast_convert_type(lax.bitcast_convert_type(c, jnp.uint32) ^ sign_cos, f32)
        return s, c

    def kernel(u):
        # the std/mean step stays in numpy: fused into this, XLA recomputes the polynomials
        g = u.reshape(-1, 16)
        r = jnp.sqrt(f32(-2) * log_(f32(1) - g[:, :8]))
        s, c = sincos_(f32(k["two_pi"]) * g[:, 8:])
        return jnp.concatenate([r * c, r * s], axis=1).reshape(-1)

    cpu = jax.devices("cpu")[0]
    jitted = jax.jit(kernel)

    def run(u: np.ndarray) -> np.ndarray:
        out = np.empty(u.size, _F32)
        flat_u = u.reshape(-1)
        for start in range(0, len(flat_u), _XLA_CHUNK):
            piece = flat_u[start : start + _XLA_CHUNK]
            k = len(piece)
            if k < _XLA_CHUNK:  # pad the last piece: one shape, one compile
                piece = np.concatenate([piece, np.zeros(_XLA_CHUNK - k, _F32)])
            out[start : start + k] = np.asarray(jitted(jax.device_put(piece, cpu)))[:k]
        return out

    return run


def fmadd(n: np.ndarray, std: np.float32, mean: np.float32) -> np.ndarray:
    """``_mm256_fmadd_ps(n, std, mean)`` over a float32 array, in cache-sized pieces."""
    out = np.empty_like(n)
    if mean == 0:
        # the exact product rounded once; adding the signed zero settles the sign of zeros
        np.multiply(n, std, out=out)
        out += mean
        return out
    chunk = 1 << 15
    t = np.empty(min(chunk, len(n)), _F64)
    bits = np.empty(len(t), _U64)
    hit = np.empty(len(t), bool)
    redo = []
    for i in range(0, len(n), chunk):
        x, o = n[i : i + chunk], out[i : i + chunk]
        k = len(x)
        np.multiply(x, std, out=t[:k], dtype=_F64)
        t[:k] += mean
        np.copyto(o, t[:k], casting="unsafe")
        np.bitwise_and(t[:k].view(_U64), _U64((1 << 29) - 1), out=bits[:k])
        np.equal(bits[:k], _U64(1 << 28), out=hit[:k])
        hit[:k] |= np.abs(o) < _TINY
        if hit[:k].any():
            idx = np.flatnonzero(hit[:k])
            # most of these sums are exact (short std/mean): those rounded once and are right
            p, sm = x[idx].astype(_F64) * _F64(std), t[idx]
            exact = ((sm - p) == _F64(mean)) & ((sm - _F64(mean)) == p) & (np.abs(o[idx]) >= _TINY)
            redo.append(idx[~exact] + i)
    idx = np.concatenate(redo) if redo else ()
    if len(idx):  # inexact float64 sums exactly halfway between two floats: round them once
        out[idx] = _round_to_odd_sum(n[idx].astype(_F64) * _F64(std), _F64(mean)).astype(_F32)
    return out


def box_muller_avx2(u: np.ndarray, mean: float, std: float, use_xla: bool | None = None) -> np.ndarray:
    """normal_fill_16_AVX2 over consecutive 16-value blocks of float32 uniforms."""
    global _xla_fn
    g = u.reshape(-1, 16)
    if use_xla is None:
        use_xla = u.size >= XLA_MIN
    if use_xla:
        if _xla_fn is None:
            _xla_fn = _build_xla()
        n = _xla_fn(g)
    else:
        n = _radius_cos_sin_numpy(g).reshape(-1)
    return fmadd(n, _F32(std), _F32(mean))
