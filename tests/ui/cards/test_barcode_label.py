"""The printed label: bars read back from pixels, quiet zones kept, preview prints."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPageSize
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QPushButton

from capdesk.ui.cards.barcode import QUIET_ZONE_MODULES
from capdesk.ui.cards.barcode_label import (
    LABEL_WIDTH_MM,
    BarcodeLabel,
    LabelPrintPreview,
    print_preview,
)
from tests.ui.cards.test_barcode import decode_widths


def _scan_row(image: QImage, y: int) -> list[tuple[bool, int]]:
    """Runs of (dark?, length in px) along one pixel row."""
    runs: list[tuple[bool, int]] = []
    for x in range(image.width()):
        dark = QColor(image.pixel(x, y)).lightness() < 128
        if runs and runs[-1][0] == dark:
            runs[-1] = (dark, runs[-1][1] + 1)
        else:
            runs.append((dark, 1))
    return runs


def _read_label(image: QImage) -> tuple[str, int, int, int]:
    """Decode the bars through the label's middle: (text, module px, left/right margin px)."""
    runs = _scan_row(image, image.height() // 2)
    assert runs[0][0] is False and runs[-1][0] is False, "bars must not touch the edges"
    left, right = runs[0][1], runs[-1][1]
    bars = runs[1:-1]
    module = min(length for _, length in bars)
    assert module >= 1
    assert all(length % module == 0 for _, length in bars), "every bar a whole module"
    text = decode_widths([length // module for _, length in bars])
    return text, module, left, right


def test_rendered_label_decodes_back_with_quiet_zones(qapp):
    image = BarcodeLabel("6012345678901234").render_image(dpi=300)
    assert image.width() == round(LABEL_WIDTH_MM / 25.4 * 300)
    text, module, left, right = _read_label(image)
    assert text == "6012345678901234"
    assert module >= 2
    assert min(left, right) >= QUIET_ZONE_MODULES * module


def test_long_alphanumeric_number_still_fits_at_thermal_printer_resolution(qapp):
    number = "CARD-ABCDEFGHIJ-0123456789-XYZ"
    image = BarcodeLabel(number, caption="Training card").render_image(dpi=203)
    text, module, left, right = _read_label(image)
    assert text == number
    assert module >= 1
    assert min(left, right) >= QUIET_ZONE_MODULES * module


def test_number_and_caption_are_printed_outside_the_bars(qapp):
    image = BarcodeLabel("6012345678901234").render_image(dpi=300)
    # Text rows (top caption, bottom number) are not solid bar rows: the bar row pattern
    # differs from the rows above and below the bars.
    middle = _scan_row(image, image.height() // 2)
    top = _scan_row(image, image.height() // 10)
    bottom = _scan_row(image, image.height() * 9 // 10)
    assert top != middle and bottom != middle
    assert any(dark for dark, _ in top), "caption drawn"
    assert any(dark for dark, _ in bottom), "number drawn"


def test_print_to_pdf_writes_a_page(qapp, tmp_path):
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "label.pdf"
    printer.setOutputFileName(str(out))
    BarcodeLabel("6012345678901234").print_to(printer)
    assert out.read_bytes().startswith(b"%PDF")


def test_print_preview_opens_on_a_label_sized_page(qtbot):
    dialog = print_preview("6012345678901234")
    qtbot.addWidget(dialog)
    assert isinstance(dialog, LabelPrintPreview)
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    page = dialog.label_printer.pageLayout().pageSize()
    size = page.size(QPageSize.Unit.Millimeter)
    assert round(size.width()) == 62 and round(size.height()) == 29
    dialog.close()


def test_preview_paints_the_label(qtbot):
    painted = []
    dialog = LabelPrintPreview(BarcodeLabel("CARD1001"))
    qtbot.addWidget(dialog)
    dialog.paintRequested.connect(lambda printer: painted.append(printer))
    dialog.show()
    qtbot.waitUntil(lambda: len(painted) > 0, timeout=3000)
    assert painted[0] is dialog.label_printer


def test_qt_printer_method_is_not_hidden(qtbot):
    dialog = LabelPrintPreview(BarcodeLabel("CARD1001"))
    qtbot.addWidget(dialog)
    assert callable(dialog.printer)
    assert dialog.printer() is dialog.label_printer
    assert dialog.printer().docName() == "Card CARD1001"


def test_a_labelled_print_button_is_visible_at_1024_by_768_and_prints(qtbot, tmp_path):
    """Qt's toolbar hides its Print action behind "»" at 1024 px: the button row keeps it."""
    dialog = print_preview("6012345678901234")
    qtbot.addWidget(dialog)
    dialog.resize(1024, 768)
    qtbot.waitExposed(dialog)
    button = dialog.findChild(QPushButton, "printLabelPrintButton")
    assert button is not None and button.isVisible() and button.isEnabled()
    assert button.text() == "&Print"
    inside = QRect(button.mapTo(dialog, QPoint(0, 0)), button.size())
    assert dialog.rect().contains(inside)
    close = dialog.findChild(QPushButton, "printLabelCloseButton")
    assert close is not None and close.isVisible() and close.text() == "&Close"

    pdf = tmp_path / "label.pdf"
    dialog.label_printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    dialog.label_printer.setOutputFileName(str(pdf))

    def accept_print_dialog() -> None:  # Qt's print dialog runs modally: say Print in it
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QPrintDialog):
            modal.accept()
        else:
            QTimer.singleShot(50, accept_print_dialog)

    QTimer.singleShot(50, accept_print_dialog)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
