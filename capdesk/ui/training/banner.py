"""The "you are in training" banner: impossible to mistake for the real thing.

Hazard stripes at both ends, a strong amber fill and near-black bold text, plus a
warning icon *and* the words, so it reads in any theme, to colour-blind staff and
to a screen reader. The colours are fixed on purpose: a dark or high-contrast
theme must not turn it into a quiet grey strip.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

TEXT = "Training — simulated data. No real customers."
_AMBER = QColor("#ffc400")
_INK = QColor("#141414")
_STRIPE_BAND = 44  # px of stripes at each end
_STRIPE = 12


class TrainingBanner(QFrame):
    """A strip shown across the window while the training cluster is selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingBanner")
        self.setAccessibleName("Training mode")
        self.setAutoFillBackground(False)

        icon = QLabel()
        icon.setPixmap(_warning_sign(round(self.fontMetrics().height() * 1.6)))
        icon.setAccessibleName("Warning")

        self.label = QLabel(TEXT)
        self.label.setObjectName("trainingBannerText")
        font = self.label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.label.setFont(font)
        palette = self.label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, _INK)
        self.label.setPalette(palette)
        self.label.setWordWrap(True)
        # Let the window shrink below one line's width: resizeEvent switches wrapping on.
        self.label.setMinimumWidth(self.label.fontMetrics().averageCharWidth() * 14)
        self.label.setAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(_STRIPE_BAND + 10, 6, _STRIPE_BAND + 10, 6)
        layout.addStretch(1)
        layout.addWidget(icon)
        layout.addWidget(self.label)
        layout.addStretch(1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """One line when it fits; wrap only in a narrow window (never cut the words off)."""
        room = self.width() - 2 * (_STRIPE_BAND + 10) - self.label.fontMetrics().height() * 3
        self.label.setWordWrap(self.label.fontMetrics().horizontalAdvance(TEXT) > room)
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect())
        painter.fillRect(rect, _AMBER)
        band = min(_STRIPE_BAND, rect.width() / 4)
        for left in (rect.left(), rect.right() - band):
            self._stripes(painter, QRectF(left, rect.top(), band, rect.height()))
        painter.setPen(_INK)
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.end()

    @staticmethod
    def _stripes(painter: QPainter, band: QRectF) -> None:
        painter.save()
        painter.setClipRect(band)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(_INK))
        height = band.height()
        x = band.left() - height
        while x < band.right():
            path = QPainterPath(QPointF(x, band.bottom()))
            path.lineTo(QPointF(x + height, band.top()))
            path.lineTo(QPointF(x + height + _STRIPE, band.top()))
            path.lineTo(QPointF(x + _STRIPE, band.bottom()))
            path.closeSubpath()
            painter.drawPath(path)
            x += 2 * _STRIPE
        painter.restore()


def _warning_sign(size: int) -> QPixmap:
    """A dark triangle with an amber "!": the stock warning icon vanishes on amber."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath(QPointF(size / 2, 1))
    path.lineTo(QPointF(size - 1, size - 1))
    path.lineTo(QPointF(1, size - 1))
    path.closeSubpath()
    painter.fillPath(path, _INK)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(round(size * 0.6))
    painter.setFont(font)
    painter.setPen(_AMBER)
    painter.drawText(QRectF(0, size * 0.3, size, size * 0.7), Qt.AlignmentFlag.AlignCenter, "!")
    painter.end()
    return pixmap
