"""tinyml on the board: the baked-in module, a model copied with mpremote, a frozen model, natmods."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from support.board import PROJECT_ROOT, build_firmware, mpremote, runner

MODELS = PROJECT_ROOT.parent / "shared" / "models"
HELLO_WORLD = MODELS / "hello_world_int8.tflite"
NATMODS = PROJECT_ROOT / "build" / "natmod"

# hello_world approximates sin(x) on [0, 2*pi].
PREDICT_SIN = """
import tinyml
model = tinyml.Model({source})
for x in (0.5, 2.0, 4.0):
    print(x, model.predict([x])[0])
"""


def assert_predicts_sin(output: str) -> None:
    lines = output.splitlines()
    assert len(lines) == 3, output
    for line in lines:
        x, y = (float(field) for field in line.split())
        assert abs(y - math.sin(x)) < 0.15, line


def has_builtin_tinyml(board: object, fs_dir: Path) -> bool:
    result = runner.run_code(
        board, "import sys\nprint('tinyml' in sys.modules or __import__('tinyml') and 1)\n", fs_dir
    )
    return result.exit_code == 0


@pytest.fixture(scope="module")
def model_file() -> Path:
    if not HELLO_WORLD.exists():
        pytest.skip(f"{HELLO_WORLD} is missing")
    return HELLO_WORLD


def test_model_copied_with_mpremote_predicts(
    m4: object, m4_firmware: Path, model_file: Path, tmp_path: Path
) -> None:
    if not has_builtin_tinyml(m4, tmp_path):
        pytest.skip("firmware built without the tinyml user C module")
    with runner.serve(m4, tmp_path / "fs", "tcp") as served:
        mpremote(served.device, "cp", str(model_file), ":hello_world_int8.tflite")
        code = PREDICT_SIN.format(source="open('hello_world_int8.tflite', 'rb').read()")
        assert_predicts_sin(mpremote(served.device, "exec", code).stdout)


def test_frozen_model_is_used_in_place(m4: object, model_file: Path, tmp_path: Path) -> None:
    build = PROJECT_ROOT / "build" / "firmware" / "mps2-an386-frozen-model"
    firmware = build_firmware("mps2-an386", f"BUILD={build}", f"MODEL={model_file}")
    script = tmp_path / "frozen.py"
    script.write_text(
        "import frozen_model\n"
        "print(frozen_model.NAME, len(frozen_model.MODEL))\n"
        + PREDICT_SIN.format(source="frozen_model.MODEL")
    )
    result = runner.run_script(m4, script, tmp_path, firmware=firmware)
    assert result.exit_code == 0, result.output
    first, rest = result.output.split("\n", 1)
    assert first == f"hello_world_int8.tflite {model_file.stat().st_size}"
    assert_predicts_sin(rest)


@pytest.mark.parametrize("arch", ["armv7emsp", "armv6m"])
def test_natmod_loads_on_the_m4(
    m4: object, m4_firmware: Path, model_file: Path, arch: str, tmp_path: Path
) -> None:
    natmod = NATMODS / arch / "tinyml.mpy"
    if not natmod.exists():
        pytest.skip(f"{natmod} not built (make -C micropython_module/natmod ARCH={arch})")
    # Imported under another name: a built-in tinyml would shadow tinyml.mpy.
    shutil.copyfile(natmod, tmp_path / "tinyml_natmod.mpy")
    shutil.copyfile(model_file, tmp_path / "model.tflite")
    code = PREDICT_SIN.replace("import tinyml", "import tinyml_natmod as tinyml").format(
        source="open('model.tflite', 'rb').read()"
    )
    result = runner.run_code(m4, "print(__import__('tinyml_natmod').__file__)\n" + code, tmp_path)
    assert result.exit_code == 0, result.output
    first, rest = result.output.split("\n", 1)
    assert first == "tinyml_natmod.mpy"
    assert_predicts_sin(rest)
