"""The latency estimate: a table of instructions per unit of work measured on the emulated
cores (with where they came from), times a model's work, over each board's clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from tinyml_tools import latency

MODELS = Path(__file__).resolve().parents[2].parent / "shared" / "models"


def test_the_table_says_where_its_numbers_came_from() -> None:
    table = latency.load_table()
    assert "tinyml bench --target m4|m0" in table["source"]
    assert "not cycles" in table["source"]
    for target in ("m4", "m0"):
        entry = table["targets"][target]
        assert entry["models"] and entry["core"] and "commit" in entry["measured"]
        for op, rate in entry["operators"].items():
            assert rate["unit"] == ("MAC" if op in latency.MAC_OPERATORS else "element")
            assert rate["per_unit"] == round(rate["instructions"] / rate["units"], 3)
    # The M4's SIMD convolution: between the SMLAD floor (0.5) and TFLM's reference kernels (~16).
    assert 0.5 < table["targets"]["m4"]["operators"]["CONV_2D"]["per_unit"] < 16


def test_an_estimate_is_rate_times_work_over_clock() -> None:
    model = (MODELS / "kws_ref_model.tflite").read_bytes()
    table = latency.load_table()
    estimates = {e.board.name: e for e in latency.estimate(model, table)}
    assert set(estimates) == {"stm32f4", "nrf52840", "rp2040", "esp32s3"}
    stm32 = estimates["stm32f4"]
    conv = table["targets"]["m4"]["operators"]["CONV_2D"]
    first = stm32.operators[0]
    assert (first.op, first.unit, first.units) == ("CONV_2D", "MAC", 320_000)
    assert first.instructions == pytest.approx(conv["instructions"] / conv["units"] * 320_000)
    assert stm32.seconds == pytest.approx(stm32.instructions / 168e6)
    # Same counts, different clocks.
    assert estimates["esp32s3"].instructions == stm32.instructions
    assert estimates["esp32s3"].seconds == pytest.approx(stm32.seconds * 168 / 240)
    # The RP2040 uses the M0's counts; the M0 (16-bit Thumb, no SIMD) needs several times more.
    assert estimates["rp2040"].unmeasured == []
    assert estimates["rp2040"].instructions > 3 * stm32.instructions


def test_operators_the_core_never_ran_are_named_and_left_out() -> None:
    model = (MODELS / "pretrainedResnet_quant.tflite").read_bytes()
    table = latency.load_table()
    assert "ADD" in table["targets"]["m4"]["operators"] and "ADD" not in table["targets"]["m0"]["operators"]
    rp2040 = next(e for e in latency.estimate(model, table) if e.board.name == "rp2040")
    assert rp2040.unmeasured == ["ADD"]
    adds = [o for o in rp2040.operators if o.op == "ADD"]
    assert adds and all(o.instructions is None for o in adds)
    assert rp2040.instructions == sum(o.instructions for o in rp2040.operators if o.op != "ADD")


def test_the_terminal_table_is_honest_about_what_it_is() -> None:
    model = (MODELS / "pretrainedResnet_quant.tflite").read_bytes()
    estimates = latency.estimate(model)
    lines = latency.text_lines(estimates)
    assert "an estimate, not a measurement" in lines[0]
    esp = next(line for line in lines if line.strip().startswith("esp32s3"))
    assert "240 MHz" in esp and "extrapolated: no Xtensa toolchain here" in esp
    rp = next(line for line in lines if line.strip().startswith("rp2040"))
    assert f"{estimates[2].seconds * 1e3:.3f} ms" in rp and "not measured: ADD" in rp
