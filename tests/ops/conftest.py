"""Fixtures of the single-operator tests.

`kernel_flavour`: the operators with optimized kernels (CONV_2D,
DEPTHWISE_CONV_2D, FULLY_CONNECTED; portable C on the host) mark their module
with `pytestmark = pytest.mark.usefixtures("kernel_flavour")`, and every test
there runs twice: on the runner with the optimized kernels and on the one with
the reference kernels only. Both must give TFLM's bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import engine


@pytest.fixture(params=sorted(engine.KERNEL_FLAVOURS))
def kernel_flavour(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The runner of one kernel flavour, used by tinyml_run for the test."""
    with engine.kernel_flavour(request.param) as runner:
        yield runner
