"""Core speed: the same torch-style code under torch (1 thread), torchish and hand-written JAX.

Prints median times and ratios (torchish / torch, torchish / jax). Run: python benchmarks/bench_core.py
"""

from __future__ import annotations

import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import torch

import torchish

torch.set_num_threads(1)


def _calibrate(fn, warmup=3):
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    return max(5, min(20000, int(0.1 / max(time.perf_counter() - t0, 1e-7))))  # ~0.1 s per sample


def compare(*fns, rounds=7):
    """Median seconds per call of each fn, sampled in interleaved rounds so that drift in the machine's
    speed (other tenants, frequency scaling) hits every contender alike. None entries are skipped."""
    reps = [_calibrate(f) if f is not None else 0 for f in fns]
    samples = [[] for _ in fns]
    for _ in range(rounds):
        for k, f in enumerate(fns):
            if f is None:
                continue
            t0 = time.perf_counter()
            for _ in range(reps[k]):
                f()
            samples[k].append((time.perf_counter() - t0) / reps[k])
    return [statistics.median(s) if s else None for s in samples]


def seed_graph(m):
    w = m.tensor([1.0], requires_grad=True)
    x = m.tensor([2.0], requires_grad=True)
    y = m.mul(m.add(w, x), m.add(w, 1))
    y.backward()
    return w.grad


def mlp_case():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 784), dtype=np.float32)
    W1 = rng.standard_normal((784, 256), dtype=np.float32) * 0.05
    W2 = rng.standard_normal((256, 10), dtype=np.float32) * 0.05

    def make(m):
        x = m.tensor(X)
        w1 = m.tensor(W1, requires_grad=True)
        w2 = m.tensor(W2, requires_grad=True)

        def step():
            w1.grad = None
            w2.grad = None
            (m.tanh(x @ w1) @ w2).sum().backward()
            return w1.grad

        return step

    def jax_step():
        def loss(w1, w2, x):
            return (jnp.tanh(x @ w1) @ w2).sum()

        g = jax.jit(jax.grad(loss, argnums=(0, 1)))
        x, w1, w2 = jnp.asarray(X), jnp.asarray(W1), jnp.asarray(W2)
        return lambda: g(w1, w2, x)[0].block_until_ready()

    return make(torch), make(torchish), jax_step()


def chain_case(n=100):
    def make(m):
        x = m.ones(16, requires_grad=True)

        def step():
            x.grad = None
            y = x
            for _ in range(n):
                y = m.sin(y) * 1.01
            y.sum().backward()
            return x.grad

        return step

    def jax_step():
        def f(x):
            for _ in range(n):
                x = jnp.sin(x) * 1.01
            return x.sum()

        g = jax.jit(jax.grad(f))
        x = jnp.ones(16, jnp.float32)
        return lambda: g(x).block_until_ready()

    return make(torch), make(torchish), jax_step()


def main():
    rows = []
    xt, xi, xj = torch.ones(1), torchish.ones(1), jnp.ones(1, jnp.float32)
    rows.append(
        (
            "x + 1.0 (1 element)",
            *compare(
                lambda: xt + 1.0, lambda: (xi + 1.0)._value.block_until_ready(), lambda: (xj + 1.0).block_until_ready()
            ),
        )
    )
    rows.append(
        (
            "seed graph fwd+bwd",
            *compare(lambda: seed_graph(torch), lambda: seed_graph(torchish)._value.block_until_ready(), None),
        )
    )
    ts, ti, tj = mlp_case()
    before = torchish.autograd.stats()["compiles"]
    rows.append(("MLP step 128x784-256-10", *compare(ts, lambda: ti()._value.block_until_ready(), tj)))
    compiles = torchish.autograd.stats()["compiles"] - before
    cs, ci, cj = chain_case()
    rows.append(("chain 100x(sin, *1.01) fwd+bwd", *compare(cs, lambda: ci()._value.block_until_ready(), cj)))
    print(f"{'case':34} {'torch':>10} {'torchish':>10} {'jax':>10} {'ish/torch':>10} {'ish/jax':>9}")
    for name, t, i, j in rows:
        js = f"{j * 1e6:9.1f}us" if j else f"{'-':>10}"
        rj = f"{i / j:8.2f}x" if j else f"{'-':>9}"
        print(f"{name:34} {t * 1e6:9.1f}us {i * 1e6:9.1f}us {js} {i / t:9.2f}x {rj}")
    print(f"backward compiles during the MLP timing loop (after warm-up): {compiles} (1 = compiled once)")
    print(
        f"device: {jax.devices()[0].platform}; torch threads: {torch.get_num_threads()}; "
        "medians of 7 interleaved rounds"
    )


if __name__ == "__main__":
    main()
