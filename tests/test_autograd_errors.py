"""Differential tests of autograd's errors and warnings: torchish must raise what torch raises.

Every case is a function of the module (``case(torch)`` vs ``case(torchish)``). Both runs must agree on
whether they raise; when they do, the exception type name and its text must be identical; when they do
not, the returned values (tensors with their autograd metadata) must agree. Warnings emitted while a
case runs (under the ``always`` filter) are compared too: category, text and the line they point at.
"""

from __future__ import annotations

import copy
import os
import warnings

import numpy as np
import pytest
import torch

import torchish

CASES: dict = {}


def case(fn):
    name = fn.__name__.removeprefix("c_")
    assert name not in CASES, name
    CASES[name] = fn
    return fn


def _grad_fn_name(t, m):
    fn = t.grad_fn
    if fn is None:
        return None
    return fn.name()  # the same observable on both sides (qualified for CopySlices, CopyBackwards)


def observe(v, m):
    """A comparable description of whatever a case returns."""
    if isinstance(v, (torch.Tensor, torchish.Tensor)):
        with m.no_grad():
            arr = np.asarray(v.detach().cpu().numpy() if m is torch else v.detach().numpy())
        return (
            "T",
            str(v.dtype),
            tuple(v.shape),
            arr.tolist(),
            v.requires_grad,
            v.is_leaf,
            _grad_fn_name(v, m),
            v._version,
        )
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, tuple(observe(x, m) for x in v))
    if isinstance(v, (torch.Size, torchish.Size)):
        return ("Size", tuple(v))
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return type(v).__name__


def run_case(fn, m):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("ok", observe(fn(m), m))
        except Exception as e:  # noqa: BLE001 - the exception itself is the observable
            out = ("raised", type(e).__name__, str(e))
    ws = [(w.category.__name__, str(w.message), os.path.basename(w.filename), w.lineno) for w in caught]
    return out, ws


def _grad(t):
    """t.grad by value: the version counter of an accumulated .grad is checked in test_engine.py."""
    return None if t.grad is None else t.grad.clone()


def _x(m, *shape, **kw):
    return m.ones(*(shape or (3,)), requires_grad=True, **kw)


# ------------------------------------------------------------------------------------------------
# in-place on a leaf that requires grad


@case
def c_leaf_add_(m):
    _x(m).add_(1)


@case
def c_leaf_mul_(m):
    _x(m).mul_(2)


@case
def c_leaf_iadd(m):
    x = _x(m)
    x += 1


@case
def c_leaf_setitem(m):
    x = _x(m)
    x[0] = 5.0


@case
def c_leaf_zero_(m):
    _x(m).zero_()


@case
def c_leaf_fill_(m):
    _x(m).fill_(2.0)


@case
def c_leaf_copy_(m):
    _x(m).copy_(m.zeros(3))


@case
def c_leaf_exp_(m):
    _x(m).exp_()


@case
def c_leaf_inplace_under_no_grad_is_fine(m):
    x = _x(m)
    with m.no_grad():
        x.add_(1)
    return x, x._version


@case
def c_leaf_inplace_checked_before_shapes(m):
    _x(m, ()).add_(m.ones(3))


@case
def c_view_of_leaf_inplace_checked_before_shapes(m):
    _x(m)[0].add_(m.ones(3))


@case
def c_inplace_with_overlapping_input(m):
    x = m.zeros(())
    v = x[None]
    v.add_(x)


# ------------------------------------------------------------------------------------------------
# in-place on a view of a leaf


@case
def c_view_of_leaf_slice_add_(m):
    _x(m)[0:2].add_(1)


@case
def c_view_of_leaf_view_mul_(m):
    _x(m).view(3).mul_(2)


@case
def c_view_of_leaf_t_add_(m):
    _x(m, 2, 3).t().add_(1)


@case
def c_view_of_leaf_select_setitem(m):
    x = _x(m, 2, 3)
    x[0][1] = 5.0


@case
def c_view_of_leaf_unsqueeze_sub_(m):
    _x(m).unsqueeze(0).sub_(1)


@case
def c_view_made_in_no_grad_modified_with_grad(m):
    x = _x(m)
    with m.no_grad():
        v = x[0:2]
    v.add_(1)


@case
def c_view_of_nonleaf_made_in_no_grad_modified_with_grad(m):
    x = _x(m)
    with m.no_grad():
        y = x * 1
        v = y[0:2]
    v.add_(1)
    return y, v


# ------------------------------------------------------------------------------------------------
# in-place on outputs of multi-output view functions


@case
def c_unbind_output_inplace(m):
    a, b, c = (_x(m) * 1).unbind()
    a.add_(1)


@case
def c_split_output_inplace(m):
    a, b = (_x(m) * 1).split(2)
    a.add_(1)


@case
def c_chunk_output_inplace(m):
    a, b = (_x(m) * 1).chunk(2)
    a.mul_(2)


@case
def c_unbind_leaf_output_inplace(m):
    a, b, c = _x(m).unbind()
    a.add_(1)


@case
def c_unbind_no_grad_tensor_inplace_is_fine(m):
    base = m.ones(3)
    a, b, c = base.unbind()
    a.add_(1)
    return a, base


# ------------------------------------------------------------------------------------------------
# backward through a freed graph: only ops that saved tensors fail


def _twice(op):
    def fn(m):
        x = _x(m)
        y = op(m, x).sum()
        y.backward()
        y.backward()
        return _grad(x)

    return fn


_SAVING = {
    "exp": lambda m, x: x.exp(),
    "mul_tensor": lambda m, x: x * x,
    "mul_scalar": lambda m, x: x * 2,
    "pow": lambda m, x: x**2,
    "rpow": lambda m, x: 2**x,
    "div_tensor": lambda m, x: x / x,
    "div_scalar": lambda m, x: x / 2,
    "sigmoid": lambda m, x: x.sigmoid(),
    "tanh": lambda m, x: x.tanh(),
    "relu": lambda m, x: x.relu(),
    "sin": lambda m, x: x.sin(),
    "dot": lambda m, x: x @ x,
    "index_tensor": lambda m, x: x[m.tensor([0, 1])],
    "sum_then_mul": lambda m, x: x.sum() * 1.0,
}
_NOT_SAVING = {
    "add": lambda m, x: x + 1,
    "sub": lambda m, x: x - 1,
    "neg": lambda m, x: -x,
    "identity_sum": lambda m, x: x,
    "mean": lambda m, x: x.mean(),
    "view": lambda m, x: x.view(3),
    "reshape_t": lambda m, x: x.reshape(1, 3).t(),
    "unsqueeze": lambda m, x: x.unsqueeze(0),
    "cat": lambda m, x: m.cat([x, x]),
    "slice": lambda m, x: x[1:],
    "clone": lambda m, x: x.clone(),
}
for _name, _op in {**_SAVING, **_NOT_SAVING}.items():
    _f = _twice(_op)
    _f.__name__ = f"c_backward_twice_{_name}"
    case(_f)


@case
def c_grad_twice_exp(m):
    x = _x(m)
    y = x.exp().sum()
    m.autograd.grad(y, x)
    m.autograd.grad(y, x)


@case
def c_backward_twice_new_root_over_freed(m):
    x = _x(m)
    y = x.exp()
    y.sum().backward()
    (y * 1).sum().backward()


@case
def c_backward_twice_through_freed_part(m):
    x = _x(m)
    z = x.exp() + 1
    z.sum().backward()
    w = _x(m)
    (z * w).sum().backward()
    return _grad(w)


@case
def c_retain_graph_then_second_backward(m):
    x = _x(m)
    y = x.exp()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    return _grad(x)


@case
def c_retain_graph_on_second_only(m):
    x = _x(m)
    y = x.exp()
    y.sum().backward()
    y.sum().backward(retain_graph=True)


@case
def c_call_grad_fn_after_free(m):
    x = _x(m)
    y = x.exp()
    y.sum().backward()
    return y.grad_fn(m.ones(3))


@case
def c_saved_result_after_free(m):
    x = _x(m)
    y = x.exp()
    y.sum().backward()
    return y.grad_fn._saved_result


@case
def c_backward_twice_through_view_inplace(m):
    y = _x(m) + 2
    v = y[0]
    v.add_(2)
    v.backward()
    v.backward()


@case
def c_backward_twice_through_setitem(m):
    y = _x(m) + 2
    y[0] = 5.0
    y.sum().backward()
    y.sum().backward()


@case
def c_backward_twice_through_create_graph_result(m):
    x = _x(m)
    (g,) = m.autograd.grad((x * x).sum(), x, create_graph=True)
    g.sum().backward()
    g.sum().backward()


@case
def c_backward_twice_through_create_graph_exp(m):
    x = _x(m)
    (g,) = m.autograd.grad(x.exp().sum(), x, create_graph=True)
    m.autograd.grad(g.sum(), x)
    m.autograd.grad(g.sum(), x)


@case
def c_grad_of_freed_root_with_respect_to_itself(m):
    y = _x(m, ()) / 2
    y.backward()
    return m.autograd.grad(y, y)


@case
def c_grad_with_respect_to_output_of_freed_node(m):
    y = _x(m, ()) / 2
    z = y * 3
    z.backward()
    return m.autograd.grad(z, y)


# ------------------------------------------------------------------------------------------------
# implicit / explicit gradients of the roots


@case
def c_implicit_grad_non_scalar_backward(m):
    (_x(m) * 2).backward()


@case
def c_implicit_grad_non_scalar_autograd_grad(m):
    x = _x(m)
    m.autograd.grad(x * 2, x)


@case
def c_implicit_grad_empty(m):
    (m.zeros(0, requires_grad=True) * 2).backward()


@case
def c_grad_tensor_shape_mismatch(m):
    (_x(m) * 2).backward(m.ones(2))


@case
def c_grad_tensor_for_scalar_has_shape(m):
    (_x(m) * 1).sum().backward(m.ones(3))


@case
def c_grad_outputs_shape_mismatch(m):
    x = _x(m)
    m.autograd.grad(x * 2, x, grad_outputs=m.ones(2, 2))


@case
def c_grad_tensor_complex_vs_real(m):
    (_x(m) * 1).backward(m.ones(3, dtype=m.complex64))


@case
def c_grad_tensor_other_float_dtype_is_cast(m):
    x = _x(m)
    (x * 1).backward(m.ones(3, dtype=m.float64))
    return _grad(x)


@case
def c_grad_tensor_integer_is_cast(m):
    x = _x(m)
    (x * 1).backward(m.ones(3, dtype=m.int64))
    return _grad(x)


@case
def c_grad_tensor_python_float(m):
    (_x(m) * 1).backward(3.0)


@case
def c_grad_outputs_python_float(m):
    x = _x(m)
    m.autograd.grad((x * 1).sum(), x, grad_outputs=[3.0])


@case
def c_grad_outputs_longer_than_outputs(m):
    x = _x(m)
    return m.autograd.grad(x * 2, x, grad_outputs=[m.ones(3), m.ones(3)])


@case
def c_grad_tensors_longer_than_tensors(m):
    x = _x(m)
    m.autograd.backward(x * 2, grad_tensors=[m.ones(3), m.ones(3)])
    return _grad(x)


# ------------------------------------------------------------------------------------------------
# requires_grad on integer tensors: torch's three wordings


@case
def c_int_factory_requires_grad(m):
    m.tensor([1, 2], requires_grad=True)


@case
def c_int_ones_requires_grad(m):
    m.ones(2, dtype=m.int64, requires_grad=True)


@case
def c_int_requires_grad_(m):
    m.tensor([1, 2]).requires_grad_()


@case
def c_int_set_requires_grad(m):
    t = m.tensor([1, 2])
    t.requires_grad = True


@case
def c_bool_requires_grad_(m):
    m.tensor([True]).requires_grad_()


@case
def c_int_requires_grad_false_is_fine(m):
    t = m.tensor([1, 2])
    t.requires_grad = False
    return t.requires_grad_(False)


# ------------------------------------------------------------------------------------------------
# roots / inputs that do not require grad, unused inputs


@case
def c_backward_of_plain_tensor(m):
    m.ones(()).backward()


@case
def c_backward_of_no_grad_result(m):
    x = _x(m)
    with m.no_grad():
        y = (x * 2).sum()
    y.backward()


@case
def c_backward_of_grad_without_create_graph(m):
    x = _x(m)
    (g,) = m.autograd.grad((x * 2).sum(), x)
    g.sum().backward()


@case
def c_grad_of_grad_with_create_graph(m):
    x = _x(m)
    (g,) = m.autograd.grad(x.exp().sum(), x, create_graph=True)
    g.sum().backward()
    return _grad(x), g


@case
def c_autograd_grad_input_not_requiring_grad(m):
    x = _x(m)
    m.autograd.grad((x * 1).sum(), [x, m.ones(3)])


@case
def c_autograd_grad_input_is_int(m):
    x = _x(m)
    m.autograd.grad((x * 1).sum(), [x, 3])


@case
def c_autograd_grad_element_1_not_requiring_grad(m):
    x = _x(m)
    m.autograd.grad([(x * 1).sum(), m.ones(())], [x])


@case
def c_autograd_backward_element_1_not_requiring_grad(m):
    x = _x(m)
    m.autograd.backward([(x * 1).sum(), m.ones(())])


@case
def c_backward_inputs_not_requiring_grad(m):
    x = _x(m)
    (x * 2).sum().backward(inputs=[m.ones(3)])


@case
def c_backward_inputs_empty(m):
    x = _x(m)
    (x * 2).sum().backward(inputs=[])


@case
def c_autograd_grad_inputs_empty(m):
    x = _x(m)
    m.autograd.grad((x * 2).sum(), [])


@case
def c_unused_input(m):
    x = _x(m)
    y = x * 2
    m.autograd.grad(y.sum(), [y, x * 1])


@case
def c_unused_leaf_input(m):
    x, w = _x(m), _x(m)
    m.autograd.grad((x * 2).sum(), [x, w])


@case
def c_unused_input_allowed(m):
    x, w = _x(m), _x(m)
    return m.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)


@case
def c_unused_input_materialized(m):
    x, w = _x(m), _x(m)
    return m.autograd.grad((x * 2).sum(), [x, w], materialize_grads=True)


@case
def c_materialize_with_allow_unused_false(m):
    x = _x(m)
    m.autograd.grad((x * 2).sum(), x, materialize_grads=True, allow_unused=False)


# ------------------------------------------------------------------------------------------------
# requires_grad flags of non-leaves


@case
def c_nonleaf_set_requires_grad_false(m):
    y = _x(m) * 2
    y.requires_grad = False


@case
def c_nonleaf_set_requires_grad_true(m):
    y = _x(m) * 2
    y.requires_grad = True


@case
def c_nonleaf_requires_grad_false_(m):
    (_x(m) * 2).requires_grad_(False)


@case
def c_nonleaf_requires_grad_true_is_fine(m):
    return (_x(m) * 2).requires_grad_(True)


@case
def c_view_of_leaf_set_requires_grad_false(m):
    v = _x(m)[0]
    v.requires_grad = False


# ------------------------------------------------------------------------------------------------
# saved-tensor version checks


def _backward_sum(y):
    y.sum().backward()


@case
def c_version_exp_result_add_(m):
    y = _x(m).exp()
    y.add_(1)
    _backward_sum(y)


@case
def c_version_exp_result_view_mul_(m):
    y = _x(m).exp()
    y[0:2].mul_(2)
    _backward_sum(y)


@case
def c_version_saved_result_of_an_overload(m):
    y = 2 ** (_x(m) * 1)  # PowBackward2 saves its result: torch names it "Pow2"
    z = y * y
    y.add_(1)
    _backward_sum(z)


@case
def c_version_input_of_mul_modified(m):
    y = _x(m) * 1
    z = y * y
    y.mul_(2)
    _backward_sum(z)


@case
def c_version_input_of_sin_modified(m):
    y = _x(m) * 1
    z = y.sin()
    y.mul_(2)
    _backward_sum(z)


@case
def c_version_input_modified_by_setitem(m):
    y = _x(m) * 1
    z = y.sin()
    y[0] = 5.0
    _backward_sum(z)


@case
def c_version_input_modified_through_view(m):
    y = _x(m) * 1
    z = y.sin()
    y[0:2].mul_(2)
    _backward_sum(z)


@case
def c_version_view_input_base_modified(m):
    y = _x(m) * 1
    z = y.view(3).sin()
    y.mul_(2)
    _backward_sum(z)


@case
def c_version_view_modified(m):
    y = (_x(m) * 1).view(1, 3)
    z = y.sin()
    y.mul_(2)
    _backward_sum(z)


@case
def c_version_pow_input_add_(m):
    a = _x(m) * 1
    b = a.pow(2)
    a.add_(1)
    _backward_sum(b)


@case
def c_version_tanh_result_add_(m):
    z = (_x(m) * 1).tanh()
    z.add_(1)
    _backward_sum(z)


@case
def c_version_relu_result_add_(m):
    z = (_x(m) * 1).relu()
    z.add_(1)
    _backward_sum(z)


@case
def c_version_sigmoid_result_setitem(m):
    z = (_x(m) * 1).sigmoid()
    z[0] = 0.0
    _backward_sum(z)


@case
def c_version_sigmoid_result_twice(m):
    z = (_x(m) * 1).sigmoid()
    z.add_(1)
    z.add_(1)
    _backward_sum(z)


@case
def c_version_sigmoid_result_mul_(m):
    z = _x(m).sigmoid()
    z.mul_(2)
    _backward_sum(z)


@case
def c_version_mm_nonleaf(m):
    y = _x(m, 2, 3) * 1
    z = y @ y.t()
    y.add_(1)
    _backward_sum(z)


@case
def c_version_mm_leaf_weight(m):
    w = m.ones(3, 2)
    z = _x(m, 2, 3) @ w
    w.add_(1)
    _backward_sum(z)


@case
def c_version_mm_leaf_weight_setitem(m):
    w = m.ones(3, 2)
    z = _x(m, 2, 3) @ w
    w[0, 0] = 2.0
    _backward_sum(z)


@case
def c_version_double_leaf(m):
    w = m.ones(2, 3, dtype=m.float64)
    z = _x(m, 2, 3) * w
    w.add_(1)
    _backward_sum(z)


@case
def c_version_through_detach(m):
    x = _x(m)
    y = x.sin()
    x.detach().add_(1)
    _backward_sum(y)


@case
def c_version_through_data_is_not_tracked(m):
    x = _x(m)
    y = x.sin()
    x.data.add_(1)
    _backward_sum(y)
    return _grad(x)


@case
def c_version_leaf_modified_under_no_grad(m):
    x = _x(m)
    y = x * x
    with m.no_grad():
        x.add_(1)
    _backward_sum(y)


@case
def c_version_unrelated_input_modified_is_fine(m):
    x = _x(m)
    y = x * 1
    z = y.exp()
    y.mul_(2)
    _backward_sum(z)
    return _grad(x)


# ------------------------------------------------------------------------------------------------
# conversions of tensors that require grad / have many elements


@case
def c_numpy_requires_grad_leaf(m):
    _x(m).numpy()


@case
def c_numpy_nonleaf(m):
    (_x(m) * 2).numpy()


@case
def c_bool_multi_element(m):
    bool(_x(m))


@case
def c_bool_empty(m):
    bool(m.ones(0))


@case
def c_item_multi_element(m):
    m.ones(3).item()


@case
def c_float_multi_element(m):
    float(_x(m))


@case
def c_int_multi_element(m):
    int(m.ones(3))


@case
def c_tolist_nonleaf_is_fine(m):
    return (_x(m) * 2).tolist()


# ------------------------------------------------------------------------------------------------
# assigning .grad


@case
def c_assign_grad_wrong_shape(m):
    _x(m).grad = m.ones(2)


@case
def c_assign_grad_wrong_float_dtype(m):
    _x(m).grad = m.ones(3, dtype=m.float64)


@case
def c_assign_grad_int_dtype(m):
    _x(m).grad = m.ones(3, dtype=m.int64)


@case
def c_assign_grad_not_a_tensor(m):
    _x(m).grad = 3


@case
def c_assign_grad_none_and_tensor(m):
    x = _x(m)
    g = m.full((3,), 2.0)
    x.grad = g
    ok = x.grad is g
    x.grad = None
    return ok, x.grad


# ------------------------------------------------------------------------------------------------
# retain_grad and hooks


@case
def c_retain_grad_no_requires_grad(m):
    m.ones(3).retain_grad()


@case
def c_retain_grad_on_leaf_is_noop(m):
    x = _x(m)
    x.retain_grad()
    return x.retains_grad


@case
def c_register_hook_no_requires_grad(m):
    m.ones(3).register_hook(lambda g: g)


@case
def c_post_accumulate_hook_nonleaf(m):
    (_x(m) * 2).register_post_accumulate_grad_hook(lambda p: None)


@case
def c_post_accumulate_hook_no_requires_grad(m):
    m.ones(3).register_post_accumulate_grad_hook(lambda p: None)


@case
def c_hook_changes_size_nonleaf(m):
    y = _x(m) * 2
    y.register_hook(lambda g: m.ones(2))
    y.sum().backward()


@case
def c_hook_changes_size_leaf(m):
    x = _x(m)
    x.register_hook(lambda g: m.ones(2))
    (x * 2).sum().backward()


@case
def c_hook_changes_dtype_leaf(m):
    x = _x(m)
    x.register_hook(lambda g: g.double())
    (x * 2).sum().backward()
    return _grad(x)


@case
def c_hook_returns_int(m):
    y = _x(m) * 2
    y.register_hook(lambda g: 3)
    y.sum().backward()


@case
def c_hook_replaces_none_gradient(m):
    x = _x(m, 2, 3)
    p, q = (x * 2).unbind(0)
    p.register_hook(lambda g: m.ones(3))  # p's gradient is None: only q is used
    q.sum().backward()
    return _grad(x)


# ------------------------------------------------------------------------------------------------
# misc autograd errors


@case
def c_deepcopy_nonleaf(m):
    copy.deepcopy(_x(m) * 2)


def _after_base_write(m, make, write):
    """torch's grad_fn getter on a view whose base was written: AsStridedBackward0 for a plain view, its
    handle_view_on_rebase error for one made by a multi-output op or in no_grad mode."""
    x = m.zeros(3, requires_grad=True) * 1
    v = make(m, x)
    write(m, x, v)
    return v.requires_grad, v._version, _grad_fn_name(v, m), v + 1


def _unbind0(m, x):
    return x.unbind(0)[0]


def _write_base_no_grad(m, x, v):
    with m.no_grad():
        x.exp_()


@case
def c_rebase_unbind_output_base_written_no_grad(m):
    return _after_base_write(m, _unbind0, _write_base_no_grad)


@case
def c_rebase_unbind_output_base_written_with_grad(m):
    return _after_base_write(m, _unbind0, lambda m, x, v: x.exp_())


@case
def c_rebase_split_output_sibling_written_no_grad(m):
    def write(m, x, v):
        with m.no_grad():
            x.split(1)[1].zero_()

    return _after_base_write(m, lambda m, x: x.split(1)[0], write)


@case
def c_rebase_view_of_unbind_output(m):
    return _after_base_write(m, lambda m, x: _unbind0(m, x).view(1), _write_base_no_grad)


@case
def c_rebase_no_grad_view_base_written_with_grad(m):
    def make(m, x):
        with m.no_grad():
            return x[0:2]

    return _after_base_write(m, make, lambda m, x, v: x.exp_())


@case
def c_rebase_plain_view_base_written_no_grad(m):
    return _after_base_write(m, lambda m, x: x[0:2], _write_base_no_grad)


@case
def c_rebase_refused_view_is_no_leaf(m):
    """torch's C++ is_leaf() reads the grad_fn field, which a refused view still holds; its repr says Invalid."""
    x = m.zeros(3, requires_grad=True) * 1
    v = x.unbind(0)[0]
    _write_base_no_grad(m, x, v)
    out = [repr(v.requires_grad_(True))]
    for f in (lambda: v.requires_grad_(False), v.retain_grad):
        try:
            f()
        except RuntimeError as e:
            out.append(str(e))
    return out


@case
def c_rebase_unbind_of_non_requiring_base(m):
    x = m.zeros(3)
    v = x.unbind(0)[0]
    x.requires_grad_()
    with m.no_grad():
        x.exp_()
    return v.requires_grad, _grad_fn_name(v, m)


def _setitem_whole(m, index, make_value):
    """An index that selects all of self: torch copies into self itself (copy_ or fill_), not a view."""
    a = _x(m) * 1
    a[index] = make_value(m, a)
    return a, [None if f is None else f.name() for f, _ in a.grad_fn.next_functions]


@case
def c_setitem_ellipsis_number(m):
    return _setitem_whole(m, Ellipsis, lambda m, a: 1.25)


@case
def c_setitem_full_slice_0dim_alias(m):
    return _setitem_whole(m, slice(None), lambda m, a: a[1])


@case
def c_setitem_ellipsis_expanded_value(m):
    return _setitem_whole(m, Ellipsis, lambda m, a: m.ones(1, 1, requires_grad=True))


@case
def c_setitem_full_range_slice_same_shape(m):
    return _setitem_whole(m, slice(0, 5), lambda m, a: m.ones(3, requires_grad=True))


@case
def c_fill_from_tensor_without_grad(m):
    a = _x(m) * 1
    a.fill_(m.tensor(3.0))
    return a


@case
def c_advanced_index_into_empty_dim(m):
    t = m.zeros(3, 0)
    t[m.tensor([7]), m.tensor([0])] = 1.0


@case
def c_detach_inplace_on_view(m):
    (_x(m) * 1)[0].detach_()


@case
def c_detach_inplace_on_nonleaf(m):
    y = _x(m) * 2
    y.detach_()
    return y


@case
def c_out_arg_with_requires_grad_add(m):
    m.add(_x(m), 1, out=m.zeros(3))


@case
def c_out_arg_with_requires_grad_exp(m):
    m.exp(_x(m), out=m.zeros(3))


@case
def c_expand_then_inplace(m):
    (_x(m) * 1).expand(2, 3).add_(1)


@case
def c_inference_tensor_saved_for_backward(m):
    with m.inference_mode():
        a = m.ones(3)
    x = _x(m)
    (x * a).sum().backward()


@case
def c_inference_tensor_requires_grad_(m):
    with m.inference_mode():
        a = m.ones(3)
    a.requires_grad_()


@case
def c_inference_tensor_inplace_outside(m):
    with m.inference_mode():
        a = m.ones(3)
    a.add_(1)


@case
def c_nonleaf_inplace_under_no_grad_keeps_grad_fn(m):
    y = _x(m) * 2
    with m.no_grad():
        y.add_(1)
    return y


# ------------------------------------------------------------------------------------------------
# op errors the autograd state machine runs into (shapes, indexing, views)


@case
def c_setitem_value_shape_mismatch(m):
    x = m.zeros(3)
    x[0] = m.zeros(3)


@case
def c_setitem_value_with_leading_ones(m):
    x = m.zeros(3)
    x[0] = m.ones(1, 1)
    return x


@case
def c_getitem_0d_negative_index(m):
    return m.zeros(())[-1]


@case
def c_getitem_0d_slice(m):
    return m.zeros(())[1:]


@case
def c_getitem_0d_long_index(m):
    return m.zeros(())[m.tensor([0, 1])]


@case
def c_setitem_long_index_out_of_bounds_writes_first(m):
    y = _x(m, ()) + 2
    v = y.reshape((1,))
    try:
        v[m.tensor([0, 1])] = 1.25
        raised = None
    except IndexError as e:
        raised = str(e)
    return raised, y.detach().clone(), v.detach().clone()


@case
def c_unbind_0d(m):
    return m.zeros(()).unbind(0)


@case
def c_sum_dim_0_of_0d(m):
    return _x(m, ()).sum(0), _x(m, ()).sum(-1, keepdim=True)


@case
def c_view_of_transposed(m):
    return m.zeros(2, 3).t().view(6)


@case
def c_copy_broadcast_mismatch(m):
    m.zeros(3).copy_(m.zeros(2, 3))


@case
def c_broadcast_mismatch_message(m):
    return m.ones(3, 2) + m.ones(2, 3)


@case
def c_inplace_broadcast_mismatch_message(m):
    return m.ones(3, 2).add_(m.ones(2, 3))


# ------------------------------------------------------------------------------------------------
# warnings


@case
def c_warn_nonleaf_grad(m):
    y = _x(m) * 2
    return y.grad


@case
def c_warn_nonleaf_grad_each_access(m):
    y = _x(m) * 2
    y.grad  # noqa: B018
    return y.grad


@case
def c_warn_not_for_retained_nonleaf(m):
    y = _x(m) * 2
    y.retain_grad()
    return y.grad


@case
def c_warn_not_for_leaf(m):
    return _x(m).grad


# ------------------------------------------------------------------------------------------------


def test_enough_cases():
    errors = [n for n, fn in CASES.items() if run_case(fn, torch)[0][0] == "raised"]
    assert len(errors) >= 40, len(errors)
    # torch gives some warnings once per process (TORCH_WARN_ONCE): run torchish through the same cases so
    # that both sides reach the differential tests below in the same state
    for fn in CASES.values():
        run_case(fn, torchish)


@pytest.mark.parametrize("name", sorted(CASES))
def test_autograd_error(name):
    fn = CASES[name]
    expected = run_case(fn, torch)
    actual = run_case(fn, torchish)
    assert actual[0] == expected[0]
    assert actual[1] == expected[1]


def test_nonleaf_grad_warning_default_filter():
    """Under Python's default filter torch warns once per accessing line, for every tensor."""

    def accesses(m):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            x = _x(m)
            for _ in range(3):
                y = x * 2
                y.grad  # noqa: B018
            z = x * 3
            z.grad  # noqa: B018
            z.grad  # noqa: B018
        return [(w.category.__name__, str(w.message), w.lineno) for w in caught]

    assert accesses(torchish) == accesses(torch)
