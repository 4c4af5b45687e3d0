"""SOFTMAX: our kernel produces exactly TFLM's bytes, and our expf is the C library's.

Each case builds a one-operator model, runs it on seeded random inputs
through our engine and through TFLM, and requires identical output bytes.
Cases cover int8 -> int8 and int8 -> int16 (gemmlowp fixed point), int16 ->
int16 (TFLM's exp and 1 / (1 + x) tables, built as TFLM builds them) and float32
(exp in float); betas from 0.1 to 100; input scales from 1e-4 to 16 (where
the input multiplier saturates); input zero points at the extremes; rank 1
to 4; rows of 1 to 1000 classes. Float SOFTMAX calls the C library's expf in
TFLM, which is not correctly rounded, so tml_expf reproduces that expf: a
sweep over float32 checks it against the libm this test runs with.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from support.engine import PROJECT_ROOT, EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, edit_model, single_op_model
from support.oracle import tflm_run_many
from support.sweep import input_seeds

INPUT_SEEDS = input_seeds(1, 2, 3)
ENGINE_DIR = PROJECT_ROOT / "micropython_module" / "engine"


@dataclass(frozen=True)
class Softmax:
    name: str
    shape: tuple[int, ...] = (1, 10)
    beta: float = 1.0
    dtype: str = "int8"
    output_dtype: str = "int8"
    input_scale: float = 0.1
    input_zero_point: int = 0


def build(c: Softmax) -> bytes:
    if c.dtype == "float32":
        return single_op_model(
            "SOFTMAX", [TensorSpec(c.shape, "float32")], [TensorSpec(c.shape, "float32")], {"beta": c.beta}
        )
    if c.dtype == "int16":  # version 3: symmetric int16 in, Q0.15 out
        return single_op_model(
            "SOFTMAX",
            [TensorSpec(c.shape, "int16", c.input_scale, 0)],
            [TensorSpec(c.shape, "int16", 1.0 / 32768, 0)],
            {"beta": c.beta},
            version=3,
        )
    out = (
        TensorSpec(c.shape, "int8", 1.0 / 256, -128)
        if c.output_dtype == "int8"
        else TensorSpec(c.shape, "int16", 1.0 / 65536, -32768)
    )
    return single_op_model(
        "SOFTMAX",
        [TensorSpec(c.shape, "int8", c.input_scale, c.input_zero_point)],
        [out],
        {"beta": c.beta},
        version=2,
    )


def assert_matches_tflm(model: bytes, input_sets: list[list[np.ndarray]]) -> None:
    """Our outputs equal TFLM's, byte for byte, on every input set."""
    expected = tflm_run_many(model, input_sets)
    for s, (inputs, want) in enumerate(zip(input_sets, expected, strict=True)):
        got = tinyml_run(model, inputs)
        for o, (g, e) in enumerate(zip(got, want, strict=True)):
            assert g.dtype == e.dtype and g.shape == e.shape, f"set {s} output {o}: {g.dtype}{g.shape}"
            if g.tobytes() != e.tobytes():
                diff = np.flatnonzero(g.reshape(-1) != e.reshape(-1))
                pytest.fail(
                    f"set {s} output {o}: {diff.size} of {g.size} elements differ, first at {diff[0]}: "
                    f"ours {g.reshape(-1)[diff[0]]!r}, TFLM {e.reshape(-1)[diff[0]]!r}"
                )


CASES = [
    Softmax("int8_10_classes"),
    Softmax("int8_kws_like_12", shape=(1, 12), input_scale=0.0981, input_zero_point=-20),
    Softmax("int8_rank1", shape=(17,)),
    Softmax("int8_rank4_rows", shape=(2, 3, 4, 7), input_scale=0.05),
    Softmax("int8_single_class", shape=(4, 1)),
    Softmax("int8_1000_classes", shape=(1, 1000), input_scale=0.02),
    Softmax("int8_beta_0_1", beta=0.1, input_scale=0.2),
    Softmax("int8_beta_2", beta=2.0),
    Softmax("int8_beta_10", beta=10.0, input_scale=0.03),
    Softmax("int8_beta_100_saturating", beta=100.0, input_scale=0.5),
    Softmax("int8_scale_1e-4", input_scale=1e-4),
    Softmax("int8_scale_16", input_scale=16.0),
    Softmax("int8_scale_0_0625", input_scale=0.0625),
    Softmax("int8_zero_point_min", input_zero_point=-128, input_scale=0.3),
    Softmax("int8_zero_point_max", input_zero_point=127, input_scale=0.3),
    Softmax("int8_to_int16", output_dtype="int16"),
    Softmax(
        "int8_to_int16_beta_3_scale_0_02", output_dtype="int16", beta=3.0, input_scale=0.02, shape=(3, 40)
    ),
    Softmax("int16_10_classes", dtype="int16", input_scale=0.001),
    Softmax("int16_rank1", dtype="int16", shape=(17,), input_scale=0.0005),
    Softmax("int16_rank4_rows", dtype="int16", shape=(2, 3, 4, 7), input_scale=0.0002),
    Softmax("int16_single_class", dtype="int16", shape=(4, 1), input_scale=0.001),
    Softmax("int16_1000_classes", dtype="int16", shape=(1, 1000), input_scale=0.0003),
    Softmax("int16_beta_0_1", dtype="int16", beta=0.1, input_scale=0.002),
    Softmax("int16_beta_2", dtype="int16", beta=2.0, input_scale=0.0001),
    Softmax("int16_beta_10", dtype="int16", beta=10.0, input_scale=0.00005),
    Softmax("int16_scale_1e-6", dtype="int16", input_scale=1e-6),
    Softmax("int16_scale_0_01_saturating", dtype="int16", input_scale=0.01),
    Softmax("int16_scale_1", dtype="int16", input_scale=1.0, shape=(3, 12)),
    Softmax("float_10", dtype="float32"),
    Softmax("float_rank1", dtype="float32", shape=(33,)),
    Softmax("float_rank3", dtype="float32", shape=(2, 5, 9)),
    Softmax("float_1000_classes", dtype="float32", shape=(1, 1000)),
    Softmax("float_beta_0_1", dtype="float32", beta=0.1, shape=(4, 16)),
    Softmax("float_beta_3_7", dtype="float32", beta=3.7, shape=(4, 16)),
    Softmax("float_beta_25", dtype="float32", beta=25.0, shape=(4, 16)),
    Softmax("float_single_class", dtype="float32", shape=(3, 1)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_softmax_matches_tflm(c: Softmax, host_runner: object) -> None:
    model = build(c)
    assert_matches_tflm(model, [random_inputs(model, seed) for seed in INPUT_SEEDS])


def test_int8_extreme_rows_match_tflm(host_runner: object) -> None:
    """All-equal rows, one dominant class, and the full int8 range in one row."""
    model = build(Softmax("extremes", shape=(4, 256), input_scale=0.05, input_zero_point=3))
    rows = np.zeros((4, 256), np.int8)
    rows[0, :] = 7
    rows[1, :] = -128
    rows[1, 100] = 127
    rows[2, :] = np.arange(-128, 128)
    rows[3, :] = np.where(np.arange(256) % 2 == 0, 127, -128)
    assert_matches_tflm(model, [[rows]])


def test_float_wide_range_matches_tflm(host_runner: object) -> None:
    """Inputs spread over +-80 so that exp underflows to subnormals and zero."""
    model = build(Softmax("wide", dtype="float32", shape=(8, 64)))
    rng = np.random.default_rng(7)
    x = rng.uniform(-80.0, 80.0, size=(8, 64)).astype(np.float32)
    assert_matches_tflm(model, [[x]])


def test_int8_output_with_wrong_scale_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "SOFTMAX",
        [TensorSpec((1, 4), "int8", 0.1, 0)],
        [TensorSpec((1, 4), "int8", 1.0 / 128, -128)],
        {"beta": 1.0},
        version=2,
    )
    with pytest.raises(EngineError, match="int8 output must have scale 1/256 and zero point -128"):
        tinyml_run(model, random_inputs(model, 0))


def test_too_small_input_scale_is_refused_not_crashed(host_runner: object) -> None:
    """TFLM aborts the process on beta * scale below 2^-26; we refuse with a message."""
    model = build(Softmax("tiny", input_scale=7.8e-9))
    with pytest.raises(EngineError, match="too small for the int8 kernel"):
        tinyml_run(model, random_inputs(model, 0))


def test_int16_extreme_rows_match_tflm(host_runner: object) -> None:
    """All-equal rows, one dominant class, the full int16 range in one row, and
    rows whose exponentials sum to a few units or to many thousand."""
    model = build(Softmax("extremes16", dtype="int16", shape=(5, 512), input_scale=0.0004))
    rows = np.zeros((5, 512), np.int16)
    rows[0, :] = 1234
    rows[1, :] = -32768
    rows[1, 100] = 32767
    rows[2, :] = np.linspace(-32768, 32767, 512).astype(np.int16)
    rows[3, :] = np.where(np.arange(512) % 2 == 0, 32767, -32768)
    rows[4, :] = np.arange(512) - 256
    assert_matches_tflm(model, [[rows]])


def test_int16_needs_symmetric_input_and_q0_15_output(host_runner: object) -> None:
    model = single_op_model(
        "SOFTMAX",
        [TensorSpec((1, 4), "int16", 0.001, 0)],
        [TensorSpec((1, 4), "int16", 1.0 / 65536, 0)],
        {"beta": 1.0},
        version=3,
    )
    with pytest.raises(EngineError, match="int16 needs input zero point 0 and output scale 1/32768"):
        tinyml_run(model, random_inputs(model, 0))


def test_version_4_is_refused_by_name(host_runner: object) -> None:
    model = build(Softmax("v4", dtype="int16", input_scale=0.001))
    model = edit_model(model, lambda m: setattr(m.operatorCodes[0], "version", 4))
    with pytest.raises(EngineError, match="SOFTMAX version 4 .* this build runs versions 1 to 3"):
        tinyml_run(model, random_inputs(model, 0))


# --- tml_expf against the C library's expf -------------------------------------------

_EXPF_SWEEP_C = r"""
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "tml_math.h"

/* Compares tml_expf with libm's expf on every `step`-th float bit pattern
 * from `first` to `last` (inclusive, as unsigned bit patterns); writes up to
 * `cap` differing inputs to `bad` and returns how many differ. */
long sweep(uint32_t first, uint32_t last, uint32_t step, float *bad, long cap) {
    long n = 0;
    for (uint64_t b = first; b <= last; b += step) {
        uint32_t u = (uint32_t)b;
        float x, ours, libm;
        memcpy(&x, &u, 4);
        ours = tml_expf(x);
        libm = expf(x);
        if (memcmp(&ours, &libm, 4) != 0) {
            if (n < cap) bad[n] = x;
            n++;
        }
    }
    return n;
}

void expf_array(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = tml_expf(x[i]);
}
"""


@pytest.fixture(scope="module")
def expf_lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    work: Path = tmp_path_factory.mktemp("expf")
    (work / "sweep.c").write_text(_EXPF_SWEEP_C)
    lib_path = work / "libsweep.so"
    subprocess.run(
        [
            "gcc",
            "-std=c99",
            "-O2",
            "-ffp-contract=off",
            "-shared",
            "-fPIC",
            f"-I{ENGINE_DIR}",
            "-o",
            str(lib_path),
            str(work / "sweep.c"),
            "-lm",
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.sweep.restype = ctypes.c_long
    lib.sweep.argtypes = [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_long]
    lib.expf_array.restype = None
    lib.expf_array.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
    return lib


def f32_bits(x: float) -> int:
    return int(np.array([x], np.float32).view(np.uint32)[0])


# Inputs where glibc's fused-multiply-add variant of expf (chosen at run time on
# x86-64 CPUs with FMA) rounds differently from the unfused evaluation that
# tml_expf and newlib use: the only two among all 2^32 floats (measured
# exhaustively on glibc 2.36).
FMA_ONLY_DIFFERENCES = {float.fromhex("0x1.04845ep+5"), float.fromhex("-0x1.f8cbb2p+5")}


@pytest.mark.parametrize(
    ("first", "last", "step"),
    [
        (0x80000000, f32_bits(-104.0), 13),  # every 13th negative float down to -104: 86 million
        (0x00000000, f32_bits(89.0), 97),  # every 97th positive float up to 89
        (f32_bits(-20.0), f32_bits(-0.5), 1),  # every float in [-20, -0.5]: softmax's usual range
    ],
    ids=["negative_every_13th", "positive_every_97th", "all_in_-20_-0.5"],
)
def test_expf_equals_the_c_library(expf_lib: ctypes.CDLL, first: int, last: int, step: int) -> None:
    lo, hi = min(first, last), max(first, last)
    bad = np.zeros(64, np.float32)
    n = expf_lib.sweep(lo, hi, step, bad.ctypes.data, bad.size)
    differing = {float(x) for x in bad[: min(n, bad.size)]}
    assert differing <= FMA_ONLY_DIFFERENCES, (
        f"{n} inputs differ from libm's expf, e.g. {sorted(differing)[:5]}"
    )


def test_expf_special_values(expf_lib: ctypes.CDLL) -> None:
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 88.72283, 88.7229, -103.97, -104.0, 1.0], np.float32)
    y = np.empty_like(x)
    expf_lib.expf_array(x.ctypes.data, y.ctypes.data, x.size)
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.expf.restype = ctypes.c_float
    libm.expf.argtypes = [ctypes.c_float]
    want = np.array([libm.expf(float(v)) for v in x], np.float32)
    assert y[:4].tolist() == [1.0, 1.0, np.inf, 0.0]
    assert np.isnan(y[4])
    assert np.array_equal(y, want, equal_nan=True)
