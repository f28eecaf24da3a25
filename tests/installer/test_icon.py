"""The committed icon: a real multi-size .ico and PNG, as Windows and NSIS read them."""

from __future__ import annotations

import struct

from PySide6.QtGui import QImage, QImageReader

from tests.installer.conftest import ROOT, load

ICO = ROOT / "resources" / "capdesk.ico"
PNG = ROOT / "resources" / "capdesk.png"


def _entries(data: bytes) -> list[tuple[int, bytes]]:
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1)
    found = []
    for index in range(count):
        width, _h, _c, _r, _p, bits, size, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        assert bits == 32
        found.append((width or 256, data[offset : offset + size]))
    return found


def test_committed_ico_has_the_sizes_windows_uses(qapp):
    entries = _entries(ICO.read_bytes())
    assert [size for size, _ in entries] == [16, 24, 32, 48, 64, 256]
    for size, blob in entries:
        if size <= 64:
            assert struct.unpack_from("<I", blob)[0] == 40  # BITMAPINFOHEADER
        else:
            assert blob.startswith(b"\x89PNG")
    reader = QImageReader(str(ICO))
    assert reader.imageCount() == 6


def test_png_is_256_and_transparent_in_the_corner(qapp):
    image = QImage(str(PNG))
    assert (image.width(), image.height()) == (256, 256)
    assert image.pixelColor(0, 0).alpha() == 0
    assert image.pixelColor(128, 30).alpha() == 255


def test_ico_writer_round_trips_through_qt(qapp, tmp_path):
    make_icon = load("make_icon")
    images = [make_icon.draw(16), make_icon.draw(256)]
    path = tmp_path / "x.ico"
    path.write_bytes(make_icon.ico_bytes(images))
    reader = QImageReader(str(path))
    assert reader.imageCount() == 2
    small = reader.read()
    assert small.width() == 16
    # the drawn teal reaches the middle of the left edge; the corner stays transparent
    assert small.pixelColor(1, 8).green() > small.pixelColor(1, 8).red()
    assert small.pixelColor(0, 0).alpha() == 0
