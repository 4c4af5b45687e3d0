"""The `tinyml` command line: host tools for tinyml models.

tinyml run MODEL.tflite --input in0.npy [--input in1.npy ...] --output-dir DIR
tinyml bench MODEL.tflite [--target m4|m0 | --port PORT]
tinyml inspect MODEL.tflite [--json]
tinyml compare MODEL.tflite --input in0.npy [--input in1.npy ...]
tinyml deploy MODEL.tflite [--labels FILE] [FILES ...] --port PORT [--run SCRIPT | --reset]
tinyml flash FIRMWARE --board esp32s3|rp2040|stm32 [--port PORT] [--drive DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tinyml_tools import __version__


class CommandError(Exception):
    """A problem to report to the user as one line, without a traceback."""


def _load_input(path: Path) -> np.ndarray:
    if not path.is_file():
        raise CommandError(f"input file not found: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise CommandError(f"cannot read {path} as a .npy array: {e}") from e


def command_run(args: argparse.Namespace) -> int:
    from tinyml_tools.run import RunError, run_model

    model_path: Path = args.model
    if not model_path.is_file():
        raise CommandError(f"model file not found: {model_path}")
    inputs = [_load_input(p) for p in args.input]
    try:
        result = run_model(model_path.read_bytes(), [inputs], profile=not args.no_profile)
    except RunError as e:
        raise CommandError(str(e)) from e
    out_dir: Path = args.output_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    for o, y in enumerate(result.sets[0].outputs):
        np.save(out_dir / f"output{o}.npy", y)
    print(json.dumps(result.summary()))
    return 0


def command_bench(args: argparse.Namespace) -> int:
    from tinyml_tools.board_bench import BoardBenchError, run_bench

    model_path: Path = args.model
    if not model_path.is_file():
        raise CommandError(f"model file not found: {model_path}")
    if args.port is not None:
        from tinyml_tools.port_bench import PortBenchError, run_on_port

        if args.firmware is not None or args.target is not None:
            raise CommandError("--port runs on a connected board: leave out --target and --firmware")
        try:
            on_board = run_on_port(args.port, model_path, args.repeat)
        except PortBenchError as e:
            raise CommandError(str(e)) from e
        print(json.dumps(on_board.to_json_dict()))
        return 0
    try:
        figures = run_bench(args.target or "m4", model_path, args.firmware)
    except BoardBenchError as e:
        raise CommandError(str(e)) from e
    print(json.dumps(figures.to_json_dict()))
    return 0


def command_inspect(args: argparse.Namespace) -> int:
    from tinyml_tools import latency
    from tinyml_tools.inspect_cmd import inspect_model, json_text, text_report
    from tinyml_tools.run import RunError
    from tinyml_tools.tflite_file import TfliteFileError

    model_path: Path = args.model
    if not model_path.is_file():
        raise CommandError(f"model file not found: {model_path}")
    try:
        inspection = inspect_model(model_path.read_bytes())
    except (TfliteFileError, RunError) as e:
        raise CommandError(f"{model_path}: {e}") from e
    if args.json:
        print(json_text(inspection))
    else:
        lines = text_report(inspection, not args.no_tensors)
        if inspection.compatible:
            lines += ["", *latency.text_lines(latency.estimate(inspection.model))]
        print("\n".join(lines))
    if args.html is not None:
        _write_html(
            args, inspection.model, inspection.runtime.model.state_bytes if inspection.compatible else None
        )
    return 0 if inspection.compatible else 2


def _write_html(args: argparse.Namespace, model: bytes, state_bytes: int | None) -> None:
    from tinyml_tools.html_report import model_report
    from tinyml_tools.memory_plan import PlanError
    from tinyml_tools.run import RunError

    if (args.float_model is None) != (args.samples is None):
        raise CommandError("--float-model and --samples go together (the error is measured on the samples)")
    float_model = samples = None
    if args.float_model is not None:
        if not args.float_model.is_file():
            raise CommandError(f"float model not found: {args.float_model}")
        float_model = args.float_model.read_bytes()
        samples = _load_input(args.samples)
    try:
        page = model_report(args.model.name, model, state_bytes, float_model, samples)
    except (PlanError, RunError) as e:
        raise CommandError(str(e)) from e
    args.html.parent.mkdir(parents=True, exist_ok=True)
    args.html.write_text(page, encoding="utf-8")
    print(f"wrote {args.html}", file=sys.stderr)


def command_compare(args: argparse.Namespace) -> int:
    from tinyml_tools import compare
    from tinyml_tools.run import RunError
    from tinyml_tools.tflite_file import TfliteFileError, read_tflite
    from tinyml_tools.tflm import TflmError

    model_path: Path = args.model
    if not model_path.is_file():
        raise CommandError(f"model file not found: {model_path}")
    model = model_path.read_bytes()
    inputs = [_load_input(p) for p in args.input]
    try:
        parsed = read_tflite(model)
        if len(inputs) != len(parsed.inputs):
            raise CommandError(f"the model has {len(parsed.inputs)} input(s); got {len(inputs)} --input")
        result = compare.compare_model(model, inputs)
    except (TfliteFileError, RunError, TflmError) as e:
        raise CommandError(str(e)) from e
    print("\n".join(compare.text_report(result, parsed)))
    return 0 if result.same else 3


def command_deploy(args: argparse.Namespace) -> int:
    from tinyml_tools.deploy import DeployError, deploy

    try:
        deploy(
            args.port,
            args.model,
            args.files,
            labels=args.labels,
            natmod=args.natmod,
            run=args.run,
            reset=args.reset,
            say=(lambda _text: None) if args.quiet else print,
            quiet=args.quiet,
        )
    except DeployError as e:
        raise CommandError(str(e)) from e
    return 0


def command_flash(args: argparse.Namespace) -> int:
    from tinyml_tools import flash

    try:
        if args.board == "esp32s3":
            result = flash.flash_esp32s3(args.firmware, args.port, args.offset, args.baud, args.read_back)
        elif args.board == "rp2040":
            result = flash.flash_rp2040(args.firmware, args.drive)
        else:
            result = flash.flash_stm32(args.firmware, args.port, args.tool)
    except flash.FlashError as e:
        raise CommandError(str(e)) from e
    print(
        f"{result.board}: wrote {result.bytes_written} bytes to {result.where}; verified by {result.verified}"
    )
    return 0


def _hex_int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an address: {text!r} (e.g. 0x10000)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinyml",
        description="Host tools for tinyml, machine learning on microcontrollers from MicroPython.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run a .tflite model through the MicroPython module, as on a board",
        description=(
            "Run MODEL once on the given inputs with the x64 native module (`import tinyml`) under "
            "the unix port of MicroPython, the same code that runs on a board. Writes "
            "DIR/output0.npy, DIR/output1.npy, ... in each output's dtype and shape, and prints one "
            "JSON line: arena_bytes, state_bytes, invoke_us and the per-operator profile."
        ),
    )
    run.add_argument("model", type=Path, metavar="MODEL.tflite", help="the model to run")
    run.add_argument(
        "--input",
        type=Path,
        action="append",
        default=[],
        metavar="IN.npy",
        help="a .npy array for the next model input, in the input's exact dtype and shape (repeat per input)",
    )
    run.add_argument(
        "--output-dir", type=Path, required=True, metavar="DIR", help="where to write output<N>.npy"
    )
    run.add_argument(
        "--no-profile", action="store_true", help="turn the per-operator clock off (invoke_us only)"
    )
    run.set_defaults(handler=command_run)

    bench = commands.add_parser(
        "bench",
        help="count the instructions of one invoke on an emulated Cortex-M board (QEMU)",
        description=(
            "Run MODEL on an emulated board (boards/qemu, qemu-system-arm with -icount) on the "
            "perf-anchors input (byte i = (7*i) mod 256) and print one JSON object: retired "
            "instructions of one invoke (exact, the same every run), instructions per MAC, MACs, "
            "arena/state/model bytes, the raw outputs and the instructions of each operator. "
            "m4: the mps2-an386 firmware with tinyml built in; m0: a micro:bit firmware built for "
            "this model (its operators only, the model frozen in flash)."
        ),
    )
    bench.add_argument("model", type=Path, metavar="MODEL.tflite", help="the model to run")
    bench.add_argument("--target", choices=["m4", "m0"], help="emulated core (default m4)")
    bench.add_argument(
        "--firmware", type=Path, metavar="ELF", help="use this firmware instead of building the target's"
    )
    bench.add_argument(
        "--port",
        metavar="PORT",
        help="run on the board connected at PORT instead (mpremote: /dev/ttyACM0, COM3, socket://...): "
        "invoke latency in microseconds (median of --repeat), arena, and per-operator time in the "
        "board's tinyml.profile_unit; the firmware needs tinyml (tinyml deploy installs it)",
    )
    bench.add_argument(
        "--repeat", type=int, default=10, metavar="N", help="timed invokes with --port (default 10)"
    )
    bench.set_defaults(handler=command_bench)

    inspect = commands.add_parser(
        "inspect",
        help="show a model's operators, tensors and quantization, and whether the runtime runs it",
        description=(
            "Describe MODEL: size, inputs and outputs, each operator (version, layer, and whether "
            "this build of the runtime carries it), each tensor with its quantization, metadata, and "
            "the arena and state bytes the runtime's planner lays out. The runtime is asked directly "
            "(tinyml.ops() and tinyml.Model under the unix port). Exit status 2 if it cannot run MODEL."
        ),
    )
    inspect.add_argument("model", type=Path, metavar="MODEL.tflite", help="the model to describe")
    inspect.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    inspect.add_argument("--no-tensors", action="store_true", help="leave the tensor table out")
    inspect.add_argument(
        "--html",
        type=Path,
        metavar="REPORT.html",
        help="also write an HTML page: arena timeline, latency per board (and quantization error)",
    )
    inspect.add_argument(
        "--float-model",
        type=Path,
        metavar="FLOAT.tflite",
        help="with --html: the float model MODEL was quantized from, for the per-layer error",
    )
    inspect.add_argument(
        "--samples",
        type=Path,
        metavar="X.npy",
        help="with --float-model: float input samples (batch first) to measure the error on",
    )
    inspect.set_defaults(handler=command_inspect)

    compare = commands.add_parser(
        "compare",
        help="run a model in tinyml and in TFLM (the oracle) and compare every output",
        description=(
            "Run MODEL on the given inputs in tinyml (the x64 native module) and in TensorFlow Lite "
            "Micro, compare each output element by element and name the first intermediate tensor "
            "(operator and layer) on which they differ. Exit status 3 if any output differs."
        ),
    )
    compare.add_argument("model", type=Path, metavar="MODEL.tflite", help="the model to run")
    compare.add_argument(
        "--input",
        type=Path,
        action="append",
        required=True,
        metavar="IN.npy",
        help="a .npy array for the next model input, in the input's exact dtype and shape (repeat per input)",
    )
    compare.set_defaults(handler=command_compare)
    _add_deploy(commands)
    _add_flash(commands)
    return parser


def _add_deploy(commands: argparse._SubParsersAction) -> None:
    deploy = commands.add_parser(
        "deploy",
        help="copy a model, its labels and application files to a MicroPython board (mpremote)",
        description=(
            "Copy MODEL, --labels and FILES to the root of the board's file system with mpremote. If the "
            "firmware has no built-in tinyml, the native module for the board's architecture (read from "
            "sys.implementation._mpy) is installed too: --natmod, or build/natmod/<arch>/tinyml.mpy, "
            "built if missing. Then --run a script on the board, or --reset it so that main.py starts."
        ),
    )
    deploy.add_argument("model", type=Path, metavar="MODEL.tflite", help="the model to copy")
    deploy.add_argument(
        "files", type=Path, nargs="*", metavar="FILE", help="application files (main.py, ...)"
    )
    deploy.add_argument(
        "--port",
        required=True,
        metavar="PORT",
        help="the board's serial device for mpremote: /dev/ttyACM0, COM3, socket://HOST:PORT",
    )
    deploy.add_argument("--labels", type=Path, metavar="FILE", help="class names file to copy with the model")
    deploy.add_argument(
        "--natmod", type=Path, metavar="TINYML.mpy", help="the native module to install instead of ours"
    )
    then = deploy.add_mutually_exclusive_group()
    then.add_argument("--run", type=Path, metavar="SCRIPT", help="then run this local script on the board")
    then.add_argument("--reset", action="store_true", help="then hard-reset the board (main.py starts)")
    deploy.add_argument("--quiet", action="store_true", help="print only errors (and --run's output)")
    deploy.set_defaults(handler=command_deploy)


def _add_flash(commands: argparse._SubParsersAction) -> None:
    flash = commands.add_parser(
        "flash",
        help="write a MicroPython firmware to an ESP32-S3, RP2040 or STM32 board",
        description=(
            "esp32s3: esptool write-flash at 0x0 over --port (MD5-checked by esptool; --read-back also "
            "reads it back and compares). rp2040: FIRMWARE (.uf2, or .bin/.elf converted to UF2 for "
            "family 0xe48bff56 at 0x10000000) copied to the RPI-RP2 drive (--drive, found under /media "
            "if not given). stm32: STM32_Programmer_CLI, st-flash or dfu-util, whichever is on PATH "
            "(or --tool), writing at 0x08000000."
        ),
    )
    flash.add_argument("firmware", type=Path, metavar="FIRMWARE", help="firmware image: .bin, .elf or .uf2")
    flash.add_argument("--board", required=True, choices=["esp32s3", "rp2040", "stm32"], help="board family")
    flash.add_argument(
        "--port", metavar="PORT", help="esp32s3: serial port or socket://HOST:PORT; stm32: probe/port"
    )
    flash.add_argument("--drive", type=Path, metavar="DIR", help="rp2040: the mounted RPI-RP2 drive")
    flash.add_argument(
        "--offset", type=_hex_int, metavar="ADDR", help="esp32s3: flash offset (default 0x0, merged image)"
    )
    flash.add_argument("--baud", type=int, metavar="N", help="esp32s3: serial baud rate (esptool's default)")
    flash.add_argument(
        "--read-back", action="store_true", help="esp32s3: read the flash back and compare it byte for byte"
    )
    flash.add_argument(
        "--tool", choices=["STM32_Programmer_CLI", "st-flash", "dfu-util"], help="stm32: the tool to use"
    )
    flash.set_defaults(handler=command_flash)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except CommandError as e:
        print(f"tinyml {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
