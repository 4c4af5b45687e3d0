"""Files on the semihosting directory: open() and os, seen from the guest and from the host."""

from __future__ import annotations

from pathlib import Path

from support.board import runner


def run_ok(board: object, code: str, fs_dir: Path) -> list[str]:
    result = runner.run_code(board, code, fs_dir)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_text_and_binary_files_round_trip(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    code = """
with open('notes.txt', 'w') as f:
    f.write('first line\\nsecond line\\n')
with open('notes.txt', 'a') as f:
    f.write('third\\n')
with open('notes.txt') as f:
    print(repr(f.readline()), [line.strip() for line in f])
data = bytes(range(256)) * 4
with open('blob.bin', 'wb') as f:
    print(f.write(data))
with open('blob.bin', 'rb') as f:
    print(f.read() == data, f.tell())
    f.seek(1000)
    print(f.read(3), f.tell())
    f.seek(-2, 2)
    print(f.read())
print(type(open('blob.bin').read(1)).__name__, type(open('blob.bin', 'rb').read(1)).__name__)
"""
    lines = run_ok(m4, code, tmp_path)
    assert lines == [
        "'first line\\n' ['second line', 'third']",
        "1024",
        "True 1024",
        "b'\\xe8\\xe9\\xea' 1003",
        "b'\\xfe\\xff'",
        "str bytes",
    ]
    host = runner.SemihostingDir(tmp_path)
    assert host.read("notes.txt") == b"first line\nsecond line\nthird\n"
    assert host.read("blob.bin") == bytes(range(256)) * 4


def test_directories_listing_stat_rename_remove(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    code = """
import os
os.mkdir('lib')
os.mkdir('/lib/sub')
open('lib/a.py', 'w').write('A = 1\\n')
open('/lib/sub/b.txt', 'w').write('bb')
print(sorted(os.listdir()), sorted(os.listdir('lib')), list(os.ilistdir('/lib/sub')))
print(os.stat('lib')[0], os.stat('lib/sub/b.txt')[0], os.stat('lib/sub/b.txt')[6])
os.chdir('lib')
print(os.getcwd(), sorted(os.listdir()))
import a
print(a.A)
os.chdir('/')
os.rename('lib/sub', 'lib/moved')
print(sorted(os.listdir('lib')), open('lib/moved/b.txt').read())
os.rename('lib/a.py', 'top.py')
for path, call in (('lib', os.rmdir), ('missing.txt', os.remove), ('nowhere/x', open)):
    try:
        call(path)
    except OSError as e:
        print(path, e.errno)
os.remove('lib/moved/b.txt')
os.rmdir('lib/moved')
os.rmdir('lib')
print(sorted(os.listdir()))
"""
    lines = run_ok(m4, code, tmp_path)
    assert lines == [
        # The script itself was put there by the host without an index line.
        "['lib'] ['a.py', 'sub'] [('b.txt', 32768, 0, 2)]",
        "16384 32768 2",
        "/lib ['a.py', 'sub']",
        "1",
        "['a.py', 'moved'] bb",
        "lib 13",
        "missing.txt 2",
        "nowhere/x 2",
        "['top.py']",
    ]
    # Host side: flat names, and the index lists what the guest created.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "_run_code.py") == ["%index", "top.py"]


def test_host_files_are_visible_and_paths_stay_inside(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    host = runner.SemihostingDir(tmp_path / "fs")
    host.write("data/model.bin", b"\x01\x02\x03")
    (tmp_path / "secret.txt").write_text("outside")
    code = """
import os
print(os.listdir('/data'), open('/data/model.bin', 'rb').read())
for path in ('../secret.txt', '/../secret.txt', 'data/../../secret.txt', 'c:x', 'a\\\\b'):
    try:
        open(path)
        print(path, 'opened')
    except OSError as e:
        print(path, e.errno)
"""
    lines = run_ok(m4, code, tmp_path / "fs")
    assert lines == [
        "['model.bin'] b'\\x01\\x02\\x03'",
        "../secret.txt 13",
        "/../secret.txt 13",
        "data/../../secret.txt 13",
        "c:x 13",
        "a\\b 13",
    ]
    assert (tmp_path / "fs" / "data%2Fmodel.bin").read_bytes() == b"\x01\x02\x03"
