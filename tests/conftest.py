"""Test-session setup shared by every test under tests/.

Makes `tests/` the root of the `support` package (so tests in any
subdirectory can `from support.modelgen import ...`) and builds the host
runner once per session.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from support import engine, sweep  # noqa: E402
from support.engine import PROJECT_ROOT, RUNNER, RUNNER_ASAN, RUNNER_REFERENCE  # noqa: E402

SHARED_MODELS = PROJECT_ROOT.parent / "shared" / "models"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sweep",
        type=int,
        default=0,
        metavar="N",
        help="run every tests/ops case on input seeds 1..N instead of its few CI seeds (make sweep)",
    )


def pytest_configure(config: pytest.Config) -> None:
    sweep.configure(config.getoption("--sweep"))


@pytest.fixture(scope="session", autouse=True)
def host_runner() -> Path:
    """build/host/tml_run (and its sanitizer build tml_run_asan, and
    tml_run_reference with the reference kernels only), brought up to date by
    tests/c/Makefile once per session, before any test runs."""
    targets = [str(RUNNER), str(RUNNER_ASAN), str(RUNNER_REFERENCE)]
    proc = subprocess.run(
        ["make", "-C", "tests/c", "-j2", *targets], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    if proc.returncode != 0 or not all(Path(t).exists() for t in targets):
        log = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        pytest.fail(f"`make -C tests/c` failed (exit {proc.returncode}):\n{log}")
    return RUNNER


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """../shared/models relative to the project root; its absence is a failure, not a skip."""
    if not SHARED_MODELS.is_dir():
        pytest.fail(f"reference models missing: {SHARED_MODELS} (they are always present in CI)")
    return SHARED_MODELS


@pytest.fixture(params=sorted(engine.KERNEL_FLAVOURS))
def kernel_flavour(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The runner of one kernel flavour, used by tinyml_run for the test.

    The operators with optimized kernels (CONV_2D, DEPTHWISE_CONV_2D,
    FULLY_CONNECTED; portable C on the host) mark their test modules with
    `pytestmark = pytest.mark.usefixtures("kernel_flavour")`: every test there
    runs on the runner with the optimized kernels and on the one with the
    reference kernels only, and both must give TFLM's bytes."""
    with engine.kernel_flavour(request.param) as runner:
        yield runner
