"""Training-step benchmark: the same torch-style MLP / CNN step under torch, torchish and hand-written JAX.

    python benchmarks/bench_nn.py [--steps N]

Each step is forward, loss, backward, optimizer step (SGD with momentum, then Adam). torch runs with one
thread; the JAX step is one jitted function (value_and_grad + update), the floor for what torchish can
reach. Printed: median milliseconds per step and ratios to torch.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import torch

import torchish

torch.set_num_threads(1)


def _mlp(m):
    n = m.nn
    return n.Sequential(n.Linear(784, 256), n.ReLU(), n.Linear(256, 10))


def _cnn(m):
    n = m.nn
    return n.Sequential(
        n.Conv2d(1, 8, 3, padding=1),
        n.ReLU(),
        n.MaxPool2d(2),
        n.Conv2d(8, 16, 3, padding=1),
        n.ReLU(),
        n.MaxPool2d(2),
        n.Flatten(),
        n.Linear(16 * 7 * 7, 10),
    )


MODELS = {"mlp": (_mlp, (64, 784)), "cnn": (_cnn, (32, 1, 28, 28))}


def _time(step, steps: int) -> float:
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def _framework_step(m, model_name: str, opt_name: str, x: np.ndarray, y: np.ndarray):
    build, _ = MODELS[model_name]
    m.manual_seed(0)
    net = build(m)
    opt = (
        m.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        if opt_name == "sgd"
        else m.optim.Adam(net.parameters(), lr=1e-3)
    )
    loss_fn = m.nn.CrossEntropyLoss()
    xt, yt = m.tensor(x), m.tensor(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(net(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _jax_step(model_name: str, opt_name: str, x: np.ndarray, y: np.ndarray):
    """The same model and update, written directly in JAX and jitted as one function."""
    torch.manual_seed(0)
    ref = MODELS[model_name][0](torch)
    params = [jnp.asarray(p.detach().numpy()) for p in ref.parameters()]

    def forward(ps, xb):
        if model_name == "mlp":
            h = jax.nn.relu(xb @ ps[0].T + ps[1])
            return h @ ps[2].T + ps[3]
        dn = ("NCHW", "OIHW", "NCHW")
        h = xb
        for i in (0, 2):
            h = jax.lax.conv_general_dilated(h, ps[i], (1, 1), ((1, 1), (1, 1)), dimension_numbers=dn)
            h = jax.nn.relu(h + ps[i + 1][None, :, None, None])
            h = jax.lax.reduce_window(h, np.float32(-np.inf), jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        h = h.reshape(h.shape[0], -1)
        return h @ ps[4].T + ps[5]

    def loss_fn(ps, xb, yb):
        logp = jax.nn.log_softmax(forward(ps, xb))
        return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))

    if opt_name == "sgd":
        state = [jnp.zeros_like(p) for p in params]

        @jax.jit
        def update(ps, st, xb, yb):
            loss, gs = jax.value_and_grad(loss_fn)(ps, xb, yb)
            st = [0.9 * b + g for b, g in zip(st, gs)]
            return [p - 0.01 * b for p, b in zip(ps, st)], st, loss
    else:
        state = ([jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params], jnp.zeros((), jnp.float32))

        @jax.jit
        def update(ps, st, xb, yb):
            loss, gs = jax.value_and_grad(loss_fn)(ps, xb, yb)
            m_, v_, t = st
            t = t + 1
            m_ = [0.9 * a + 0.1 * g for a, g in zip(m_, gs)]
            v_ = [0.999 * a + 0.001 * g * g for a, g in zip(v_, gs)]
            ps = [p - 1e-3 / (1 - 0.9**t) * a / (jnp.sqrt(b / (1 - 0.999**t)) + 1e-8) for p, a, b in zip(ps, m_, v_)]
            return ps, (m_, v_, t), loss

    xb, yb = jnp.asarray(x), jnp.asarray(y)
    box = [params, state]

    def step():
        box[0], box[1], loss = update(box[0], box[1], xb, yb)
        return float(loss)

    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(
        f"{'model':5} {'opt':5} {'torch ms':>9} {'torchish ms':>12} {'jax ms':>8} {'ish/torch':>10} {'jax/torch':>10}"
    )
    for model_name, (_, shape) in MODELS.items():
        x = rng.standard_normal(shape).astype(np.float32)
        y = rng.integers(0, 10, shape[0]).astype(np.int64)
        for opt_name in ("sgd", "adam"):
            t_torch = _time(_framework_step(torch, model_name, opt_name, x, y), args.steps)
            t_ish = _time(_framework_step(torchish, model_name, opt_name, x, y), args.steps)
            t_jax = _time(_jax_step(model_name, opt_name, x, y), args.steps)
            print(
                f"{model_name:5} {opt_name:5} {t_torch:9.3f} {t_ish:12.3f} {t_jax:8.3f} {t_ish / t_torch:10.2f} "
                f"{t_jax / t_torch:10.2f}"
            )


if __name__ == "__main__":
    main()
