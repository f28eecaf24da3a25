"""Draw a card-number label (caption, Code 128 bars, the number) and print it.

One painter routine serves the screen, a test QImage and the printer, so what the
preview shows is what prints. Bars are laid on whole device pixels: a scanner
needs every narrow bar the same width, and a fractional module width would make
anti-aliasing smear some bars wider than others. The label is drawn at its
physical size (a common 62 x 29 mm sticker) from the top-left of the page, so it
comes out right on a label printer and still usable on an office printer.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QMarginsF, QRect, QSizeF, Qt
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
)
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QToolBar, QWidget

from capdesk.ui.cards.barcode import QUIET_ZONE_MODULES, Code128, encode

LABEL_WIDTH_MM = 62.0
LABEL_HEIGHT_MM = 29.0
DEFAULT_CAPTION = "Loyalty card number"


class BarcodeLabel:
    """A printable label for one card number."""

    def __init__(self, number: str, caption: str = DEFAULT_CAPTION) -> None:
        self.number = number
        self.caption = caption
        self.symbol: Code128 = encode(number)

    def module_width(self, width_px: int) -> int:
        """Whole device pixels per narrow module that fit ``width_px`` with quiet zones."""
        total = self.symbol.modules + 2 * QUIET_ZONE_MODULES
        return max(1, width_px // total)

    def paint(self, painter: QPainter, rect: QRect) -> None:
        """Draw the label inside ``rect`` (device pixels of the painter's device)."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillRect(rect, QColor("white"))
        margin = max(1, rect.height() // 20)
        inner = rect.adjusted(margin, margin, -margin, -margin)

        caption_font = _fit(painter, self.caption, inner.width(), inner.height() // 9)
        number_font = _fit(painter, self.number, inner.width(), inner.height() // 7, mono=True)
        caption_h = QFontMetrics(caption_font, painter.device()).height()
        number_h = QFontMetrics(number_font, painter.device()).height()

        painter.setPen(QColor("black"))
        painter.setFont(caption_font)
        caption_rect = QRect(inner.left(), inner.top(), inner.width(), caption_h)
        painter.drawText(caption_rect, Qt.AlignmentFlag.AlignHCenter, self.caption)

        number_rect = QRect(inner.left(), inner.bottom() - number_h + 1, inner.width(), number_h)
        painter.setFont(number_font)
        painter.drawText(number_rect, Qt.AlignmentFlag.AlignHCenter, self.number)

        gap = max(1, inner.height() // 30)
        bars_top = caption_rect.bottom() + 1 + gap
        bars_height = number_rect.top() - gap - bars_top
        self._paint_bars(painter, rect, bars_top, max(1, bars_height))
        painter.restore()

    def _paint_bars(self, painter: QPainter, rect: QRect, top: int, height: int) -> None:
        module = self.module_width(rect.width())
        symbol_px = self.symbol.modules * module
        x = rect.left() + (rect.width() - symbol_px) // 2  # centred; quiet zones both sides
        black = QColor("black")
        for index, width in enumerate(self.symbol.widths):
            if index % 2 == 0:
                painter.fillRect(QRect(x, top, width * module, height), black)
            x += width * module

    def render_image(self, dpi: int = 300) -> QImage:
        """The label as an image at ``dpi`` (for tests and on-screen previews)."""
        width = round(LABEL_WIDTH_MM / 25.4 * dpi)
        height = round(LABEL_HEIGHT_MM / 25.4 * dpi)
        image = QImage(width, height, QImage.Format.Format_RGB32)
        dots_per_metre = round(dpi / 0.0254)
        image.setDotsPerMeterX(dots_per_metre)
        image.setDotsPerMeterY(dots_per_metre)
        image.fill(QColor("white"))
        painter = QPainter(image)
        try:
            self.paint(painter, QRect(0, 0, width, height))
        finally:
            painter.end()
        return image

    def print_to(self, printer: QPrinter) -> None:
        """Draw the label at physical size on the printer's first page."""
        painter = QPainter()
        if not painter.begin(printer):
            return  # the printer refused (cancelled, offline): the dialog already says so
        try:
            self.paint(painter, label_rect(printer))
        finally:
            painter.end()


def label_rect(device: QPaintDevice) -> QRect:
    """The label's physical size in ``device`` pixels, clipped to what the device can hold."""
    width = round(LABEL_WIDTH_MM / 25.4 * device.logicalDpiX())
    height = round(LABEL_HEIGHT_MM / 25.4 * device.logicalDpiY())
    return QRect(0, 0, min(width, device.width()), min(height, device.height()))


def _fit(
    painter: QPainter, text: str, width: int, pixel_height: int, *, mono: bool = False
) -> QFont:
    """A font of about ``pixel_height`` px, made smaller until ``text`` fits ``width``."""
    font = QFont(painter.font())
    if mono:
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setFamilies(["Consolas", "DejaVu Sans Mono", "Courier New", "monospace"])
        font.setBold(True)
    size = max(1, pixel_height)
    font.setPixelSize(size)
    advance = QFontMetrics(font, painter.device()).horizontalAdvance(text)
    if advance > width > 0:
        font.setPixelSize(max(1, size * width // advance))
    return font


class LabelPrintPreview(QPrintPreviewDialog):
    """Print preview that owns its printer and label for as long as it is open.

    The printer is kept as ``label_printer``: Qt does not own a printer passed to the
    dialog, so Python must keep it alive, and the name leaves Qt's own ``printer()``
    method visible instead of hiding it behind an attribute.

    Below the preview sit labelled **Print** and **Close** buttons: on a 1024 px screen
    Qt's toolbar hides its Print action behind "»", where staff do not find it. Print
    triggers that very action, so both print the same way (Qt's print dialog first).
    """

    def __init__(self, label: BarcodeLabel, parent: QWidget | None = None) -> None:
        self.label_printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.label_printer.setPageLayout(
            QPageLayout(
                QPageSize(
                    QSizeF(LABEL_WIDTH_MM, LABEL_HEIGHT_MM), QPageSize.Unit.Millimeter, "Card label"
                ),
                QPageLayout.Orientation.Portrait,
                QMarginsF(0, 0, 0, 0),
                QPageLayout.Unit.Millimeter,
            )
        )
        self.label_printer.setDocName(f"Card {label.number}")
        super().__init__(self.label_printer, parent)
        self.label = label
        self.setWindowTitle("Print card label")
        self.paintRequested.connect(self.label.print_to)
        self._add_buttons()

    def _add_buttons(self) -> None:
        self.print_button = QPushButton("&Print")
        self.print_button.setObjectName("printLabelPrintButton")
        self.print_button.setToolTip("Print this label (opens the print dialog).")
        self.print_button.setDefault(True)
        self.close_button = QPushButton("&Close")
        self.close_button.setObjectName("printLabelCloseButton")
        buttons = QDialogButtonBox()
        buttons.setContentsMargins(9, 6, 9, 9)  # the dialog's own layout has none
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.print_button.clicked.connect(self.print_action().trigger)
        self.close_button.clicked.connect(self.reject)
        layout = self.layout()
        assert layout is not None  # QPrintPreviewDialog lays out its toolbar and preview
        layout.addWidget(buttons)

    def print_action(self) -> QAction:
        """Qt's own Print action in the preview's toolbar (unnamed: found by its text,
        translated as Qt translates it)."""
        text = QCoreApplication.translate("QPrintPreviewDialog", "Print")
        toolbar = self.findChild(QToolBar)
        assert toolbar is not None
        for action in toolbar.actions():
            if action.text() == text:
                return action
        raise LookupError("the print preview has no Print action")


def print_preview(
    number: str, parent: QWidget | None = None, caption: str = DEFAULT_CAPTION
) -> LabelPrintPreview:
    """Open a (window-modal, non-blocking) print preview for ``number``'s label.

    ``open()`` rather than ``exec()``: a nested event loop inside the qasync loop
    would stall running tasks while the dialog is up.
    """
    dialog = LabelPrintPreview(BarcodeLabel(number, caption), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
