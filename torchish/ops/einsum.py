"""einsum, as ATen computes it, op for op: align every operand to (output labels, contracted labels) with
diagonal, unsqueeze and permute, then contract pairs with sumproduct_pair's permute -> reshape -> bmm -> view ->
permute. Its graph (grad_fn names, saved views, strides) is torch's because it is made of the same ops; three
or more operands are contracted in opt_einsum's order, as torch.einsum asks it (torch.backends.opt_einsum)."""

from __future__ import annotations

from .linalg import bmm

_LETTERS = 26
_ELLIPSIS = 2 * _LETTERS


def _subscript(label: str) -> int:
    return ord(label) - ord("A") if label.isupper() else ord(label) - ord("a") + _LETTERS


def _label(s: int) -> str:
    return chr(ord("A") + s) if s < _LETTERS else chr(ord("a") + s - _LETTERS)


def _parse_operands(lhs: str, num_ops: int) -> list:
    labels, ell_in_input, curr = [[] for _ in range(num_ops)], False, 0
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == ".":
            if ell_in_input:
                raise RuntimeError(f"einsum(): found '.' for operand {curr} for which an ellipsis was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {curr} that is not part of any ellipsis")
            i += 2
            labels[curr].append(_ELLIPSIS)
            ell_in_input = True
        elif c == ",":
            curr += 1
            if curr >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            ell_in_input = False
        elif c != " ":
            if not (c.isascii() and c.isalpha()):
                raise RuntimeError(
                    f"einsum(): invalid subscript given at index {i} in the equation string, subscripts must be in "
                    "[a-zA-Z]"
                )
            labels[curr].append(_subscript(c))
        i += 1
    if curr != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return labels


def einsum(*args):
    """torch.einsum(equation, *operands), the sublist form, or (equation, [operands])."""
    from .._tensor import Tensor

    if len(args) < 2:
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, or at least one operand and its "
            "subscripts list"
        )
    if isinstance(args[0], Tensor):
        equation = ",".join("".join(_sublist_label(s) for s in sub) for sub in args[1::2])
        if len(args) % 2 == 1:
            equation += "->" + "".join(_sublist_label(s) for s in args[-1])
            operands = args[:-1:2]
        else:
            operands = args[::2]
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    path = None
    if len(operands) > 2 and _backends().enabled:  # torch asks opt_einsum for the order of the pairs
        import opt_einsum

        shapes = [tuple(t.shape) for t in operands]
        pairs = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize=_backends().strategy)[0]
        path = [i for pair in pairs for i in pair]
    return _einsum(equation, tuple(operands), path)


def _backends():
    from ..backends import opt_einsum

    return opt_einsum


def _sublist_label(n) -> str:
    if n is Ellipsis:
        return "..."
    if 0 <= n < 2 * _LETTERS:
        return _label(n)
    raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")


def _einsum(equation: str, operands: tuple, path):
    from .misc import movedim
    from .reduction import sum
    from .shape import diagonal, permute, unsqueeze, view

    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    num_ops = len(operands)
    if path is not None and len(path) != (1 if num_ops == 1 else (num_ops - 1) * 2):
        raise RuntimeError(
            f"einsum(): expected contraction path given in path parameter to have size "
            f"{1 if num_ops == 1 else (num_ops - 1) * 2} but got {len(path)}"
        )
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = _parse_operands(lhs, num_ops)

    label_count = [0] * _ELLIPSIS
    ell_num_dim = 0
    for i, (t, labels) in enumerate(zip(operands, op_labels)):
        ndims, nlabels, has_ellipsis = t.dim(), len(labels), _ELLIPSIS in labels
        for s in labels:
            if s == _ELLIPSIS:
                nlabels -= 1
                ell_num_dim = max(ell_num_dim, ndims - nlabels)
            else:
                label_count[s] += 1
        if not (nlabels <= ndims if has_ellipsis else nlabels == ndims):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({nlabels}) "
                + (
                    "is more than the number of dimensions ("
                    if has_ellipsis
                    else "does not match the number of dimensions ("
                )
                + f"{ndims}) for operand {i}"
                + ("" if has_ellipsis else " and no ellipsis was given")
            )

    # each label's index in the aligned shape: output dims first, then the contracted ones
    perm_index_of = [-1] * _ELLIPSIS
    perm_index = ell_index = 0
    ell_in_output = False
    if arrow < 0:  # implicit output: the ellipsis, then the labels seen once, in label order
        perm_index, ell_in_output = ell_num_dim, True
        for s in range(_ELLIPSIS):
            if label_count[s] == 1:
                perm_index_of[s] = perm_index
                perm_index += 1
    else:
        rhs = equation[arrow + 2 :]
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == ".":
                if ell_in_output:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
                if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                    raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
                i += 2
                ell_index, ell_in_output = perm_index, True
                perm_index += ell_num_dim
            elif c != " ":
                if not (c.isascii() and c.isalpha()):
                    raise RuntimeError(
                        f"einsum(): invalid subscript given at index {len(lhs) + 2 + i} in the equation string, "
                        "subscripts must be in [a-zA-Z]"
                    )
                s = _subscript(c)
                if not (label_count[s] > 0 and perm_index_of[s] == -1):
                    why = (
                        " appears more than once in the output"
                        if perm_index_of[s] > -1
                        else " does not appear in the equation for any input operand"
                    )
                    raise RuntimeError(f"einsum(): output subscript {c}{why}")
                perm_index_of[s] = perm_index
                perm_index += 1
            i += 1
    out_num_dim = perm_index
    if not ell_in_output:
        ell_index = perm_index
        perm_index += ell_num_dim
    for s in range(_ELLIPSIS):
        if label_count[s] > 0 and perm_index_of[s] == -1:
            perm_index_of[s] = perm_index
            perm_index += 1

    # align: a diagonal for a repeated label, an unsqueeze for a missing one, then one permute
    label_size, ell_sizes = [1] * _ELLIPSIS, [1] * ell_num_dim
    dim_counts = [0] * perm_index
    ops = []
    for i, (t, labels) in enumerate(zip(operands, op_labels)):
        x, permutation, dim = t, [-1] * perm_index, 0
        for s in labels:
            if s == _ELLIPSIS:
                ndim = t.dim() - (len(labels) - 1)
                for j in range(ell_num_dim - ndim, ell_num_dim):
                    size = x.shape[dim]
                    if size != 1:
                        if not (ell_sizes[j] == 1 or ell_sizes[j] == size):
                            raise RuntimeError(
                                f"einsum(): dimension {dim} covered by ellipsis in operand {i}has size {size} which "
                                f"does not broadcast with previously seen ellipsis with size {ell_sizes[j]} for the "
                                "respective dimension"
                            )
                        ell_sizes[j] = size
                        dim_counts[ell_index + j] += 1
                    permutation[ell_index + j] = dim
                    dim += 1
            elif permutation[perm_index_of[s]] == -1:
                size = x.shape[dim]
                if size != 1:
                    if not (label_size[s] == 1 or label_size[s] == size):
                        raise RuntimeError(
                            f"einsum(): subscript {_label(s)} has size {size} for operand {i} which does not "
                            f"broadcast with previously seen size {label_size[s]}"
                        )
                    label_size[s] = size
                    dim_counts[perm_index_of[s]] += 1
                permutation[perm_index_of[s]] = dim
                dim += 1
            else:
                prev = permutation[perm_index_of[s]]
                if x.shape[dim] != x.shape[prev]:
                    raise RuntimeError(
                        f"einsum(): subscript {_label(s)} is repeated for operand {i} but the sizes don't match, "
                        f"{x.shape[dim]} != {x.shape[prev]}"
                    )
                x = movedim(diagonal(x, 0, prev, dim), -1, prev)
        for k, val in enumerate(permutation):
            if val == -1:
                x = unsqueeze(x, dim)
                permutation[k] = dim
                dim += 1
        ops.append(permute(x, permutation))

    # contract pairs: left to right, or along the path
    steps = iter(path or ())
    while len(ops) > 1:
        i, j = 0, 1
        if path is not None:
            i, j = next(steps), next(steps)
            if j < i:
                i, j = j, i
            if not (i != j and i >= 0 and j < len(ops)):
                why = ") cannot contract an operand with itself" if i == j else ") operand index is out of bounds"
                raise RuntimeError(f"einsum(): invalid contraction ({i}, {j}{why}")
        a, b = ops[i], ops[j]
        del ops[j], ops[i]
        sum_dims, a_sums, b_sums = [], [], []
        for d in range(out_num_dim, perm_index):
            if a.shape[d] != 1 and b.shape[d] != 1:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if a.shape[d] != 1:
                    a_sums.append(d)
                    dim_counts[d] = 0
                elif b.shape[d] != 1:
                    b_sums.append(d)
                    dim_counts[d] = 0
        if a_sums:
            a = sum(a, a_sums, True)
        if b_sums:
            b = sum(b, b_sums, True)
        pair = _sumproduct_pair(a, b, sum_dims)
        if path is not None:
            ops.append(pair)
        else:
            ops.insert(0, pair)

    if perm_index > out_num_dim:
        # (the contracted dims are ones by now: a view drops them)
        if num_ops > 1:
            return view(ops[0], tuple(ops[0].shape)[:out_num_dim])
        return sum(ops[0], list(range(out_num_dim, perm_index)))
    return ops[0]


def _sumproduct_pair(left, right, sum_dims):
    """(left * right).sum(sum_dims, keepdim=True) by permute -> reshape -> bmm -> view -> permute."""
    from .pointwise import mul
    from .reduction import sum
    from .shape import permute, reshape, view

    if left.dim() != right.dim():
        raise RuntimeError("number of dimensions must match")
    if not sum_dims:
        return mul(left, right)
    summed = set(sum_dims)
    lro, lo, ro = [], [], []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(left.dim()):
        sl, sr = left.shape[i] != 1, right.shape[i] != 1
        if i in summed:
            if sl and sr:
                if left.shape[i] != right.shape[i]:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= left.shape[i]
            elif sl:
                left = sum(left, i, True)
            elif sr:
                right = sum(right, i, True)
        elif sl and sr:
            if left.shape[i] != right.shape[i]:
                raise RuntimeError("non-broadcast dimensions must match")
            lro.append(i)
            lro_size *= left.shape[i]
        elif sl:
            lo.append(i)
            lo_size *= left.shape[i]
        else:
            ro.append(i)
            ro_size *= right.shape[i]
    if lo and ro and ro[-1] < lo[0]:  # (then bmm lays its result out in the output's order)
        left, right, lo, ro, lo_size, ro_size = right, left, ro, lo, ro_size, lo_size
    out_size = [left.shape[d] for d in lro + lo] + [1] * len(sum_dims) + [right.shape[d] for d in ro]
    order = lro + lo + sum_dims + ro
    operm = [0] * len(order)
    for k, d in enumerate(order):
        operm[d] = k
    left = reshape(permute(left, order), (lro_size, lo_size, sum_size))
    right = reshape(permute(right, lro + sum_dims + ro + lo), (lro_size, sum_size, ro_size))
    return permute(view(bmm(left, right), out_size), operm)
