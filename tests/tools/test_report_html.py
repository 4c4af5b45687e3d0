"""`tinyml-convert --report`: one self-contained HTML page whose figures hold the numbers
they claim: the engine's arena plan, the per-layer quantization error, the latency per board."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from digits_model import Digits
from tinyml_tools.convert import main
from tinyml_tools.latency import BOARDS, load_table, operator_units
from tinyml_tools.memory_plan import plan_of
from tinyml_tools.run import run_model

SVG = "{http://www.w3.org/2000/svg}"
VOID = {"meta", "br", "img", "input", "link", "hr"}


@pytest.fixture(scope="module")
def report(digits: Digits, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ET.Element]:
    out = tmp_path_factory.mktemp("report")
    argv = [str(digits.keras_model), "-o", str(out / "digits.tflite"), "--data", str(digits.data)]
    assert main([*argv, "--report", str(out / "digits.html"), "--quiet"]) == 0
    text = (out / "digits.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>\n")
    return out / "digits.tflite", ET.fromstring(text.split("\n", 1)[1])


def svg(root: ET.Element, kind: str) -> ET.Element:
    (figure,) = [e for e in root.iter(f"{SVG}svg") if e.get("class") == kind]
    return figure


def data_rects(figure: ET.Element) -> list[ET.Element]:
    return [
        r for r in figure.iter(f"{SVG}rect") if r.get("data-label") or r.get("data-node") or r.get("data-op")
    ]


class TagChecker(HTMLParser):
    """Every element is closed in order, as an HTML parser reads the page."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unexpected </{tag}>")


def test_the_page_is_valid_self_contained_html(report: tuple[Path, ET.Element]) -> None:
    path, root = report
    text = path.with_suffix(".html").read_text(encoding="utf-8")
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.problems == [] and checker.stack == []
    assert root.tag == "html" and root.find("head/title").text == "digits.tflite"
    # Nothing is fetched: no scripts, images, stylesheets or URLs other than the SVG namespace name.
    assert not re.search(r"\b(src|href)=|url\(|@import|<script|<img|<link", text)
    assert set(re.findall(r"https?://[^\"' ]+", text)) == {"http://www.w3.org/2000/svg"}
    assert [h.text for h in root.iter("h2")] == [
        "Arena memory timeline",
        "Per-layer quantization error",
        "Estimated latency per board",
    ]


def test_the_arena_figure_draws_the_engines_plan(report: tuple[Path, ET.Element]) -> None:
    path, root = report
    plan = plan_of(path.read_bytes())
    figure = svg(root, "arena")
    assert int(figure.get("data-arena-bytes")) == plan.arena_bytes > 0
    drawn = [
        (r.get("data-label"), int(r.get("data-offset")), int(r.get("data-bytes")), int(r.get("data-first")),
         int(r.get("data-last")), float(r.get("y")), float(r.get("height")))
        for r in data_rects(figure)
    ]  # fmt: skip
    assert [d[:5] for d in drawn] == [
        (b.label, b.offset, b.bytes, b.first, b.last) for b in plan.buffers if b.bytes
    ]
    background = next(figure.iter(f"{SVG}rect"))
    top, plot_h = float(background.get("y")), float(background.get("height"))
    for _, offset, size, first, last, y, height in drawn:
        assert height == pytest.approx(size / plan.arena_bytes * plot_h, abs=0.01)
        assert y == pytest.approx(top + plot_h - (offset + size) / plan.arena_bytes * plot_h, abs=0.01)
        assert offset >= 0 and offset + size <= plan.arena_bytes and first <= last
    # Buffers alive at the same step never share bytes (unless one is an in-place alias of the other).
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            same_time = a[3] <= b[4] and b[3] <= a[4]
            same_bytes = a[1] < b[1] + b[2] and b[1] < a[1] + a[2]
            assert not (same_time and same_bytes) or (a[1], a[2]) == (b[1], b[2]), (a, b)
    assert max(plan.alive_bytes(s) for s in range(plan.steps)) == plan.lower_bound_bytes <= plan.arena_bytes


def test_the_error_figure_matches_an_independent_float_reference(
    report: tuple[Path, ET.Element], digits: Digits
) -> None:
    path, root = report
    bars = {int(r.get("data-node")): r for r in data_rects(svg(root, "quant"))}
    assert sorted(bars) == [0, 1, 2, 3, 4]  # CONV_2D, MAX_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX
    assert [bars[n].get("data-op") for n in sorted(bars)] == [
        "CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX",
    ]  # fmt: skip
    for bar in bars.values():
        assert 15 < float(bar.get("data-sqnr-db")) < 80  # int8: tens of dB, never perfect
    # The softmax output against Keras itself (not the float .tflite the report used).
    import keras

    model = path.read_bytes()
    with np.load(digits.data) as data:
        x = data["x"][:16]
    float_out = keras.models.load_model(digits.keras_model, compile=False).predict(x, verbose=0)
    from tinyml_tools.quant_error import quantize_input
    from tinyml_tools.tflite_file import read_tflite

    parsed = read_tflite(model)
    out = parsed.tensors[parsed.outputs[0]]
    runs = run_model(model, [[quantize_input(parsed, s[None])] for s in x], profile=False).outputs
    ours = np.stack([(r[0].astype(np.float64) - out.zero_points[0]) * out.scales[0] for r in runs])[:, 0]
    noise = np.sum((ours - float_out) ** 2)
    expected_db = 10 * math.log10(np.sum(float_out.astype(np.float64) ** 2) / noise)
    assert float(bars[4].get("data-sqnr-db")) == pytest.approx(expected_db, abs=0.05)
    rms = float(np.sqrt(np.mean((ours - float_out) ** 2)))
    assert float(bars[4].get("data-rms-error")) == pytest.approx(rms, rel=1e-3)


def test_the_latency_figure_splits_each_boards_estimate_by_operator(report: tuple[Path, ET.Element]) -> None:
    path, root = report
    table = load_table()
    units = operator_units(path.read_bytes())
    segments = data_rects(svg(root, "latency"))
    for board in BOARDS:
        rates = table["targets"][board.measured_on]["operators"]
        expected: dict[str, float] = {}
        for op, amount, unit in units:
            if op in rates and rates[op]["unit"] == unit:
                per_unit = rates[op]["instructions"] / rates[op]["units"]
                expected[op] = expected.get(op, 0.0) + per_unit * amount / board.clock_hz * 1e3
        drawn = {
            r.get("data-op"): float(r.get("data-ms")) for r in segments if r.get("data-board") == board.name
        }
        assert drawn.keys() == expected.keys()
        for op, ms in expected.items():
            assert drawn[op] == pytest.approx(ms, rel=1e-8)
        row = next(tr for tr in root.iter("tr") if tr[0].text == board.name)
        assert float(row[3].text) == pytest.approx(sum(expected.values()), abs=0.0006)
    esp = next(tr for tr in root.iter("tr") if tr[0].text == "esp32s3")
    assert esp[4].text.startswith("extrapolated: no Xtensa toolchain")


def test_inspect_html_without_a_float_model_leaves_the_error_figure_out(
    report: tuple[Path, ET.Element], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tinyml_tools.cli import main as tinyml

    path, _ = report
    page = tmp_path / "inspect.html"
    assert tinyml(["inspect", str(path), "--no-tensors", "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "an estimate, not a measurement" in out and "esp32s3" in out
    root = ET.fromstring(page.read_text(encoding="utf-8").split("\n", 1)[1])
    assert [e.get("class") for e in root.iter(f"{SVG}svg")] == ["arena", "latency"]
    assert "Not computed: give the float model and samples." in ET.tostring(root, encoding="unicode")
    assert tinyml(["inspect", str(path), "--html", str(page), "--float-model", str(path)]) == 1
    assert "--float-model and --samples go together" in capsys.readouterr().err


def test_when_the_runtime_cannot_run_the_float_model_the_page_says_why(
    report: tuple[Path, ET.Element], digits: Digits
) -> None:
    from tinyml_tools.html_report import model_report

    path, _ = report
    wrong_float = (
        Path(__file__).resolve().parents[3] / "shared" / "models" / "hello_world_float.tflite"
    ).read_bytes()
    with np.load(digits.data) as data:
        page = model_report("digits", path.read_bytes(), None, wrong_float, data["x"][:4])
    root = ET.fromstring(page.split("\n", 1)[1])
    assert [e.get("class") for e in root.iter(f"{SVG}svg")] == ["arena", "latency"]
    note = next(p.text for p in root.iter("p") if p.text and p.text.startswith("Not computed"))
    assert note.startswith(
        "Not computed: the tinyml runtime could not run both models: ValueError: input 0 expects"
    )
