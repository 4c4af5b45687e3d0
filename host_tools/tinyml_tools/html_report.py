"""A model's report as one self-contained HTML page (inline SVG figures, no external assets).

Sections: the summary (bytes, SHA-256, arena and state); the arena timeline as
our planner lays it out (memory_plan.py: every buffer's lifetime across the
invoke's steps by its offset in the arena); the per-layer quantization error
(quant_error.py), when a float model and samples are given; the estimated
latency per board, in total and per operator type (latency.py).

The page is well-formed XML as well as HTML (every element closed), and every
drawn shape carries its numbers in data-* attributes next to its tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from html import escape

from tinyml_tools.latency import BoardEstimate
from tinyml_tools.memory_plan import MemoryPlan
from tinyml_tools.quant_error import LayerError
from tinyml_tools.report import sha256, short_layer

WIDTH = 760
SVG_NS = "http://www.w3.org/2000/svg"  # a namespace name, not something fetched
KIND_COLORS = {
    "activation": "#4e79a7",
    "variable": "#f28e2b",
    "scratch": "#e15759",
    "persistent": "#76b7b2",
}
OP_COLORS = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
]
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
td.l, th.l { text-align: left; }
svg { display: block; margin: 0.5em 0 0.2em; }
svg text { font-size: 11px; }
.note { color: #555; font-size: 0.9em; }
"""


def _attrs(values: dict[str, object]) -> str:
    return " ".join(f'{k}="{escape(str(v), quote=True)}"' for k, v in values.items())


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str, data: dict[str, object]) -> str:
    data_attrs = _attrs({f"data-{k}": v for k, v in data.items()})
    return (
        f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" fill="{fill}" '
        f'stroke="#fff" stroke-width="0.5" {data_attrs}><title>{escape(tip)}</title></rect>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def arena_figure(plan: MemoryPlan) -> str:
    """Buffers as rectangles: x = steps alive, y = offset .. offset + bytes in the arena."""
    left, top, plot_w, plot_h = 70, 10, WIDTH - 90, 300
    arena = max(plan.arena_bytes, 1)
    step_w = plot_w / plan.steps
    parts = [
        f'<svg xmlns="{SVG_NS}" class="arena" width="{WIDTH}" height="{top + plot_h + 45}" '
        f'data-arena-bytes="{plan.arena_bytes}" data-steps="{plan.steps}">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f7f7f7" stroke="#999"/>',
    ]
    for b in plan.buffers:
        if not b.bytes:
            continue
        x = left + b.first * step_w
        w = (b.last - b.first + 1) * step_w
        y = top + plot_h - (b.offset + b.bytes) / arena * plot_h
        h = b.bytes / arena * plot_h
        tip = f"{b.label} ({b.kind}): offset {b.offset}, {b.bytes} bytes, steps {b.first}-{b.last}"
        data = {"label": b.label, "kind": b.kind, "offset": b.offset, "bytes": b.bytes, "first": b.first,
                "last": b.last}  # fmt: skip
        parts.append(_rect(x, y, w, h, KIND_COLORS[b.kind], tip, data))
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = top + plot_h - fraction * plot_h
        parts.append(_text(left - 4, y + 4, f"{round(fraction * plan.arena_bytes)}", "end"))
    for step in range(plan.steps):
        label = "in" if step == 0 else ("end" if step == plan.steps - 1 else str(step - 1))
        parts.append(_text(left + (step + 0.5) * step_w, top + plot_h + 14, label, "middle"))
    parts.append(
        _text(left + plot_w / 2, top + plot_h + 32, "step (node index; in = before node 0)", "middle")
    )
    parts.append(_text(4, top + 10, "offset"))
    parts.append("</svg>")
    return "\n".join(parts)


def quant_figure(errors: list[LayerError]) -> str:
    """One bar per layer: its SQNR in dB (longer is better)."""
    finite = [e.sqnr_db for e in errors if math.isfinite(e.sqnr_db)]
    top_db = max([*finite, 1.0])
    row, label_w, plot_w = 22, 260, WIDTH - 330
    parts = [f'<svg xmlns="{SVG_NS}" class="quant" width="{WIDTH}" height="{row * len(errors) + 10}">']
    for i, e in enumerate(errors):
        y = 5 + i * row
        shown = e.sqnr_db if math.isfinite(e.sqnr_db) else top_db
        w = max(shown, 0.0) / top_db * plot_w
        tip = (
            f"node {e.node} {e.op}: SQNR {e.sqnr_db:.2f} dB, RMS error {e.rms_error:.4g}, "
            f"max {e.max_abs_error:.4g}"
        )
        data = {"node": e.node, "op": e.op, "sqnr-db": f"{e.sqnr_db:.4f}", "rms-error": f"{e.rms_error:.6g}",
                "max-abs-error": f"{e.max_abs_error:.6g}"}  # fmt: skip
        parts.append(_text(label_w - 6, y + 14, f"{e.node} {e.op}", "end"))
        parts.append(_rect(label_w, y + 2, w, row - 6, "#59a14f", tip, data))
        value = "identical" if math.isinf(e.sqnr_db) and e.sqnr_db > 0 else f"{e.sqnr_db:.1f} dB"
        parts.append(_text(label_w + w + 4, y + 14, value))
    parts.append("</svg>")
    return "\n".join(parts)


def latency_figure(estimates: list[BoardEstimate]) -> str:
    """One stacked bar per board: estimated milliseconds, split by operator type."""
    ops = sorted({o.op for e in estimates for o in e.operators})
    colors = {op: OP_COLORS[i % len(OP_COLORS)] for i, op in enumerate(ops)}
    longest = max([e.seconds for e in estimates] + [1e-9])
    row, label_w, plot_w = 28, 90, WIDTH - 200
    height = row * len(estimates) + 20 + 16 * math.ceil(len(ops) / 4)
    parts = [f'<svg xmlns="{SVG_NS}" class="latency" width="{WIDTH}" height="{height}">']
    for i, e in enumerate(estimates):
        y = 5 + i * row
        parts.append(_text(label_w - 6, y + 15, e.board.name, "end"))
        x = float(label_w)
        for op in ops:
            ms = sum(o.instructions or 0.0 for o in e.operators if o.op == op) / e.board.clock_hz * 1e3
            if ms <= 0:
                continue
            w = ms / (longest * 1e3) * plot_w
            tip = f"{e.board.name} {op}: {ms:.4f} ms (estimated)"
            parts.append(_rect(x, y + 2, w, row - 8, colors[op], tip,
                               {"board": e.board.name, "op": op, "ms": f"{ms:.10g}"}))  # fmt: skip
            x += w
        parts.append(_text(x + 4, y + 15, f"{e.seconds * 1e3:.3f} ms"))
    legend_y = row * len(estimates) + 18
    for i, op in enumerate(ops):
        lx, ly = label_w + (i % 4) * 150, legend_y + (i // 4) * 16
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colors[op]}"/>')
        parts.append(_text(lx + 14, ly, op))
    parts.append("</svg>")
    return "\n".join(parts)


def _table(header: list[str], rows: Iterable[list[object]], left: int = 1) -> str:
    def cell(tag: str, i: int, value: object) -> str:
        cls = ' class="l"' if i < left else ""
        return f"<{tag}{cls}>{escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "\n".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table>\n<tr>{head}</tr>\n{body}\n</table>"


def render(
    title: str,
    model: bytes,
    state_bytes: int | None,
    plan: MemoryPlan,
    estimates: list[BoardEstimate],
    errors: list[LayerError] | None = None,
    error_note: str = "",
) -> str:
    """The whole page."""
    summary = _table(
        ["", ""],
        [
            ["model bytes", len(model)],
            ["sha256", sha256(model)],
            ["arena bytes (planner)", plan.arena_bytes],
            ["liveness lower bound", plan.lower_bound_bytes],
            ["state bytes", "-" if state_bytes is None else state_bytes],
            ["operators", len(plan.ops)],
        ],
    )
    buffers = _table(
        ["buffer", "kind", "offset", "bytes", "steps"],
        [[b.label, b.kind, b.offset, b.bytes, f"{b.first}-{b.last}"] for b in plan.buffers],
        left=2,
    )
    sections = [
        f"<h1>{escape(title)}</h1>",
        summary,
        "<h2>Arena memory timeline</h2>",
        f'<p class="note">Every buffer our planner places in the {plan.arena_bytes}-byte arena: horizontally '
        "the steps it is alive (step 0 holds the inputs, node i runs at step i + 1), vertically its "
        "offset and size. Buffers alive at the same step never overlap, except an in-place output sharing "
        "its input's bytes. Offsets from the engine (build/host/tml_run --plan), as its portable build "
        "plans them; a firmware with the Arm DSP kernels adds their scratch buffers (kws_ref_model: "
        "16,000 bytes here, 16,840 on the Cortex-M4).</p>",
        arena_figure(plan),
        "<details><summary>buffers</summary>",
        buffers,
        "</details>",
        "<h2>Per-layer quantization error</h2>",
    ]
    if errors:
        sections += [
            '<p class="note">Each quantized operator output, dequantized, against the float model\'s '
            "tensor for the same layer, both computed by the tinyml runtime on the same samples. "
            "SQNR = 10 log10(signal power / error power).</p>",
            quant_figure(errors),
            _table(
                ["node", "operator", "layer", "SQNR dB", "RMS error", "max |error|"],
                [
                    [
                        e.node,
                        e.op,
                        short_layer(e.layer),
                        f"{e.sqnr_db:.2f}",
                        f"{e.rms_error:.4g}",
                        f"{e.max_abs_error:.4g}",
                    ]
                    for e in errors
                ],  # fmt: skip
                left=3,
            ),
        ]
    else:
        sections.append(f'<p class="note">Not computed: {escape(error_note or "no float model given")}.</p>')
    sections += [
        "<h2>Estimated latency per board</h2>",
        '<p class="note">Instructions our engine retires per MAC (convolutions, fully connected) or per '
        "output element (other operators), measured on emulated Cortex-M4F and Cortex-M0 cores, times this "
        "model's work, divided by the board's clock (one instruction per cycle). An estimate, not a "
        "measurement: real cores stall on memory. The ESP32-S3 figure is extrapolated from the "
        "Cortex-M4 counts (no Xtensa toolchain here).</p>",
        latency_figure(estimates),
        _table(
            ["board", "chip", "clock MHz", "estimate ms", "basis"],
            [
                [
                    e.board.name,
                    e.board.chip,
                    f"{e.board.clock_hz / 1e6:.0f}",
                    f"{e.seconds * 1e3:.3f}",
                    e.board.basis + (f"; not measured: {', '.join(e.unmeasured)}" if e.unmeasured else ""),
                ]
                for e in estimates
            ],  # fmt: skip
            left=2,
        ),
    ]
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8"/>\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# Samples the quantization error is measured on (each runs twice: float and quantized).
ERROR_SAMPLES = 16


def model_report(
    title: str,
    model: bytes,
    state_bytes: int | None = None,
    float_model: bytes | None = None,
    samples: object = None,
    estimates: list[BoardEstimate] | None = None,
    measured: tuple[list[LayerError] | None, str] | None = None,
) -> str:
    """Compute every figure for `model` and render the page.

    Raises memory_plan.PlanError if the engine refuses the model; when the runtime
    cannot run the float or the quantized model, the page says so instead of
    showing the error figure.
    """
    import numpy as np

    from tinyml_tools.latency import estimate
    from tinyml_tools.memory_plan import plan_of
    from tinyml_tools.quant_error import layer_errors
    from tinyml_tools.run import RunError

    plan = plan_of(model)
    errors = None
    note = "give the float model and samples"
    if measured is not None:  # per-layer errors the caller already measured (tinyml-convert)
        errors, note = measured
    elif float_model is not None and samples is not None:
        try:
            errors = layer_errors(model, float_model, np.asarray(samples)[:ERROR_SAMPLES])
            note = "no quantized layer has a float counterpart"
        except RunError as e:  # e.g. the float model uses an operator the runtime has in int8 only
            note = f"the tinyml runtime could not run both models: {e}"
    return render(title, model, state_bytes, plan, estimates or estimate(model), errors, note)
