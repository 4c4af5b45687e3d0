"""`import tinyml` under MicroPython: the API a board user sees.

The scripts in tests/mpy/ run under the unix port (.venv/bin/micropython) with
the x64 native module; each prints "name<TAB>repr(value)" lines, asserted on here.
"""

from __future__ import annotations

import ast
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support.modelgen import unsupported_models

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MPY_SCRIPTS = PROJECT_ROOT / "tests" / "mpy"
NATMOD_DIR = PROJECT_ROOT / "build" / "natmod" / "x64"
MICROPYTHON = Path(sys.executable).parent / "micropython"


@pytest.fixture(scope="module")
def natmod() -> Path:
    proc = subprocess.run(
        ["make", "-C", str(PROJECT_ROOT / "micropython_module" / "natmod"), "ARCH=x64"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"building the x64 native module failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return NATMOD_DIR / "tinyml.mpy"


def run_script(name: str, models: Path, *more_args: Path) -> dict[str, object]:
    proc = subprocess.run(
        [str(MICROPYTHON), str(MPY_SCRIPTS / name), str(models), *map(str, more_args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=MPY_SCRIPTS,
        env={**os.environ, "MICROPYPATH": str(NATMOD_DIR)},
    )
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    results: dict[str, object] = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition("\t")
        results[key] = ast.literal_eval(value)
    return results


@pytest.fixture(scope="module")
def basics(natmod: Path, shared_models: Path) -> dict[str, object]:
    return run_script("api_basics.py", shared_models)


@pytest.fixture(scope="module")
def errors(natmod: Path, shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    generated = tmp_path_factory.mktemp("unsupported")
    for name, model in unsupported_models().items():
        (generated / f"{name}.tflite").write_bytes(model)
    return run_script("api_errors.py", shared_models, generated)


@pytest.fixture(scope="module")
def memory(natmod: Path, shared_models: Path) -> dict[str, object]:
    return run_script("api_memory.py", shared_models)


def f32(x: float) -> float:
    return float(np.float32(x))


def engine_quantize(x: float, scale: float, zero_point: int) -> int:
    """(int)roundf(x / scale) + zero_point in float32, clamped to int8."""
    q = np.float32(x) / np.float32(scale)
    rounded = math.floor(abs(q) + 0.5) * (1 if q >= 0 else -1)
    return int(min(127, max(-128, rounded + zero_point)))


# ---- module ----------------------------------------------------------------------


def test_module_reports_version_and_supported_ops(basics: dict) -> None:
    assert basics["version"] == "0.1.0"
    ops = dict(basics["supported_ops"])
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "RESHAPE", "AVERAGE_POOL_2D"):
        assert ops[op] >= 1


# ---- loading ---------------------------------------------------------------------


def test_model_loads_from_path_bytes_bytearray_and_memoryview_alike(basics: dict) -> None:
    answers = [basics[f"predict_from_{kind}"] for kind in ("path", "bytes", "bytearray", "memoryview")]
    assert all(a == answers[0] for a in answers)
    assert len(answers[0]) == 1


def test_model_introspection(basics: dict) -> None:
    assert basics["ops"] == (("FULLY_CONNECTED", 4),) * 3
    assert basics["arena_size_is_planned"] is True
    assert basics["arena_used"] > 0 and basics["state_size"] > 0
    assert basics["num_inputs"] == 1 and basics["num_outputs"] == 1
    assert basics["model_repr"] == (
        f"<Model: 3 ops, 1 inputs, 1 outputs, arena {basics['arena_used']} bytes, "
        f"state {basics['state_size']} bytes>"
    )


def test_tensor_describes_itself(basics: dict) -> None:
    assert basics["input_shape"] == (1, 1)
    assert basics["input_dtype"] == "int8"
    assert basics["input_scale"] == f32(basics["input_scale"]) > 0
    assert basics["input_zero_point"] == -128
    assert basics["input_len"] == 1 and basics["input_nbytes"] == 1
    assert basics["input_repr"] == "<Tensor input 0: int8 (1, 1)>"
    assert basics["input_data_typecode_int8"] is True
    assert basics["inputs_tuple_is_input_0"] is True


# ---- data in and out -------------------------------------------------------------


def test_data_views_are_zero_copy(basics: dict) -> None:
    # An output view taken before invoke() shows the result written by invoke().
    assert basics["output_via_view_before_invoke"] == basics["output_via_fresh_view"]
    # predict() of the same raw input dequantizes that very output byte.
    scale, zp = basics["output_scale"], basics["output_zero_point"]
    assert basics["predict_bytes_0x10"] == [f32((basics["output_via_fresh_view"] - zp) * f32(scale))]


def test_assigning_data_copies_raw_bytes_or_same_typecode_arrays(basics: dict) -> None:
    assert basics["data_assign_bytes"] == 0x20
    assert basics["data_assign_array_b"] == -3


def test_quantize_uses_the_engine_rounding_and_clamps(basics: dict) -> None:
    scale, zp = basics["input_scale"], basics["input_zero_point"]
    checked = 0
    for key, value in basics.items():
        if key.startswith("quantize(") and key.endswith(")"):
            x = float(key[len("quantize(") : -1])
            assert value == engine_quantize(x, scale, zp), key
            checked += 1
    assert checked == 8
    assert basics["quantize(1000000000.0)"] == 127
    assert basics["quantize(-1000000000.0)"] == -128
    assert basics["quantize_array_f"] == engine_quantize(1.0, scale, zp)


def test_dequantize_round_trips_within_half_a_step(basics: dict) -> None:
    (value,) = basics["dequantize_of_quantized_1.0"]
    assert abs(value - 1.0) <= basics["input_scale"] / 2
    assert basics["dequantize_into_out_is_out"] is True
    assert basics["dequantize_into_out"] == basics["dequantize_of_quantized_1.0"]


def test_predict_accepts_floats_or_raw_input_and_returns_dequantized_floats(basics: dict) -> None:
    assert basics["predict_list_type"] is True
    (y,) = basics["predict_list"]
    assert abs(y - math.sin(1.0)) < 0.1  # hello_world approximates sin(x)
    same = basics["predict_list"]
    for key in ("predict_array_f", "predict_raw_bytes", "predict_raw_bytearray", "predict_raw_array_b"):
        assert basics[key] == same, key
    assert basics["predict_after_reset"] == same


def test_profile_lists_each_operator_of_the_last_invoke(basics: dict) -> None:
    assert basics["profile_ops"] == ["FULLY_CONNECTED"] * 3
    assert basics["profile_times_are_ints"] is True
    assert basics["kws_profile_len"] == len(basics["kws_ops"])


def test_float_model_takes_and_returns_raw_floats(basics: dict) -> None:
    assert basics["float_input_dtype"] == "float32"
    assert basics["float_input_typecode_view"] is True
    (y,) = basics["float_predict"]
    assert abs(y - math.sin(1.0)) < 0.05
    assert basics["float_predict_array"] == basics["float_predict"]
    assert basics["float_quantize_stores_value"] == 0.25
    assert basics["float_dequantize"] == [0.25]


def test_kws_model_runs_and_outputs_probabilities(basics: dict) -> None:
    assert basics["kws_input_shape"] == (1, 49, 10, 1)
    assert basics["kws_output_shape"] == (1, 12)
    assert basics["kws_ops"][0] == "CONV_2D" and basics["kws_ops"][-1] == "SOFTMAX"
    assert basics["kws_predict_len"] == 12
    assert basics["kws_probabilities_sum"] == 1.0


# ---- errors ----------------------------------------------------------------------


def test_bad_model_files_are_value_errors_naming_the_problem(errors: dict) -> None:
    assert errors["missing_file"].startswith("OSError:")
    assert errors["empty_bytes"] == "ValueError: model: file is 0 bytes, too short to be a TFLite model"
    assert errors["truncated"].startswith("ValueError: model: ")
    assert (
        errors["wrong_identifier"] == 'ValueError: model: not a TFLite model (file identifier is not "TFL3")'
    )
    assert errors["garbage_model"].startswith("ValueError: model: ")
    assert errors["source_wrong_type"] == (
        "TypeError: source must be a file path (str) or a buffer (bytes, bytearray, memoryview)"
    )


def test_unsupported_models_are_not_implemented_errors(errors: dict) -> None:
    assert errors["unsupported_builtin"] == (
        "NotImplementedError: operator LSH_PROJECTION version 1 (operator 0) is not supported"
    )
    assert errors["unsupported_custom"] == (
        "NotImplementedError: custom operator 'MyVendorOp' (operator 0) is not supported"
    )


def test_arena_too_small_says_what_is_needed(errors: dict) -> None:
    needed = errors["arena_needed"]
    assert (
        errors["arena_int_too_small"]
        == f"ValueError: arena too small: needs {needed} bytes, given {needed - 1}"
    )
    assert errors["arena_int_zero"] == f"ValueError: arena too small: needs {needed} bytes, given 0"
    assert errors["arena_bytearray_too_small"].startswith(
        f"ValueError: arena too small: needs {needed} bytes"
    )
    assert errors["arena_int_negative"] == "ValueError: arena size must not be negative"
    wrong_type = "TypeError: arena must be None, a size in bytes, or a writable buffer (bytearray)"
    assert errors["arena_read_only"] == wrong_type
    assert errors["arena_wrong_type"] == wrong_type
    assert errors["arena_positional"].startswith("TypeError:")
    assert errors["unknown_keyword"].startswith("TypeError:")


def test_tensor_index_out_of_range_is_an_index_error(errors: dict) -> None:
    assert errors["input_index_1"] == "IndexError: input 1 out of range: the model has 1 input(s)"
    assert errors["input_index_negative"] == "IndexError: input -1 out of range: the model has 1 input(s)"
    assert errors["output_index_5"] == "IndexError: output 5 out of range: the model has 1 output(s)"


def test_wrong_inputs_say_the_expected_shape_and_dtype(errors: dict) -> None:
    expected = "ValueError: input 0 expects shape (1, 1) int8 (1 elements, 1 bytes); got "
    assert errors["predict_two_bytes"] == expected + "a buffer of 2 bytes"
    assert errors["predict_empty_bytes"] == expected + "a buffer of 0 bytes"
    assert errors["predict_int16_array"] == expected + "an array of typecode 'h' of 2 bytes"
    assert errors["predict_two_floats"] == expected + "a sequence of 2 numbers"
    assert errors["predict_float_array_size"] == expected + "array('f') of 2 floats"
    assert errors["data_assign_two_bytes"] == expected + "a buffer of 2 bytes"
    assert errors["data_assign_int32_array"] == expected + "an array of typecode 'i' of 4 bytes"
    assert errors["data_assign_float_array"] is True  # floats into an int8 input are quantized
    assert errors["quantize_wrong_length"] == expected + "a sequence of 2 numbers"
    assert errors["predict_int"].startswith("TypeError: expected a buffer")
    assert errors["predict_list_of_str"].startswith("TypeError:")
    assert (
        errors["quantize_not_floats"] == "TypeError: expected floats: array('f') or a list/tuple of numbers"
    )
    assert errors["dequantize_out_wrong_size"] == "ValueError: out has 2 floats; the tensor has 1"
    assert errors["dequantize_out_wrong_type"] == "TypeError: out must be a writable array('f')"
    assert errors["attribute_is_read_only"].startswith("AttributeError:")


def test_profile_is_opt_in(errors: dict) -> None:
    assert (
        errors["profile_off"]
        == "RuntimeError: profiling is off: create the model with Model(..., profile=True)"
    )


def test_failed_loads_leave_the_module_usable(errors: dict, basics: dict) -> None:
    assert errors["after_errors_predict"] == basics["predict_from_bytes"]


# ---- memory ----------------------------------------------------------------------


def test_arena_given_as_size_or_caller_bytearray(memory: dict) -> None:
    assert memory["arena_int_size"] == 1000
    assert memory["arena_int_used"] < 1000
    assert memory["arena_bytearray_size"] == 200
    assert memory["input_byte_is_in_caller_arena"] is True
    assert memory["output_byte_is_in_caller_arena"] is True
    assert memory["arena_int_predict"] == memory["arena_bytearray_predict"]


def test_a_data_view_keeps_the_arena_alive(memory: dict) -> None:
    assert memory["view_outlives_model"] is True


def test_models_created_and_dropped_in_a_loop_do_not_grow_the_heap(memory: dict) -> None:
    # A leak would grow the heap by at least the Model object (~400 bytes) per
    # round, 40 KB over 100 rounds; the collector is conservative, so a stale
    # pointer may keep one model (about 1 KB here) alive: that is the allowance.
    allowance = 4096
    assert memory["growth_after_100_models_from_bytes"] <= allowance
    assert memory["growth_after_100_models_from_path"] <= allowance
    # With kws, the one model a stale pointer may keep alive is its arena and
    # state (~22 KB); twenty leaked models would be twenty times that.
    one_kws_model = int(memory["kws_arena"]) + int(memory["kws_state"])  # type: ignore[call-overload]
    assert memory["growth_after_20_kws_models"] <= one_kws_model + allowance
    assert memory["growth_after_200_failed_loads"] <= allowance


def test_model_heap_footprint_is_arena_plus_state(memory: dict) -> None:
    # Bytes given in are used in place; only the object itself comes on top.
    assert 0 <= memory["kws_from_bytes_footprint_excess"] <= 1024
    # A file is read once, into exactly one block of its size.
    assert 0 <= memory["kws_from_path_footprint_excess"] <= 1024


# ---- native module builds --------------------------------------------------------

# .mpy header byte 2: architecture << 2 | sub-version 3 (MicroPython 1.23, ABI 6.3).
NATMOD_ARCH_CODES = {"x64": 2, "armv6m": 4, "armv7m": 5, "armv7emsp": 7, "armv7emdp": 8}


def test_native_module_links_for_every_architecture() -> None:
    proc = subprocess.run(
        ["make", "-C", str(PROJECT_ROOT / "micropython_module" / "natmod"), "all-archs"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    for arch, code in NATMOD_ARCH_CODES.items():
        header = (PROJECT_ROOT / "build" / "natmod" / arch / "tinyml.mpy").read_bytes()[:4]
        assert header[:2] == b"M\x06", arch
        assert header[2] == (code << 2) | 3, arch
        assert f"{arch}: text " in proc.stdout  # the size line of each build


# ---- metadata --------------------------------------------------------------------


@pytest.fixture(scope="module")
def metadata(
    natmod: Path, shared_models: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    generated = tmp_path_factory.mktemp("metadata")
    (generated / "tagged.tflite").write_bytes(tagged_model(shared_models))
    return run_script("api_metadata.py", shared_models, generated)


def tagged_model(models: Path) -> bytes:
    """hello_world with a small "tinyml" entry (api_metadata.py's GENERATED_DIR/tagged.tflite)."""
    from tinyml_tools.tflite_edit import with_metadata

    model = (models / "hello_world_int8.tflite").read_bytes()
    return with_metadata(model, {"tinyml": b'{"labels": ["sine"]}'})


def test_metadata_returns_an_entry_as_a_read_only_view_or_none(metadata: dict, shared_models: Path) -> None:
    from tinyml_tools.tflite_file import read_tflite

    expected = read_tflite((shared_models / "hello_world_int8.tflite").read_bytes()).metadata
    assert metadata["named_entry_type"] == "memoryview"
    assert metadata["named_entry_bytes"] == expected["min_runtime_version"]
    assert metadata["name_by_keyword"] is True
    assert metadata["default_name_absent"] is None  # the default name is "tinyml"
    assert metadata["absent_entry"] is None
    assert metadata["view_is_read_only"] == "TypeError: 'memoryview' object doesn't support item assignment"


def test_metadata_views_point_into_the_model_bytes_and_keep_them_alive(metadata: dict) -> None:
    assert metadata["tinyml_entry"] == b'{"labels": ["sine"]}'
    assert metadata["view_after_model_dropped"] == b'{"labels": ["sine"]}'
    assert metadata["view_points_into_model_bytes"] is True


def test_metadata_names_must_be_short_strings(metadata: dict) -> None:
    assert metadata["error_name_not_str"] == "TypeError: metadata name must be a str"
    assert metadata["error_name_too_long"] == "ValueError: metadata name too long: 65 bytes, at most 64"
    assert metadata["error_unknown_keyword"].startswith("TypeError")
