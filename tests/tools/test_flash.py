"""`tinyml flash`: ESP32-S3 through esptool (against esp32-mock-bootloader), RP2040 as
UF2 (checked against the format's specification) and STM32 through the vendor tools."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from tinyml_tools import uf2
from tinyml_tools.cli import main

# https://github.com/microsoft/uf2#file-format
SPEC_MAGIC = (0x0A324655, 0x9E5D5157, 0x0AB16F30)
RP2040_FAMILY = 0xE48BFF56


def tinyml(*args: str | Path) -> int:
    return main(["flash", *map(str, args)])


def spec_blocks(data: bytes) -> list[dict[str, object]]:
    """The blocks of a UF2 file decoded field by field from the specification's table."""
    assert len(data) % 512 == 0
    blocks = []
    for start in range(0, len(data), 512):
        block = data[start : start + 512]
        fields = struct.unpack("<8I", block[:32])
        blocks.append(
            {
                "magic": (fields[0], fields[1], struct.unpack("<I", block[508:])[0]),
                "flags": fields[2],
                "address": fields[3],
                "size": fields[4],
                "number": fields[5],
                "total": fields[6],
                "family": fields[7],
                "data": block[32 : 32 + fields[4]],
                "padding": block[32 + fields[4] : 508],
            }
        )
    return blocks


def test_a_bin_becomes_256_byte_rp2040_uf2_blocks_from_0x10000000() -> None:
    image = bytes((i * 7 + 3) & 0xFF for i in range(1000))
    blocks = spec_blocks(uf2.image_to_uf2(image))
    assert len(blocks) == 4  # 1000 bytes in 256-byte pages
    for n, block in enumerate(blocks):
        assert block["magic"] == SPEC_MAGIC
        assert block["flags"] == 0x00002000  # familyID present
        assert block["family"] == RP2040_FAMILY
        assert block["address"] == 0x10000000 + 256 * n
        assert block["size"] == 256
        assert (block["number"], block["total"]) == (n, 4)
        assert block["padding"] == bytes(476 - 256)
    payload = b"".join(block["data"] for block in blocks)  # type: ignore[misc]
    assert payload == image + bytes(24)  # the last page is zero-filled
    assert uf2.flash_contents(uf2.parse_uf2(uf2.image_to_uf2(image)))[0x10000300] == image[768:] + bytes(24)


def test_an_elf_becomes_uf2_blocks_holding_its_loadable_segments(tmp_path: Path) -> None:
    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        pytest.skip("needs arm-none-eabi-gcc to build an ELF")
    source = tmp_path / "app.c"
    source.write_text(
        "const unsigned table[300] = {1, 2, 3, [299] = 0xdeadbeef};\n"
        "int counter = 5;\n"
        "void _start(void) { for (;;) { counter += table[counter & 255]; } }\n"
    )
    elf = tmp_path / "app.elf"
    subprocess.run(
        [gcc, "-mcpu=cortex-m0plus", "-mthumb", "-nostdlib", "-O1", "-Wl,-Ttext=0x10000100",
         "-Wl,--section-start=.data=0x20000000", "-o", str(elf), str(source)],
        check=True,
    )  # fmt: skip
    from elftools.elf.elffile import ELFFile

    expected: dict[int, int] = {}  # flash address -> byte, read by pyelftools
    with elf.open("rb") as f:
        for segment in ELFFile(f).iter_segments():
            if segment["p_type"] == "PT_LOAD" and segment["p_filesz"]:
                for i, byte in enumerate(segment.data()):
                    expected[segment["p_paddr"] + i] = byte
    blocks = spec_blocks(uf2.image_to_uf2(elf.read_bytes()))
    assert {b["number"] for b in blocks} == set(range(len(blocks)))
    written: dict[int, int] = {}
    for block in blocks:
        assert block["address"] % 256 == 0 and block["family"] == RP2040_FAMILY
        for i, byte in enumerate(block["data"]):  # type: ignore[arg-type]
            written[block["address"] + i] = byte  # type: ignore[operator]
    assert all(written[address] == byte for address, byte in expected.items())
    assert struct.pack("<I", 0xDEADBEEF) in bytes(written[a] for a in sorted(written))


def test_not_an_image_is_refused() -> None:
    with pytest.raises(uf2.Uf2Error, match="32-bit little-endian"):
        uf2.image_to_uf2(Path(sys.executable).resolve().read_bytes()[:4096])  # a 64-bit ELF
    with pytest.raises(uf2.Uf2Error, match="whole number of 512-byte blocks"):
        uf2.parse_uf2(b"UF2\n" * 10)


def test_rp2040_flash_copies_the_uf2_onto_the_bootloader_drive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drive = tmp_path / "RPI-RP2"
    drive.mkdir()
    (drive / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n")
    firmware = tmp_path / "firmware.bin"
    firmware.write_bytes(os.urandom(5000))
    assert tinyml(firmware, "--board", "rp2040", "--drive", drive) == 0
    copied = (drive / "firmware.uf2").read_bytes()
    assert copied == uf2.image_to_uf2(firmware.read_bytes())
    assert len(spec_blocks(copied)) == 20  # ceil(5000 / 256)
    assert f"rp2040: wrote {len(copied)} bytes to {drive / 'firmware.uf2'}" in capsys.readouterr().out


def test_rp2040_flash_refuses_a_folder_that_is_not_the_bootloader_drive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    firmware = tmp_path / "firmware.bin"
    firmware.write_bytes(b"\0" * 100)
    assert tinyml(firmware, "--board", "rp2040", "--drive", tmp_path) == 1
    assert capsys.readouterr().err.strip() == (
        f"tinyml flash: error: {tmp_path} is not a UF2 bootloader drive (it has no INFO_UF2.TXT)"
    )


@pytest.fixture
def esp32s3_port() -> str:
    mock = pytest.importorskip("esp32_mock_bootloader")
    with mock.mock_bootloader(chip="esp32s3") as server:
        yield server.url()


def esp_image(size: int) -> bytes:
    return bytes([0xE9]) + os.urandom(size - 1)  # an ESP image header's magic byte, then anything


def read_flash(port: str, offset: int, size: int, out: Path) -> bytes:
    command = [sys.executable, "-m", "esptool", "--chip", "esp32s3", "--port", port, "--no-stub",
               "read-flash", hex(offset), str(size), str(out)]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return out.read_bytes()


def test_esp32s3_flash_writes_at_0x0_and_reads_back_identical(
    esp32s3_port: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    firmware = tmp_path / "micropython.bin"
    firmware.write_bytes(esp_image(40_000))
    assert tinyml(firmware, "--board", "esp32s3", "--port", esp32s3_port, "--read-back") == 0
    out = capsys.readouterr().out
    assert "Hash of data verified" in out or "verified" in out
    assert "read back byte for byte" in out
    # Independently of the tool: what the (mock) chip's flash now holds at 0x0.
    assert read_flash(esp32s3_port, 0, 40_000, tmp_path / "back.bin") == firmware.read_bytes()


def test_esp32s3_flash_at_an_offset(esp32s3_port: str, tmp_path: Path) -> None:
    app = tmp_path / "app.bin"
    app.write_bytes(os.urandom(8192))
    assert tinyml(app, "--board", "esp32s3", "--port", esp32s3_port, "--offset", "0x10000") == 0
    assert read_flash(esp32s3_port, 0x10000, 8192, tmp_path / "back.bin") == app.read_bytes()


def test_esp32s3_user_mistakes_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_esp = tmp_path / "firmware.uf2"
    not_esp.write_bytes(b"UF2\n" + bytes(508))
    assert tinyml(not_esp, "--board", "esp32s3", "--port", "socket://127.0.0.1:1") == 1
    assert "does not start with an ESP image header" in capsys.readouterr().err
    good = tmp_path / "firmware.bin"
    good.write_bytes(esp_image(1024))
    assert tinyml(good, "--board", "esp32s3") == 1
    assert "--board esp32s3 needs --port" in capsys.readouterr().err
    assert tinyml(good, "--board", "esp32s3", "--port", "socket://127.0.0.1:1") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("tinyml flash: error: esptool write-flash failed on socket://127.0.0.1:1")
    assert "\n" not in err
    assert tinyml(tmp_path / "missing.bin", "--board", "esp32s3", "--port", "x") == 1
    assert "firmware file not found" in capsys.readouterr().err


def fake_tool(directory: Path, name: str) -> Path:
    """An executable standing in for a flashing tool: records its arguments and the image it was given."""
    directory.mkdir(exist_ok=True)
    tool = directory / name
    tool.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        "log = pathlib.Path(__file__).with_suffix('.args')\n"
        "log.write_text('\\n'.join(sys.argv[1:]))\n"
        "for a in sys.argv[1:]:\n"
        "    if a.endswith('.bin'):\n"
        "        pathlib.Path(__file__).with_suffix('.image').write_bytes(pathlib.Path(a).read_bytes())\n"
    )
    tool.chmod(0o755)
    return tool


def test_stm32_without_any_tool_names_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    firmware = tmp_path / "firmware.bin"
    firmware.write_bytes(b"\0" * 64)
    assert tinyml(firmware, "--board", "stm32") == 1
    err = capsys.readouterr().err
    assert err.startswith("tinyml flash: error: no STM32 flashing tool on PATH: install one of")
    for name in ("STM32_Programmer_CLI", "st-flash", "stlink-tools", "dfu-util"):
        assert name in err
    assert tinyml(firmware, "--board", "stm32", "--tool", "dfu-util") == 1
    assert "dfu-util is not on PATH: install dfu-util (apt install dfu-util)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ("st-flash", ["--reset", "write", "IMAGE", "0x08000000"]),
        ("dfu-util", ["-a", "0", "-s", "0x08000000:leave", "-D", "IMAGE"]),
        ("STM32_Programmer_CLI", ["-c", "port=SWD", "-w", "IMAGE", "0x08000000", "-v", "-rst"]),
    ],
)
def test_stm32_runs_the_tool_found_on_path_with_the_image_at_0x08000000(
    tool: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    fake = fake_tool(bin_dir, tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    firmware = tmp_path / "firmware.bin"
    firmware.write_bytes(os.urandom(3000))
    assert tinyml(firmware, "--board", "stm32") == 0
    args = fake.with_suffix(".args").read_text().split("\n")
    assert args == [str(firmware) if a == "IMAGE" else a for a in expected]


def test_stm32_an_elf_is_laid_out_as_a_bin_from_the_flash_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        pytest.skip("needs arm-none-eabi-gcc to build an ELF")
    source = tmp_path / "app.c"
    source.write_text(
        "const unsigned marker[4] = {0x11223344, 1, 2, 3};\nvoid _start(void) { for (;;) {} }\n"
    )
    elf = tmp_path / "app.elf"
    subprocess.run([gcc, "-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-Wl,-Ttext=0x08000000", "-o", str(elf),
                    str(source)], check=True)  # fmt: skip
    bin_dir = tmp_path / "bin"
    fake = fake_tool(bin_dir, "st-flash")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert tinyml(elf, "--board", "stm32") == 0
    image = fake.with_suffix(".image").read_bytes()
    segments = uf2.segments_of_elf(elf.read_bytes())
    for address, data in segments:
        assert image[address - 0x08000000 : address - 0x08000000 + len(data)] == data
    assert struct.pack("<4I", 0x11223344, 1, 2, 3) in image
