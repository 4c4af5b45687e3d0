"""The MicroPython API tests (tests/mpy/*.py) on the emulated Cortex-M4, for every delivery.

The scripts are the ones tests/test_micropython_api.py runs on the unix port;
here they run on the board, with the shared models in the semihosting
directory, and the very same assertions (imported below) judge their reports.
"""

from __future__ import annotations

import ast
import re
import struct
from pathlib import Path

import numpy as np
import pytest
import test_micropython_api as unix_port_tests
from support.board import PROJECT_ROOT, Delivery, runner
from support.modelgen import unsupported_models

# The unix-port tests, collected again here with the board's fixtures below
# (all but the one that links natmods for every architecture on the host).
for _name in dir(unix_port_tests):
    if _name.startswith("test_") and _name != "test_native_module_links_for_every_architecture":
        globals()[_name] = getattr(unix_port_tests, _name)

MPY_SCRIPTS = PROJECT_ROOT / "tests" / "mpy"
MODELS_DIR = PROJECT_ROOT.parent / "shared" / "models"
# The scripts read their models directories from sys.argv, as on the unix port,
# and run with repr() reporting floats exactly (see EXACT_FLOAT_REPORT).
DRIVER = """
import sys
from report import _exact
sys.argv[:] = [{script!r}, '/models', '/generated']
exec(open({script!r}).read(), {{'__name__': '__main__', 'repr': _exact}})
"""

# Appended to tests/mpy/report.py on the board. The firmware's floats are
# single precision and repr() shows 6 digits: floats are reported as their
# float32 bits, f32(N), so the unix-port assertions can compare exactly.
EXACT_FLOAT_REPORT = """
import struct

def _exact(value):
    if isinstance(value, float):
        return 'f32(%d)' % struct.unpack('<I', struct.pack('<f', value))[0]
    if isinstance(value, list):
        return '[' + ', '.join(_exact(v) for v in value) + ']'
    if isinstance(value, tuple):
        return '(' + ''.join(_exact(v) + ', ' for v in value) + ')'
    return repr(value)


def report(name, value):
    print(name + '\\t' + _exact(value))
"""


class _Float32Bits(ast.NodeTransformer):
    """f32(N) -> the float whose IEEE single-precision bits are N."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == "f32" and len(node.args) == 1:
            bits = ast.literal_eval(node.args[0])
            return ast.Constant(float(np.frombuffer(struct.pack("<I", bits), np.float32)[0]))
        return self.generic_visit(node)


def float32_text(match: re.Match[str]) -> str:
    return repr(float(np.frombuffer(struct.pack("<I", int(match.group(1))), np.float32)[0]))


def parse_key(text: str) -> str:
    """Keys may hold repr()s of floats too, e.g. "quantize(1000000000.0)"."""
    return re.sub(r"f32\((\d+)\)", float32_text, text)


def parse_value(text: str) -> object:
    tree = _Float32Bits().visit(ast.parse(text, mode="eval"))
    return ast.literal_eval(tree)


@pytest.fixture(scope="module")
def board_fs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One semihosting directory with the scripts and every shared model, for all deliveries."""
    fs_dir = tmp_path_factory.mktemp("api_fs")
    files = runner.SemihostingDir(fs_dir)
    for script in MPY_SCRIPTS.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        if script.name == "report.py":
            text += EXACT_FLOAT_REPORT
        files.write(script.name, text.encode())
    for model in MODELS_DIR.glob("*.tflite"):
        files.write(f"models/{model.name}", model.read_bytes())
    for name, model_bytes in unsupported_models().items():
        files.write(f"generated/{name}.tflite", model_bytes)
    return fs_dir


def run_api_script(delivery: Delivery, m4: object, fs_dir: Path, script: str) -> dict[str, object]:
    delivery.install(fs_dir)
    if delivery.natmod is None:
        (fs_dir / "tinyml.mpy").unlink(missing_ok=True)
    code = DRIVER.format(script=script)
    result = runner.run_code(m4, code, fs_dir, timeout=300, firmware=delivery.firmware)
    assert result.exit_code == 0, f"{script} on the board failed:\n{result.output[-3000:]}"
    results: dict[str, object] = {}
    for line in result.output.splitlines():
        key, _, value = line.partition("\t")
        results[parse_key(key)] = parse_value(value)
    return results


# A module-scoped fixture parametrized through `delivery` (session-scoped): the
# scripts run once per delivery.
@pytest.fixture(scope="module")
def basics(delivery: Delivery, m4: object, board_fs: Path) -> dict[str, object]:
    return run_api_script(delivery, m4, board_fs, "api_basics.py")


@pytest.fixture(scope="module")
def errors(delivery: Delivery, m4: object, board_fs: Path) -> dict[str, object]:
    return run_api_script(delivery, m4, board_fs, "api_errors.py")


@pytest.fixture(scope="module")
def memory(delivery: Delivery, m4: object, board_fs: Path) -> dict[str, object]:
    return run_api_script(delivery, m4, board_fs, "api_memory.py")


@pytest.fixture(scope="module")
def metadata(delivery: Delivery, m4: object, board_fs: Path) -> dict[str, object]:
    tagged = unix_port_tests.tagged_model(MODELS_DIR)
    runner.SemihostingDir(board_fs).write("generated/tagged.tflite", tagged)
    return run_api_script(delivery, m4, board_fs, "api_metadata.py")


@pytest.fixture(scope="module")
def profile_unit(delivery: Delivery, m4: object, board_fs: Path) -> dict[str, object]:
    code = """
import tinyml
from report import read, report
report('profile_unit', tinyml.profile_unit)
m = tinyml.Model('/models/hello_world_int8.tflite', profile=True)
report('before', m.last_invoke)
counts = []
for _ in range(3):
    m.input().data[0] = 5
    m.invoke()
    counts.append((m.last_invoke, [t for _, t in m.profile()]))
report('counts', counts)
"""
    (board_fs / "profile_unit.py").write_text(code, encoding="utf-8")
    runner.SemihostingDir(board_fs).write("profile_unit.py", code.encode())
    return run_api_script(delivery, m4, board_fs, "profile_unit.py")


def test_firmware_profiles_in_exact_instructions_and_the_natmod_in_microseconds(
    delivery: Delivery, profile_unit: dict[str, object]
) -> None:
    assert profile_unit["before"] is None
    counts = profile_unit["counts"]
    assert isinstance(counts, list) and len(counts) == 3
    if delivery.natmod is None:
        # The engine's C clock counts retired instructions: the same input retires
        # the same count, and the whole invoke is more than the sum of its operators
        # (the per-operator clock readings lie between them).
        assert profile_unit["profile_unit"] == "instructions"
        assert counts[0] == counts[1] == counts[2]
        total, per_op = counts[0]
        assert len(per_op) == 3 and all(t > 100 for t in per_op)
        assert sum(per_op) < total < sum(per_op) + 1000
    else:
        assert profile_unit["profile_unit"] == "us"
        assert all(isinstance(total, int) and total >= sum(per_op) for total, per_op in counts)
