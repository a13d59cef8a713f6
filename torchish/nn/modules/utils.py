"""torch.nn.modules.utils."""

from .._ntuple import _ntuple, _pair, _quadruple, _reverse_repeat_tuple, _single, _triple  # noqa: F401
