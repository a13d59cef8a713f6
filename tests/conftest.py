"""Shared test configuration: hypothesis profiles.

``HYPOTHESIS_PROFILE`` picks the profile (default ``ci``):

* ``ci``: bounded, for every run. Hypothesis predefines a ``ci`` profile (auto-loaded when the ``CI``
  environment variable is set); we re-register it on top of the built-in one, which hypothesis documents
  as the way to customise it, so both routes end up with the same settings.
* ``thorough``: many more examples, for a long run before a release or after touching the engine.

Under ``CI`` the ``ci`` profile does not shrink: a failure is reported as found, with its blob to replay. A shrink
of a known flaky divergence (an xfail of known_divergences.txt) can take minutes of CI's time budget.

Tests that need a different budget (the autograd state machine) scale from the loaded profile's values
rather than hard-coding their own, so ``thorough`` makes every test more thorough.
"""

from __future__ import annotations

import gc
import os

from hypothesis import HealthCheck, Phase, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci",
    settings.get_profile("ci"),
    max_examples=100,
    stateful_step_count=15,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=_SUPPRESS,
)
settings.register_profile(
    "thorough",
    settings.get_profile("ci"),
    max_examples=1000,
    stateful_step_count=50,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=_SUPPRESS,
)
if PROFILE == "ci" and os.environ.get("CI"):
    settings.register_profile(
        "ci-unshrunk", settings.get_profile("ci"), phases=[Phase.explicit, Phase.reuse, Phase.generate]
    )
    settings.load_profile("ci-unshrunk")
else:
    settings.load_profile(PROFILE)


# Known divergences from torch that are not fixed yet. Each stays an expected failure, listed by test id
# in known_divergences.txt with the issue that tracks it; strict, so a fixed one fails until it is removed
# from the list. Hypothesis-driven entries (marked "flaky") are not strict: their inputs vary per run.
def _known_divergences():
    import pathlib

    path = pathlib.Path(__file__).with_name("known_divergences.txt")
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                test_id, _, reason = line.partition("  # ")
                out[test_id.strip()] = reason.strip() or "known divergence from torch"
    return out


def pytest_collection_finish(session):
    # the objects of the imports and the collection live as long as the session: a full collection (the engine's
    # tests call gc.collect()) need not traverse them
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    import pytest

    if not config.getoption("markexpr"):  # (`-m slow` runs the long ones; the default suite leaves them out)
        slow = [item for item in items if item.get_closest_marker("slow") is not None]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if item.get_closest_marker("slow") is None]
    known = _known_divergences()
    for item in items:
        reason = known.get(item.nodeid)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict="flaky" not in reason))
