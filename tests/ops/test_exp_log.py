"""EXP, LOG and RSQRT (float32, as TFLM runs them): exactly TFLM's bytes.

TFLM calls the C library's expf, logf and 1.f / sqrtf; tinyml reproduces
those functions (tml_math.h, tml_math_extra.h). Inputs: dense sweeps over
each function's interesting range plus special values (zeros, infinities,
NaN, subnormals, negatives where the result is NaN). A C program also
compares tml_logf, tml_tanhf, tml_expm1f and tml_sqrtf with the C library
this test runs with, over every 997th float32 bit pattern (all 2^32 at step
7 were checked once: identical).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from elementwise_cases import Unary, assert_matches_tflm
from support.engine import PROJECT_ROOT

ENGINE_DIR = PROJECT_ROOT / "micropython_module" / "engine"
SWEEP_PROGRAM = r"""
#include <math.h>
#include <stdio.h>
#include "tml_math_extra.h"
static int same(float a, float b) { return memcmp(&a, &b, 4) == 0 || (isnan(a) && isnan(b)); }
int main(void) {
    long differ[4] = {0, 0, 0, 0};
    for (unsigned long long u = 0; u <= 0xffffffffull; u += 997) {
        float x = tml_f32_from_bits((uint32_t)u);
        differ[0] += !same(logf(x), tml_logf(x));
        differ[1] += !same(tanhf(x), tml_tanhf(x));
        differ[2] += !same(expm1f(x), tml_expm1f(x));
        differ[3] += !same(sqrtf(x), tml_sqrtf(x));
    }
    printf("%ld %ld %ld %ld\n", differ[0], differ[1], differ[2], differ[3]);
    return 0;
}
"""

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 1e-40, 1.0, 2.0, 88.72, -103.9], np.float32)
SWEEPS = {
    "EXP": np.linspace(-110, 90, 20001, dtype=np.float32),
    "LOG": np.concatenate(
        [np.geomspace(1e-38, 1e38, 20001, dtype=np.float32), np.linspace(0.5, 2, 3001, dtype=np.float32)]
    ),
    "RSQRT": np.geomspace(1e-38, 1e38, 20001, dtype=np.float32),
}


@pytest.mark.parametrize("op", sorted(SWEEPS))
def test_float_matches_tflm(op: str) -> None:
    x = np.concatenate([SWEEPS[op], SPECIAL])
    if op == "RSQRT":
        x = x[~np.signbit(x) | (x == 0)]  # sqrt of a negative: the NaN's sign is the CPU's, not TFLM's
    assert_matches_tflm(Unary(op, dtype="float32", shape=x.shape).model(op), [[x]])


def test_float_functions_equal_the_c_library(tmp_path: Path) -> None:
    source = tmp_path / "sweep.c"
    source.write_text(SWEEP_PROGRAM)
    program = tmp_path / "sweep"
    subprocess.run(
        [
            "gcc",
            "-std=c99",
            "-O2",
            "-ffp-contract=off",
            f"-I{ENGINE_DIR}",
            str(source),
            "-o",
            str(program),
            "-lm",
        ],
        check=True,
    )
    counts = subprocess.run([str(program)], check=True, capture_output=True, text=True).stdout.split()
    assert dict(zip(["logf", "tanhf", "expm1f", "sqrtf"], map(int, counts), strict=True)) == {
        "logf": 0,
        "tanhf": 0,
        "expm1f": 0,
        "sqrtf": 0,
    }
