"""In-place ops: on leaves, views, multi-output views; saved-tensor versions; views rebased by a write; setitem."""

from __future__ import annotations

from tests.engine_common import custom_functions

from . import _grad, _grad_fn_name, _x, case

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


def _both_inputs_modified(m, f):
    a, b = _x(m) + 0, _x(m) * 2
    z = f(a, b)
    with m.no_grad():
        a.add_(1)  # (versions 1 and 2: the text names the input torch's backward unpacks first, by argument name)
        b.mul_(1).mul_(1)
    _backward_sum(z)


@case
def c_version_both_inputs_of_dot_modified(m):  # (dot(self, tensor): self first)
    _both_inputs_modified(m, lambda a, b: a.dot(b))


@case
def c_version_both_inputs_of_mul_modified(m):  # (mul(self, other): other first)
    _both_inputs_modified(m, lambda a, b: a * b)


@case
def c_version_input_and_running_mean_of_batch_norm_modified(m):  # (batch_norm(input, ..., running_mean, ...))
    _both_inputs_modified(m, lambda a, b: m.nn.functional.batch_norm(a.view(1, 3), b.detach(), m.ones(3)))


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
# views whose base was written, setitem into all of self


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


def _refused_view(m, x):
    """unbind's output 0 of x, once x was written in no_grad mode: handle_view_on_rebase refuses its history."""
    v = x.unbind(0)[0]
    _write_base_no_grad(m, x, v)
    return v


@case
def c_rebase_refused_view_is_no_leaf(m):
    """torch's C++ is_leaf() reads the grad_fn field, which a refused view still holds; its repr says Invalid."""
    x = m.zeros(3, requires_grad=True) * 1
    v = _refused_view(m, x)
    out = [repr(v.requires_grad_(True))]
    for f in (lambda: v.requires_grad_(False), v.retain_grad):
        try:
            f()
        except RuntimeError as e:
            out.append(str(e))
    return out


@case
def c_rebase_refused_view_modified_in_place(m):
    x = m.zeros(3, requires_grad=True) * 1
    v = _refused_view(m, x)
    v.exp_()


@case
def c_rebase_refused_view_zeroed_or_filled(m):
    """zero_ and fill_ run autograd's check_inplace before reading the view's history: the direct message."""
    out = []
    for write in (lambda v: v.zero_(), lambda v: v.fill_(2)):
        x = m.zeros(3, requires_grad=True) * 1
        v = _refused_view(m, x)
        try:
            write(v)
        except RuntimeError as e:
            out.append(str(e))
    return out


@case
def c_rebase_refused_view_of_a_detached_leaf(m):
    x = m.zeros(3, requires_grad=True)
    v = x.unbind(0)[0]
    x.detach_()
    with m.no_grad():
        v.exp_()
    v.zero_()


@case
def c_rebase_grad_mode_view_of_a_no_grad_view(m):
    """A view made with grad mode on inherits its no_grad source's creation meta, and names its own grad_fn."""
    x = m.zeros(3, requires_grad=True)
    with m.no_grad():
        v = x.t()
    w = v[...]
    with m.no_grad():
        x.mul_(2)
    return w.grad_fn


@case
def c_rebase_no_grad_view_of_a_multi_output_view(m):
    """The newest creation meta wins: a no_grad view of unbind's output is a no_grad view."""
    x = m.zeros(3, 2, requires_grad=True) * 1
    u = x.unbind(0)[0]
    with m.no_grad():
        w = u.view(2)
    w.mul_(2)


@case
def c_rebase_no_grad_view_of_a_multi_output_view_base_written(m):
    x = m.zeros(3, 2, requires_grad=True) * 1
    u = x.unbind(0)[0]
    with m.no_grad():
        w = u.view(2)
        x.mul_(2)
    return w.grad_fn


@case
def c_rebase_multi_output_view_of_a_no_grad_view(m):
    x = m.zeros(3, 2, requires_grad=True) * 1
    with m.no_grad():
        v = x.view(3, 2)
    u = v.unbind(0)[0]
    u.mul_(2)


@case
def c_rebase_refused_view_advanced_indexed(m):
    """torch's index reads the history before its kernel checks the mask's shape or the bounds."""
    out = []
    for key in (
        lambda m: m.tensor([0, 5]),
        lambda m: m.tensor([True, False, True, True]),
        lambda m: (..., m.tensor([7])),
    ):
        x = m.zeros(3, 3, requires_grad=True) * 1
        v = _refused_view(m, x)
        try:
            v[key(m)]
        except (RuntimeError, IndexError) as e:
            out.append((type(e).__name__, str(e)))
    return out


@case
def c_rebase_stale_no_grad_view_in_composite_ops(m):
    """chunk, narrow and flatten are composite in torch: their own checks come before the inner view op reads
    the history (flatten with start == end reads none)."""
    out = []
    calls = (
        lambda v: v.chunk(2),
        lambda v: v.chunk(0),
        lambda v: v.narrow(0, 0, 1),
        lambda v: v.narrow(0, 5, 1),
        lambda v: v.flatten(3),
        lambda v: v.flatten(0, 0),
        lambda v: v.unfold(0, 5, 1),
    )
    for key in (0, slice(0, 2)):
        for call in calls:
            x = m.zeros(3, 3, requires_grad=True)
            with m.no_grad():
                v = x[key]
                x.mul_(2)
            try:
                out.append(tuple(call(v).shape) if not isinstance(call(v), tuple) else "tuple")
            except (RuntimeError, IndexError) as e:
                out.append((type(e).__name__, str(e)))
    return out


def _view_inplace_saving_its_result(m, op, write):
    x = m.tensor([0.5, 1.0, 1.5], requires_grad=True)
    b = x * 1
    v = b[0] if op == "sigmoid_" else b[1:]
    getattr(v, op)()
    if write == "same view":
        v.mul_(2)
    else:
        # (torch names the view's AsStrided node while it lives, which it regenerates lazily: here it is gone)
        del v
        b.mul_(2) if write == "base" else b.view(3)[1].mul_(2)
    b.sum().backward()


@case
def c_version_result_saved_by_an_inplace_op_on_a_view(m):
    """CopySlices holds the in-place op's saved result: the error names that op and the view's shape."""
    _view_inplace_saving_its_result(m, "sigmoid_", "other view")


@case
def c_version_result_saved_by_an_inplace_op_on_a_view_written_again(m):
    _view_inplace_saving_its_result(m, "sigmoid_", "same view")


@case
def c_version_result_saved_by_an_inplace_op_on_a_view_base_written(m):
    _view_inplace_saving_its_result(m, "exp_", "base")


def _inplace_with_itself(m, write):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    t = x + 1
    write(t)
    return m.autograd.grad(t.sum(), x)


@case
def c_version_mul_by_itself_in_place(m):
    """x.mul_(x) saves x as the other operand before the write bumps its version: backward refuses."""
    return _inplace_with_itself(m, lambda t: t.mul_(t))


@case
def c_version_mul_by_a_view_of_itself_in_place(m):
    return _inplace_with_itself(m, lambda t: t.mul_(t.view(2)))


@case
def c_version_mul_by_a_detached_alias_of_itself_in_place(m):
    return _inplace_with_itself(m, lambda t: t.mul_(t.detach()))


@case
def c_version_pow_and_atan2_by_itself_in_place(m):
    out = []
    for write in (lambda t: t.pow_(t), lambda t: t.atan2_(t), lambda t: t.add_(t)):
        try:
            out.append(_inplace_with_itself(m, write))
        except RuntimeError as e:
            out.append(str(e))
    return out


def _custom_function_views(m):
    class ViewOf(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.view_as(x)

        @staticmethod
        def backward(ctx, g):
            return g

    class Same(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    return ViewOf, Same


@case
def c_custom_function_view_output_modified_in_place(m):
    """A custom Function's output that is a view (or an input returned as is) may not be written in place,
    directly, through a view of it, or through its base (CreationMeta::IN_CUSTOM_FUNCTION)."""
    out = []
    for fn in _custom_function_views(m):
        for write in ("direct", "view of it", "base", "leaf input"):
            x = m.tensor([1.0, 2.0], requires_grad=True)
            b = x * 1
            try:
                if write == "leaf input":
                    fn.apply(x).add_(1)
                elif write == "direct":
                    fn.apply(b).add_(1)
                elif write == "view of it":
                    fn.apply(b)[None].add_(1)
                else:
                    y = fn.apply(b)
                    z = y * y
                    with m.no_grad():
                        b.add_(1)
                    z.sum().backward()
                out.append("ok")
            except RuntimeError as e:
                out.append(str(e))
    return out


@case
def c_version_of_a_custom_function_output_names_its_class(m):
    x = m.tensor(0.5, requires_grad=True)
    y = custom_functions(m)["double"].apply(x)
    z = y * y
    with m.no_grad():
        y.exp_()
    z.backward()


@case
def c_rebase_refused_view_as_an_index_put_value(m):
    """index_put_'s autograd layer reads the value's history before its kernel checks the shapes."""
    out = []
    for shape in ((2, 3), (2, 2)):
        x = m.zeros(2, 2, requires_grad=True) * 1
        v = _refused_view(m, x)
        try:
            m.zeros(*shape)[m.tensor([0, 1])] = v
        except RuntimeError as e:
            out.append(str(e))
    return out


@case
def c_rebase_refused_view_requires_grad_after_base_detach_(m):
    x = m.zeros(3, requires_grad=True) * 1
    v = _refused_view(m, x)
    x.detach_()
    return v.requires_grad, x.requires_grad


@case
def c_rebase_refused_view_in_matmul_with_a_0d_argument(m):
    """matmul is composed of other ops in torch: its rank check comes before any input history is read."""
    x = m.zeros(3, requires_grad=True) * 1
    v = _refused_view(m, x)
    return x @ v


@case
def c_rebase_refused_view_in_matmul(m):
    x = m.zeros(2, 3, requires_grad=True) * 1
    v = _refused_view(m, x)
    return x @ v


@case
def c_rebase_refused_view_saved_by_a_node(m):
    """Unpacking a saved input reads its grad_fn before comparing versions: the refused view's error wins."""
    x = m.zeros(3, requires_grad=True)
    b = x.unbind(0)[1]
    z = b * b
    with m.no_grad():
        x[0].mul_(2)
    z.backward()


@case
def c_rebase_view_saved_by_a_node(m):
    x = m.zeros(3, requires_grad=True)
    u = x[1:]
    q = u * u
    with m.no_grad():
        x[0].mul_(2)
    q.sum().backward()


@case
def c_rebase_refused_0d_view_sliced(m):
    """A slice reaches torch's slice op, whose autograd layer reads the history before the 0-dim check."""
    x = m.zeros(3, requires_grad=True)
    v = _refused_view(m, x)
    return v[1:]


@case
def c_rebase_refused_0d_view_indexed(m):
    """An int is checked by the indexing code itself, before any op reads the history."""
    x = m.zeros(3, requires_grad=True)
    v = _refused_view(m, x)
    return v[0]


@case
def c_rebase_refused_view_after_base_detach_(m):
    """The grad_fn field keeps a refused view stale once its base stopped requiring grad: reading it still raises."""
    x = m.zeros(3, requires_grad=True)
    a, b, c = x.unbind(0)
    x.detach_()
    x[0].add_(2)
    out = [a.requires_grad]
    for f in (lambda: a.is_leaf, lambda: b + 1):
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
