"""UF2, the file format of the RP2040's USB mass-storage bootloader (and others).

A UF2 file is a sequence of independent 512-byte blocks, each carrying up to 476
bytes of payload (256 for the RP2040) for one flash address:

    offset  size  field
         0     4  magic 0x0A324655 ("UF2\\n")
         4     4  magic 0x9E5D5157
         8     4  flags (0x00002000: the family ID field is present)
        12     4  target address of the payload
        16     4  payload size
        20     4  block number (0-based)
        24     4  total number of blocks in the file
        28     4  family ID (RP2040: 0xE48BFF56)
        32   476  payload, zero-padded
       508     4  magic 0x0AB16F30

All fields little endian (https://github.com/microsoft/uf2, "File format").
Images come from a raw .bin (placed at a base address, RP2040 flash 0x10000000)
or an ELF (its loadable segments at their physical addresses).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC_START0 = 0x0A324655
MAGIC_START1 = 0x9E5D5157
MAGIC_END = 0x0AB16F30
FLAG_FAMILY_ID_PRESENT = 0x00002000
FLAG_NOT_MAIN_FLASH = 0x00000001
BLOCK_BYTES = 512
DATA_BYTES = 476
RP2040_FAMILY_ID = 0xE48BFF56
RP2040_FLASH_BASE = 0x10000000
RP2040_PAYLOAD = 256  # the RP2040 bootloader writes one 256-byte flash page per block
_HEADER = struct.Struct("<8I")


class Uf2Error(ValueError):
    """The input is not an image that can be turned into UF2, or not a valid UF2 file."""


@dataclass(frozen=True)
class Block:
    flags: int
    address: int
    data: bytes
    number: int
    total: int
    family_id: int


def segments_of_elf(elf: bytes) -> list[tuple[int, bytes]]:
    """(physical address, bytes) of every loadable segment of a 32-bit little-endian ELF."""
    if elf[:4] != b"\x7fELF":
        raise Uf2Error("not an ELF file")
    if elf[4] != 1 or elf[5] != 1:
        raise Uf2Error("only 32-bit little-endian ELF files are supported")
    (phoff,) = struct.unpack_from("<I", elf, 28)
    phentsize, phnum = struct.unpack_from("<HH", elf, 42)
    segments = []
    for i in range(phnum):
        p_type, p_offset, _vaddr, p_paddr, p_filesz = struct.unpack_from("<5I", elf, phoff + i * phentsize)
        if p_type == 1 and p_filesz > 0:  # PT_LOAD with bytes in the file
            if p_offset + p_filesz > len(elf):
                raise Uf2Error(f"ELF segment {i} runs past the end of the file")
            segments.append((p_paddr, elf[p_offset : p_offset + p_filesz]))
    if not segments:
        raise Uf2Error("the ELF file has no loadable segment")
    return sorted(segments)


def to_uf2(
    segments: list[tuple[int, bytes]],
    family_id: int = RP2040_FAMILY_ID,
    payload: int = RP2040_PAYLOAD,
) -> bytes:
    """UF2 blocks for (address, bytes) segments; each block's payload is aligned to `payload`."""
    if not 0 < payload <= DATA_BYTES:
        raise Uf2Error(f"payload must be 1..{DATA_BYTES} bytes")
    pages: dict[int, bytearray] = {}
    for address, data in segments:
        for i, byte in enumerate(data):
            page = (address + i) // payload * payload
            pages.setdefault(page, bytearray(payload))[address + i - page] = byte
    ordered = sorted(pages)
    blocks = []
    for number, page in enumerate(ordered):
        header = _HEADER.pack(
            MAGIC_START0, MAGIC_START1, FLAG_FAMILY_ID_PRESENT, page, payload, number, len(ordered), family_id
        )
        body = bytes(pages[page]).ljust(DATA_BYTES, b"\0")
        blocks.append(header + body + struct.pack("<I", MAGIC_END))
    return b"".join(blocks)


def image_to_uf2(
    image: bytes, base_address: int = RP2040_FLASH_BASE, family_id: int = RP2040_FAMILY_ID
) -> bytes:
    """A .bin (placed at base_address) or an ELF (at its segments' addresses) as UF2."""
    if not image:
        raise Uf2Error("the image is empty")
    segments = segments_of_elf(image) if image[:4] == b"\x7fELF" else [(base_address, image)]
    return to_uf2(segments, family_id)


def parse_uf2(data: bytes) -> list[Block]:
    """Every block of a UF2 file, checked against the format."""
    if not data or len(data) % BLOCK_BYTES:
        raise Uf2Error(
            f"a UF2 file is a whole number of {BLOCK_BYTES}-byte blocks; this has {len(data)} bytes"
        )
    blocks = []
    for start in range(0, len(data), BLOCK_BYTES):
        raw = data[start : start + BLOCK_BYTES]
        magic0, magic1, flags, address, size, number, total, family = _HEADER.unpack_from(raw)
        (magic_end,) = struct.unpack_from("<I", raw, BLOCK_BYTES - 4)
        if (magic0, magic1, magic_end) != (MAGIC_START0, MAGIC_START1, MAGIC_END):
            raise Uf2Error(f"block {start // BLOCK_BYTES}: bad magic numbers")
        if size > DATA_BYTES:
            raise Uf2Error(f"block {start // BLOCK_BYTES}: payload of {size} bytes")
        blocks.append(Block(flags, address, bytes(raw[32 : 32 + size]), number, total, family))
    return blocks


def flash_contents(blocks: list[Block]) -> dict[int, bytes]:
    """Address -> payload of the blocks meant for main flash."""
    return {b.address: b.data for b in blocks if not b.flags & FLAG_NOT_MAIN_FLASH}
