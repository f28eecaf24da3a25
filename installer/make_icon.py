"""Draw capdesk's icon with Qt and write ``resources/capdesk.png`` and ``capdesk.ico``.

The icon is drawn, not downloaded: a teal rounded square with a white loyalty card
and three OTP dots. Run ``uv run python installer/make_icon.py`` after changing the
drawing; the outputs are committed so builds need no display.

The ``.ico`` holds 16 to 64 px images as classic 32-bit BMPs (what every Windows
shell and NSIS read) and the 256 px image as PNG (the Vista+ form Explorer uses
for large icons).
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPen

ROOT = Path(__file__).resolve().parent.parent
BMP_SIZES = (16, 24, 32, 48, 64)
PNG_SIZES = (256,)
TEAL_LIGHT = QColor("#1a9c8f")
TEAL_DARK = QColor("#0b5f63")
INK = QColor("#0b4f52")


def draw(size: int) -> QImage:
    """The icon at ``size`` px, drawn in a 256-unit coordinate space."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / 256, size / 256)

    gradient = QLinearGradient(0, 0, 0, 256)
    gradient.setColorAt(0, TEAL_LIGHT)
    gradient.setColorAt(1, TEAL_DARK)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(gradient)
    painter.drawRoundedRect(QRectF(8, 8, 240, 240), 48, 48)

    card = QRectF(36, 64, 184, 128)
    painter.setBrush(QColor("white"))
    painter.drawRoundedRect(card, 18, 18)
    painter.setBrush(INK)
    painter.drawRect(QRectF(card.left(), card.top() + 24, card.width(), 26))  # magnetic stripe
    if size >= 24:
        for index in range(3):
            painter.drawEllipse(QRectF(60 + index * 42, 142, 26, 26))  # OTP digits
    else:
        painter.setPen(QPen(INK, 22))
        painter.drawLine(60, 155, 196, 155)
    painter.end()
    return image


def _png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def _bmp_entry(image: QImage) -> bytes:
    """A BITMAPINFOHEADER + bottom-up BGRA pixels + 1-bit AND mask, as ICO wants."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)  # straight alpha, BGRA bytes
    size = image.width()
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    stride = size * 4
    raw = bytes(image.constBits())[: stride * size]
    pixels = b"".join(raw[row * stride : (row + 1) * stride] for row in reversed(range(size)))
    mask_stride = ((size + 31) // 32) * 4
    mask = bytes(mask_stride * size)  # all zero: alpha decides transparency
    return header + pixels + mask


def ico_bytes(images: list[QImage]) -> bytes:
    """A multi-size .ico from square images (BMP up to 64 px, PNG above)."""
    blobs = [
        (img.width(), _bmp_entry(img) if img.width() <= 64 else _png_bytes(img)) for img in images
    ]
    out = struct.pack("<HHH", 0, 1, len(blobs))
    offset = 6 + 16 * len(blobs)
    for size, blob in blobs:
        dim = 0 if size >= 256 else size
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    return out + b"".join(blob for _, blob in blobs)


def main(out_dir: Path = ROOT / "resources") -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    out_dir.mkdir(parents=True, exist_ok=True)
    draw(256).save(str(out_dir / "capdesk.png"), "PNG")
    images = [draw(size) for size in (*BMP_SIZES, *PNG_SIZES)]
    (out_dir / "capdesk.ico").write_bytes(ico_bytes(images))
    print(f"wrote {out_dir / 'capdesk.png'} and {out_dir / 'capdesk.ico'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
