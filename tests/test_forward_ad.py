"""torch.autograd.forward_ad against torch: dual tensors, tangents through ops, printing, levels and errors."""

from __future__ import annotations

import pytest

from tests.engine_common import check

_THROUGH = {
    "sin times itself": lambda m, d: d.sin() * d,
    "sum": lambda m, d: d.sum(),
    "dot": lambda m, d: d @ d,
    "softmax": lambda m, d: m.nn.functional.softmax(d, 0),
    "max": lambda m, d: d.max(0)[0],
    "a chain": lambda m, d: m.tanh(d).exp().pow(2) / (d + 1),
    "times an int tensor": lambda m, d: d * m.tensor([1, 2]),
    "comparison": lambda m, d: d > 1,
    "to long": lambda m, d: d.long(),
    "matrix times dual": lambda m, d: m.tensor([[1.0, 2.0], [3.0, 4.0]]) @ d,
    "view and select": lambda m, d: d.view(2, 1)[1],
    "in place": lambda m, d: d.clone().mul_(2),
    "setitem": lambda m, d: _setitem(d * 1),
    "two duals": lambda m, d: d * m.autograd.forward_ad.make_dual(m.ones(2), m.tensor([0.5, -1.0])),
}


def _setitem(t):
    t[0] = 5.0
    return t


@pytest.mark.parametrize("case", sorted(_THROUGH))
def test_tangents_through_ops(case):
    def fn(m):
        fwAD = m.autograd.forward_ad
        with fwAD.dual_level():
            d = fwAD.make_dual(m.tensor([1.0, 2.0]), m.tensor([1.0, 0.0]))
            y = _THROUGH[case](m, d)
            primal, tangent = fwAD.unpack_dual(y)
            return repr(y), primal, tangent

    check(fn)


# Where torch's forward formula multiplies a primal by a tangent it knows is zero (a product with a tensor that has
# no tangent, an in-place write), its tangent requires grad through that primal, whose gradient is then an efficient
# zero tensor; ours follows where JAX's jvp reads the primal (README, Known differences). torch's softmax tangent
# fails its own version check when differentiated (its formula writes into a tensor it saved).
_READS_A_PRIMAL_TIMES_ZERO = {"times an int tensor", "in place", "setitem"}


@pytest.mark.parametrize(
    "case, needs_grad",
    [
        (case, needs_grad)
        for case in sorted(set(_THROUGH) - {"softmax"})
        for needs_grad in ("primal", "tangent", "both")
        if needs_grad == "tangent" or case not in _READS_A_PRIMAL_TIMES_ZERO
    ],
)
def test_tangents_have_a_history_where_their_inputs_require_grad(case, needs_grad):
    """A tangent computed from a primal or a tangent that requires grad is differentiable in both (torch records
    its forward formulas): backward through it reaches the primal only where the formula reads it (sum's does
    not: None, as torch's graph has no edge there). The primal unpack_dual returns is torch's Identity view."""

    def fn(m):
        fwAD = m.autograd.forward_ad
        x = m.tensor([1.0, 2.0], requires_grad=needs_grad != "tangent")
        t = m.tensor([0.5, -1.0], requires_grad=needs_grad != "primal")
        with fwAD.dual_level():
            y = _THROUGH[case](m, fwAD.make_dual(x, t))
            primal, tangent = fwAD.unpack_dual(y)
            if tangent is None or not tangent.requires_grad:
                return primal, tangent
            leaves = [v for v in (x, t) if v.requires_grad]
            grads = m.autograd.grad((tangent * tangent).sum(), leaves, allow_unused=True, create_graph=True)
            # (the tangent's nodes are not compared: torch records its formula op by op, here one node per op)
            grads = [None if g is None else (g.detach(), g.requires_grad) for g in grads]
            return primal, tangent.detach(), grads

    check(fn)


def test_dual_tensors_and_levels():
    def fn(m):
        fwAD = m.autograd.forward_ad
        x, t = m.tensor([1.0, 2.0]), m.tensor([1.0, 0.0])
        out = [fwAD.unpack_dual(x).primal is x]
        with fwAD.dual_level() as level:
            d = fwAD.make_dual(x, t)
            u = fwAD.unpack_dual(d)
            out += [level, repr(d), d.grad_fn, d._base is x, u.primal is d, u.primal._base is x, u.tangent is t]
            out.append(repr(fwAD.unpack_dual(x)))
            y = d.exp()
        out += [repr(y), repr(fwAD.unpack_dual(y)), fwAD.enter_dual_level(), fwAD.exit_dual_level()]
        return out

    check(fn)


_ERRORS = {
    "no level": lambda m, f, x: f.make_dual(x, x),
    "exit without level": lambda m, f, x: f.exit_dual_level(),
}
_ERRORS_IN_LEVEL = {
    "tangent size": lambda m, f, x: f.make_dual(x, m.ones(3)),
    "integer primal": lambda m, f, x: f.make_dual(x.long(), x),
    "integer tangent": lambda m, f, x: f.make_dual(x, x.long()),
    "dual of a dual": lambda m, f, x: f.make_dual(f.make_dual(x, x), x),
    "nested level": lambda m, f, x: f.enter_dual_level(),
}


@pytest.mark.parametrize("case", sorted(_ERRORS) + sorted(_ERRORS_IN_LEVEL))
def test_errors(case):
    def fn(m):
        f = m.autograd.forward_ad
        x = m.tensor([1.0, 2.0])
        if case in _ERRORS:
            return _ERRORS[case](m, f, x)
        with f.dual_level():
            return _ERRORS_IN_LEVEL[case](m, f, x)

    check(fn)
