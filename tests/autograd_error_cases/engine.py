"""The engine's errors: freed graphs, root gradients, requires_grad, unused inputs, .grad, hooks, warnings."""

from __future__ import annotations

import copy

from tests.engine_common import custom_functions

from . import _grad, _x, case

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


def _twice_on_an_edgeless_view(op):
    """On a view made before its base required grad (requires_grad, yet no edge): torch saves only what every
    formula reads (exp's result), not what the missing edge's formula would (mul's other)."""

    def fn(m):
        base = m.tensor([1.0, 2.0])
        view = base[:1]
        base.requires_grad_(True)
        y = op(m, view).sum()
        y.backward()
        y.backward()
        return view.requires_grad, _grad(base)

    return fn


for _name, _op in {"exp": _SAVING["exp"], "mul_scalar": _SAVING["mul_scalar"], "sin": _SAVING["sin"]}.items():
    _f = _twice_on_an_edgeless_view(_op)
    _f.__name__ = f"c_backward_twice_on_an_edgeless_view_{_name}"
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
def c_post_accumulate_hook_on_a_leaf_view_of_a_base_that_later_requires_grad(m):
    """torch reads requires_grad (a view follows its base) before grad_fn: the hook is accepted."""
    calls = []
    x = m.tensor(0.0)
    v = x[None]
    x.requires_grad_(True)
    v.register_post_accumulate_grad_hook(lambda p: calls.append(p.grad))
    (v * 2).sum().backward()
    return calls, v.requires_grad, v.is_leaf, x.grad


@case
def c_post_accumulate_hook_of_a_leaf_that_stopped_requiring_grad(m):
    """The post-accumulate hook still runs (it sees .grad None) for a leaf detached after the graph was built."""
    calls = []
    x, w = m.tensor(1.0, requires_grad=True), m.tensor(1.0, requires_grad=True)
    for t in (x, w):
        t.register_post_accumulate_grad_hook(lambda p: calls.append(p.grad))
    y = x + x + w * 2
    x.detach_()
    w.requires_grad_(False)
    y.backward()
    return calls, x.grad, w.grad


_NODE_HOOK_RESULTS = {
    "two values": lambda g: (g[0], g[0]),
    "a tensor": lambda g: g[0],
    "another size": lambda g: (g[0][None],),
    "a list": lambda g: [g[0] * 2],
    "None": lambda g: (None,),
    "a float": lambda g: (1.0,),
    "another dtype": lambda g: (g[0].double(),),
    "nothing": lambda g: (),
    "tripled": lambda g: (g[0] * 3,),
}


def _node_hook_results(m, kind):
    """What a node's pre- or post-hook may return in place of its gradients: torch's checks, and the node of
    a pow with a Python base has one input (the hook sees one gradient)."""
    out = []
    for name in sorted(_NODE_HOOK_RESULTS):
        ret = _NODE_HOOK_RESULTS[name]
        x = m.tensor(0.5, requires_grad=True)
        y = 2**x
        if kind == "post":
            y.grad_fn.register_hook(lambda gi, go, ret=ret: ret(gi))
        else:
            y.grad_fn.register_prehook(lambda go, ret=ret: ret(go))
        try:
            y.backward()
            out.append((name, x.grad))
        except (RuntimeError, TypeError) as e:
            out.append((name, type(e).__name__, str(e)))
    return out


@case
def c_node_post_hook_results(m):
    return _node_hook_results(m, "post")


@case
def c_node_pre_hook_results(m):
    return _node_hook_results(m, "pre")


@case
def c_node_post_hook_replaces_a_none_gradient(m):
    a, b = m.tensor(0.5, requires_grad=True), m.tensor(2.0)
    y = a * b
    y.grad_fn.register_hook(lambda gi, go: (gi[0], gi[0]))
    y.backward()


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


@case
def c_detach_inplace_on_view(m):
    (_x(m) * 1)[0].detach_()


@case
def c_detach_inplace_on_nonleaf(m):
    y = _x(m) * 2
    y.detach_()
    return y


@case
def c_detach_inplace_on_output_1(m):
    y = m.var_mean(_x(m), 0)[1]
    y.detach_()  # (output_nr goes back to 0)
    return y


@case
def c_saved_input_detached_in_place(m):
    x = _x(m)
    y = x + 2
    z = x * y  # (y is saved for x's gradient)
    y.detach_()
    z.sum().backward()


@case
def c_saved_bound_detached_in_place(m):
    x = _x(m)
    y = x + 2
    z = x.clamp_max(y)
    y.detach_()
    y.add_(1)  # (the detach is reported before the version)
    z.sum().backward()


def _custom_saved_input_detached(m, write: bool, output_nr: int):
    x = _x(m)
    a = m.var_mean(x * 2, 0)[1] if output_nr else x * 3  # (var_mean: mean is its output 1)
    b = custom_functions(m)["square"].apply(a)  # (saves its input a)
    a.detach_()  # (torch's unpack then names the Function that saved a, with a's output_nr when saved)
    if write:
        a.add_(1)
    b.sum().backward()
    return _grad(x)


@case
def c_custom_saved_input_detached_in_place_then_written(m):
    return _custom_saved_input_detached(m, write=True, output_nr=0)


@case
def c_custom_saved_input_of_output_1_detached_in_place_then_written(m):
    return _custom_saved_input_detached(m, write=True, output_nr=1)


@case
def c_custom_saved_input_detached_in_place(m):
    return _custom_saved_input_detached(m, write=False, output_nr=0)


@case
def c_double_backward_through_a_freed_saved_result(m):
    x = _x(m)
    (g,) = m.autograd.grad(x.exp().sum(), x, create_graph=True, retain_graph=False)
    g.sum().backward()  # (torch's formula reads exp's saved result: its double backward runs through ExpBackward0)


@case
def c_double_backward_through_a_freed_relu(m):
    x = _x(m)
    (g,) = m.autograd.grad(m.relu(x).sum(), x, create_graph=True, retain_graph=False)
    g.sum().backward()


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
