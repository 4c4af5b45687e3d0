"""Versioned, authenticated models on the device's filesystem.

    store = ModelStore("/models", device_key, log=audit_log)
    store.install("kws", "2", chunks, mac, selftest=[(input_bytes, expected_bytes, 1)])
    model = store.load()                 # the active model, or the previous one, or None

Layout under root: <name>-<version>.tflite files and a manifest of two
lines, "active" and "previous" (name, version, SHA-256, size), ending in a
CRC line. Installing:

1. streams the bytes into <name>-<version>.part, hashing as they come (the
   watchdog is fed per chunk);
2. checks the publisher's MAC: HMAC-SHA256(device key, "tinyml-model" NUL
   name NUL version NUL sha256(model)) — see model_mac(); a wrong MAC
   (tampered model, wrong key) is refused;
3. loads the new model and runs the self-test (reference inputs and their
   expected outputs) before anything changes;
4. renames the file into place and swaps the manifest atomically (write a
   temporary manifest, rename it over the old one): the new model becomes
   active, the old one previous, and the model before that is erased.

A power loss at any point leaves either the old manifest (and a .part file,
removed on the next start) or the new one. load() re-checks the active
file's SHA-256 and falls back to the previous model when it is corrupt or
fails to load; every refusal and fallback goes to the audit log.
"""

import os
from array import array

from digest import crc32, equal, hexlify, hmac_sha256, sha256, unhexlify

MANIFEST = "manifest"
CHUNK = 512


class ModelRefused(ValueError):
    """An install was refused (bad MAC, bad size, failed self-test); nothing changed."""


def model_mac(key: bytes, name: str, version: str, model_sha256: bytes) -> bytes:
    """The MAC a publisher attaches to a model (also computable off-device)."""
    message = b"tinyml-model\0" + name.encode() + b"\0" + version.encode() + b"\0" + model_sha256
    return hmac_sha256(key, message)


def _exists(path: str) -> bool:
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _remove(path: str) -> None:
    try:  # noqa: SIM105 (MicroPython has no contextlib)
        os.remove(path)
    except OSError:
        pass


def _replace(src: str, dst: str) -> None:
    """rename() that overwrites dst (FAT and littlefs refuse an existing target)."""
    try:
        os.rename(src, dst)
    except OSError:
        os.remove(dst)
        os.rename(src, dst)


def _check_token(kind: str, value: str) -> None:
    if not value or len(value) > 32:
        raise ValueError(kind + " must be 1..32 characters")
    for ch in value:
        if not (ch.isalpha() or ch.isdigit() or ch in "._"):
            raise ValueError(kind + " may hold letters, digits, '.' and '_': " + value)


class Entry:
    """One installed model: name, version, sha256 (hex), size, path."""

    def __init__(self, name: str, version: str, sha256_hex: str, size: int, path: str) -> None:
        self.name = name
        self.version = version
        self.sha256 = sha256_hex
        self.size = size
        self.path = path

    def __repr__(self) -> str:
        return f"<model {self.name} {self.version}>"


def file_sha256(path: str, wdt=None) -> bytes:  # noqa: ANN001
    """SHA-256 of a file, read in chunks."""
    h = sha256()
    buf = bytearray(CHUNK)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(memoryview(buf)[:n])
            if wdt is not None:
                wdt.feed()
    return h.digest()


def run_selftest(model, checks) -> None:  # noqa: ANN001
    """Raise ModelRefused unless every (input bytes, expected output bytes,
    tolerance) check holds: each output element within `tolerance` of the
    expected one (in the output's raw units). `checks` may instead be a
    callable(model) returning True when the model is fit for service."""
    if callable(checks):
        if not checks(model):
            raise ModelRefused("self-test failed")
        return
    output = model.output()
    typecode = _TYPECODES[output.dtype]
    for number, (given, expected, tolerance) in enumerate(checks):
        model.input().data = given
        model.invoke()
        out = output.data
        want = array(typecode, bytes(expected))
        if len(want) != len(out):
            raise ModelRefused(f"self-test {number}: {len(out)} outputs, expected {len(want)}")
        for i in range(len(out)):
            if abs(out[i] - want[i]) > tolerance:
                raise ModelRefused(f"self-test {number}: output {i} is {out[i]}, expected {want[i]}")


_TYPECODES = {
    "int8": "b",
    "uint8": "B",
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "float32": "f",
}


class ModelStore:
    """Installed models under `root`, authenticated with the device `key`."""

    def __init__(self, root: str, key: bytes, log=None, wdt=None) -> None:  # noqa: ANN001
        self.root = root.rstrip("/")
        self.key = key
        self.log = log
        self.wdt = wdt
        if not _exists(self.root):
            os.mkdir(self.root)
        self.active = None
        self.previous = None
        self._read_manifest()
        self._remove_partial()

    # -- manifest ---------------------------------------------------------

    def _path(self, name: str, version: str, suffix: str = ".tflite") -> str:
        return f"{self.root}/{name}-{version}{suffix}"

    def _read_manifest(self) -> None:
        path = self.root + "/" + MANIFEST
        if not _exists(path) and _exists(path + ".tmp"):
            # Power was lost between removing the old manifest and renaming the new one
            # (only on filesystems whose rename cannot overwrite): the new one is complete.
            _replace(path + ".tmp", path)
        if not _exists(path):
            return
        with open(path) as f:
            text = f.read()
        body, _, tail = text.rpartition("crc ")
        if not tail.strip() or int(tail.strip(), 16) != crc32(body.encode()):
            self._note("manifest-corrupt", path)
            return
        for line in body.splitlines():
            fields = line.split()
            if len(fields) == 5 and fields[0] in ("active", "previous"):
                entry = Entry(
                    fields[1], fields[2], fields[3], int(fields[4]), self._path(fields[1], fields[2])
                )
                setattr(self, fields[0], entry)

    def _write_manifest(self) -> None:
        lines = []
        for role in ("active", "previous"):
            e = getattr(self, role)
            if e is not None:
                lines.append(f"{role} {e.name} {e.version} {e.sha256} {e.size}\n")
        body = "".join(lines)
        path = self.root + "/" + MANIFEST
        with open(path + ".tmp", "w") as f:
            f.write(body + f"crc {crc32(body.encode()):08x}\n")
        _replace(path + ".tmp", path)
        if hasattr(os, "sync"):
            os.sync()

    def _remove_partial(self) -> None:
        try:
            names = os.listdir(self.root)
        except OSError:
            return
        for name in names:
            if name.endswith(".part"):
                _remove(self.root + "/" + name)
                self._note("install-interrupted", name)

    def _note(self, event: str, detail: str) -> None:
        if self.log is not None:
            self.log.append(event, detail)

    def _feed(self) -> None:
        if self.wdt is not None:
            self.wdt.feed()

    # -- install ----------------------------------------------------------

    def install(self, name: str, version: str, chunks, mac, selftest=None) -> Entry:  # noqa: ANN001
        """Install and activate a model; ModelRefused (nothing changed) if it fails a check.

        chunks: byte strings (e.g. from a network download or a file read in
        pieces); mac: model_mac() of the model (bytes or hex); selftest:
        see run_selftest (None skips it only when you have no reference data).
        """
        _check_token("name", name)
        _check_token("version", version)
        if isinstance(mac, str):
            mac = unhexlify(mac)
        part = self._path(name, version, ".part")
        h = sha256()
        size = 0
        try:
            with open(part, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                    h.update(chunk)
                    size += len(chunk)
                    self._feed()
            digest = h.digest()
            if not equal(model_mac(self.key, name, version, digest), mac):
                raise ModelRefused(f"model {name} {version}: MAC does not match (tampered or wrong key)")
            # What was written is what was hashed: re-read, catching a failing flash.
            if file_sha256(part, self.wdt) != digest:
                raise ModelRefused(f"model {name} {version}: stored bytes differ from received")
            if selftest is not None:
                import tinyml

                try:
                    model = tinyml.Model(part)
                except Exception as e:  # noqa: BLE001
                    raise ModelRefused(f"model {name} {version} does not load: {e!r}") from None
                run_selftest(model, selftest)
                del model
                self._feed()
        except BaseException as e:
            _remove(part)
            self._note("install-refused", f"{name} {version}: {e}")
            raise
        final = self._path(name, version)
        _replace(part, final)
        dropped = self.previous
        if self.active is not None and self.active.path != final:
            self.previous = self.active
        self.active = Entry(name, version, hexlify(digest), size, final)
        self._write_manifest()
        if dropped is not None and dropped.path not in (self.active.path, self.previous.path):
            _remove(dropped.path)  # erase what is no longer reachable
            self._note("model-erased", f"{dropped.name} {dropped.version}")
        self._note("model-installed", f"{name} {version} {self.active.sha256}")
        return self.active

    # -- use --------------------------------------------------------------

    def verify(self, entry: Entry) -> bool:
        """True when the file still has its manifest size and SHA-256."""
        try:
            if os.stat(entry.path)[6] != entry.size:
                return False
            return hexlify(file_sha256(entry.path, self.wdt)) == entry.sha256
        except OSError:
            return False

    def rollback(self) -> Entry:
        """Make the previous model active again (the current one becomes previous)."""
        if self.previous is None:
            raise ValueError("no previous model to roll back to")
        self.active, self.previous = self.previous, self.active
        self._write_manifest()
        self._note("rollback", f"{self.active.name} {self.active.version}")
        return self.active

    def load(self, **model_args):  # noqa: ANN201 (tinyml.Model or None)
        """The active model, checked and loaded; on failure the previous one
        (which then becomes active); None when neither works (run the fallback;
        the manifest is then left unchanged)."""
        import tinyml

        tried = (self.active, self.previous)
        for attempt in range(2):
            entry = self.active
            if entry is None:
                break
            self._feed()
            try:
                if not self.verify(entry):
                    raise ValueError("SHA-256 mismatch")
                model = tinyml.Model(entry.path, **model_args)
                self._feed()
                return model
            except Exception as e:  # noqa: BLE001
                self._note("load-failed", f"{entry.name} {entry.version}: {e!r}")
                if attempt or self.previous is None:
                    break
                self.rollback()
        if (self.active, self.previous) != tried:
            # Neither works: leave the manifest as it was rather than flipped.
            self.active, self.previous = tried
            self._write_manifest()
        self._note("no-model", self.root)
        return None
