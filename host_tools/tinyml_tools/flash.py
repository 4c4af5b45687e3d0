"""`tinyml flash FIRMWARE --board esp32s3|rp2040|stm32`: write a MicroPython firmware to a board.

esp32s3  esptool over a serial port (`--port /dev/ttyACM0`, or any pyserial URL such
         as socket://HOST:PORT): write-flash at 0x0 (the merged image MicroPython
         publishes starts with the second-stage bootloader there), which esptool
         checks against the chip's MD5 of the written region; `--read-back` also
         reads the region back (ROM loader, no stub) and compares it byte for byte.
rp2040   UF2 onto the RPI-RP2 drive the boot ROM mounts when BOOTSEL is held
         (`--drive /media/$USER/RPI-RP2`); a .bin (placed at 0x10000000) or an ELF
         is converted to UF2 here (uf2.py).
stm32    STM32_Programmer_CLI, st-flash or dfu-util, the first found on PATH
         (or `--tool`), writing at 0x08000000.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tinyml_tools.uf2 import Uf2Error, image_to_uf2, parse_uf2, segments_of_elf

ESP32S3_FIRMWARE_OFFSET = 0x0
ESP_IMAGE_MAGIC = 0xE9
STM32_FLASH_BASE = 0x08000000
RP2_INFO_FILE = "INFO_UF2.TXT"
# The first of these found on PATH flashes an STM32, and what to install for each.
STM32_TOOLS = {
    "STM32_Programmer_CLI": "STM32CubeProgrammer (st.com)",
    "st-flash": "stlink-tools (apt install stlink-tools)",
    "dfu-util": "dfu-util (apt install dfu-util), with the board in its DFU bootloader (BOOT0 high)",
}
BOARDS = ("esp32s3", "rp2040", "stm32")


class FlashError(Exception):
    """A problem to report to the user as one line, without a traceback."""


@dataclass(frozen=True)
class FlashResult:
    board: str
    bytes_written: int
    where: str  # the port, drive or tool
    verified: str  # how the write was checked


def _read_firmware(path: Path) -> bytes:
    if not path.is_file():
        raise FlashError(f"firmware file not found: {path}")
    data = path.read_bytes()
    if not data:
        raise FlashError(f"firmware file is empty: {path}")
    return data


# ---- ESP32-S3 ----------------------------------------------------------------------------


def esptool_command(port: str, *args: str, baud: int | None = None, stub: bool = True) -> list[str]:
    command = [sys.executable, "-m", "esptool", "--chip", "esp32s3", "--port", port]
    if baud is not None:
        command += ["--baud", str(baud)]
    if not stub:
        command.append("--no-stub")
    return command + list(args)


def _run_esptool(command: list[str], what: str) -> None:
    result = subprocess.run(command, stdout=None, stderr=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise FlashError(f"esptool {what} failed on {command[command.index('--port') + 1]}: {reason}")


def flash_esp32s3(
    firmware: Path,
    port: str | None,
    offset: int | None = None,
    baud: int | None = None,
    read_back: bool = False,
) -> FlashResult:
    if port is None:
        raise FlashError("--board esp32s3 needs --port (e.g. /dev/ttyACM0, or socket://HOST:PORT)")
    if importlib.util.find_spec("esptool") is None:
        raise FlashError("esptool is not installed: pip install esptool")
    data = _read_firmware(firmware)
    if offset is None:
        if data[0] != ESP_IMAGE_MAGIC:
            raise FlashError(
                f"{firmware} does not start with an ESP image header (0xE9): not a merged ESP32-S3 "
                "firmware .bin; give --offset to write it anyway"
            )
        offset = ESP32S3_FIRMWARE_OFFSET
    _run_esptool(esptool_command(port, "write-flash", hex(offset), str(firmware), baud=baud), "write-flash")
    verified = "esptool's MD5 of the flash region"
    if read_back:
        with tempfile.TemporaryDirectory(prefix="tinyml-flash-") as work:
            back = Path(work) / "read-back.bin"
            command = esptool_command(
                port, "read-flash", hex(offset), str(len(data)), str(back), baud=baud, stub=False
            )
            _run_esptool(command, "read-flash")
            if back.read_bytes() != data:
                raise FlashError(f"read-back of {len(data)} bytes at {offset:#x} differs from {firmware}")
        verified += ", and read back byte for byte"
    return FlashResult("esp32s3", len(data), port, verified)


# ---- RP2040 ------------------------------------------------------------------------------


def find_rp2_drive() -> Path | None:
    """A mounted RPI-RP2 drive in the usual places, if exactly one is there."""
    user = os.environ.get("USER", "")
    candidates = [
        Path("/media") / user / "RPI-RP2",
        Path("/run/media") / user / "RPI-RP2",
        Path("/media/RPI-RP2"),
    ]
    found = [c for c in candidates if (c / RP2_INFO_FILE).is_file()]
    return found[0] if len(found) == 1 else None


def flash_rp2040(firmware: Path, drive: Path | None, show_progress: bool = True) -> FlashResult:
    data = _read_firmware(firmware)
    try:
        uf2 = data if firmware.suffix.lower() == ".uf2" else image_to_uf2(data)
        blocks = parse_uf2(uf2)
    except Uf2Error as e:
        raise FlashError(f"{firmware}: {e}") from e
    drive = drive or find_rp2_drive()
    if drive is None:
        raise FlashError(
            "no RPI-RP2 drive found: hold BOOTSEL while plugging the board in, then give --drive MOUNTPOINT"
        )
    if not (drive / RP2_INFO_FILE).is_file():
        raise FlashError(f"{drive} is not a UF2 bootloader drive (it has no {RP2_INFO_FILE})")
    target = drive / (firmware.stem + ".uf2")
    from tqdm import tqdm

    chunk = 64 * 1024
    with (
        target.open("wb") as out,
        tqdm(total=len(uf2), unit="B", unit_scale=True, desc="copying UF2", disable=not show_progress) as bar,
    ):
        for start in range(0, len(uf2), chunk):
            out.write(uf2[start : start + chunk])
            bar.update(min(chunk, len(uf2) - start))
        out.flush()
        os.fsync(out.fileno())
    return FlashResult("rp2040", len(uf2), str(target), f"{len(blocks)} UF2 blocks checked before copying")


# ---- STM32 -------------------------------------------------------------------------------


def stm32_binary(firmware: Path, data: bytes, work: Path) -> Path:
    """A raw image for tools that write bytes at an address: an ELF's segments laid out from 0x08000000."""
    if data[:4] != b"\x7fELF":
        return firmware
    try:
        segments = [(a, d) for a, d in segments_of_elf(data) if a >= STM32_FLASH_BASE]
    except Uf2Error as e:
        raise FlashError(f"{firmware}: {e}") from e
    if not segments:
        raise FlashError(f"{firmware}: no segment at or above the STM32 flash base {STM32_FLASH_BASE:#x}")
    end = max(a + len(d) for a, d in segments)
    image = bytearray(b"\xff" * (end - STM32_FLASH_BASE))
    for address, chunk in segments:
        image[address - STM32_FLASH_BASE : address - STM32_FLASH_BASE + len(chunk)] = chunk
    path = work / (firmware.stem + ".bin")
    path.write_bytes(bytes(image))
    return path


def stm32_command(tool: str, image: Path, port: str | None) -> list[str]:
    """The command line that writes `image` (a raw .bin) at the start of STM32 flash and resets."""
    address = f"{STM32_FLASH_BASE:#010x}"
    if tool == "STM32_Programmer_CLI":
        return [tool, "-c", f"port={port or 'SWD'}", "-w", str(image), address, "-v", "-rst"]
    if tool == "st-flash":
        serial = ["--serial", port] if port else []
        return [tool, *serial, "--reset", "write", str(image), address]
    if tool == "dfu-util":
        serial = ["-S", port] if port else []
        return [tool, *serial, "-a", "0", "-s", f"{address}:leave", "-D", str(image)]
    raise FlashError(f"unknown STM32 tool {tool!r}: one of {', '.join(STM32_TOOLS)}")


def find_stm32_tool(requested: str | None) -> str:
    if requested is not None:
        if requested not in STM32_TOOLS:
            raise FlashError(f"unknown STM32 tool {requested!r}: one of {', '.join(STM32_TOOLS)}")
        if shutil.which(requested) is None:
            raise FlashError(f"{requested} is not on PATH: install {STM32_TOOLS[requested]}")
        return requested
    for tool in STM32_TOOLS:
        if shutil.which(tool) is not None:
            return tool
    options = "; ".join(f"{tool} from {source}" for tool, source in STM32_TOOLS.items())
    raise FlashError(f"no STM32 flashing tool on PATH: install one of {options}")


def flash_stm32(firmware: Path, port: str | None, tool: str | None = None) -> FlashResult:
    data = _read_firmware(firmware)
    chosen = find_stm32_tool(tool)
    with tempfile.TemporaryDirectory(prefix="tinyml-flash-") as work:
        command = stm32_command(chosen, stm32_binary(firmware, data, Path(work)), port)
        result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise FlashError(f"{' '.join(command)} failed with exit status {result.returncode}")
    verified = "STM32_Programmer_CLI -v" if chosen == "STM32_Programmer_CLI" else f"{chosen}'s own checks"
    return FlashResult("stm32", len(data), chosen, verified)
