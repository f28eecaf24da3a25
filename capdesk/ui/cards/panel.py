"""The card-number generator: ask for N numbers, watch them arrive, copy or print one.

The panel never calls the service itself: it emits ``generateRequested(count)`` and
the window drives it back through ``set_busy`` / ``report_progress`` /
``show_number`` / ``finish_batch``. Each number appears (and lands in the history
table) the moment the service reports it, so a batch cancelled half-way still shows
every number that was actually issued — the store has already saved them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from capdesk.ui.cards.history_table import CardHistoryView
from capdesk.ui.common.plain_text import plain_label
from capdesk.ui.common.tab_order import set_tab_order
from capdesk.ui.common.tones import tone

if TYPE_CHECKING:
    from capdesk.store.history import HistoryEntry

MAX_BATCH = 1000
_NO_NUMBER = "None yet"


def _plural(count: int) -> str:
    return "1 card number" if count == 1 else f"{count} card numbers"


class CardPanel(QWidget):
    """Generate button, batch size, progress/cancel, latest number, history."""

    generateRequested = Signal(int)
    cancelRequested = Signal()
    copyRequested = Signal(str)
    printRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._latest: str | None = None
        self._busy = False

        count_label = QLabel("How &many")
        self.count = QSpinBox()
        self.count.setObjectName("cardCount")
        self.count.setAccessibleName("How many card numbers")
        self.count.setRange(1, MAX_BATCH)
        self.count.setValue(1)
        count_label.setBuddy(self.count)

        self.generate_button = QPushButton("&Generate card number")
        self.generate_button.setObjectName("generateCardButton")
        self.generate_button.setAccessibleName("Generate card number")

        self.progress = QProgressBar()
        self.progress.setObjectName("cardProgress")
        self.progress.setAccessibleName("Card numbers generated")
        self.progress.setFormat("%v of %m")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelCardsButton")
        self.cancel_button.setAccessibleName("Cancel generating card numbers")
        self.cancel_button.setToolTip("Stop after the numbers already requested (Esc)")
        self.progress.hide()
        self.cancel_button.hide()

        latest_caption = QLabel("Latest card number")
        # Value label: named by its buddy caption, never by accessibleName (see design.md).
        self.number_label = plain_label(QLabel(_NO_NUMBER))  # the server's text, as sent
        self.number_label.setObjectName("cardNumber")
        self.number_label.setAccessibleIdentifier("cardNumber")
        self.number_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.number_label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._number_font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._number_font.setPointSizeF(max(self._number_font.pointSizeF(), 9.0) * 2)
        self._number_font.setBold(True)
        self._show_placeholder()
        latest_caption.setBuddy(self.number_label)

        self.copy_button = QPushButton("Cop&y")
        self.copy_button.setObjectName("copyCardButton")
        self.copy_button.setAccessibleName("Copy card number")
        self.print_button = QPushButton("&Print label…")
        self.print_button.setObjectName("printCardButton")
        self.print_button.setAccessibleName("Print barcode label")
        self.copy_button.setEnabled(False)
        self.print_button.setEnabled(False)

        self.batch_status = plain_label(QLabel())
        self.batch_status.setObjectName("cardBatchStatus")
        self.batch_status.setAccessibleIdentifier("cardBatchStatus")
        self.batch_status.setWordWrap(True)

        self.history = CardHistoryView()
        self.history.copyRequested.connect(self.copyRequested)

        generate_row = QHBoxLayout()
        generate_row.addWidget(count_label)
        generate_row.addWidget(self.count)
        generate_row.addWidget(self.generate_button)
        generate_row.addStretch(1)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        number_row = QHBoxLayout()
        number_row.addWidget(self.number_label, 1)
        number_row.addWidget(self.copy_button)
        number_row.addWidget(self.print_button)

        layout = QVBoxLayout(self)
        layout.addLayout(generate_row)
        layout.addLayout(progress_row)
        layout.addWidget(self.batch_status)
        layout.addSpacing(4)
        layout.addWidget(latest_caption)
        layout.addLayout(number_row)
        layout.addSpacing(8)
        layout.addWidget(self.history, 1)

        order = [
            self.count,
            self.generate_button,
            self.cancel_button,
            self.number_label,
            self.copy_button,
            self.print_button,
            self.history.search,
        ]
        set_tab_order(order)

        self.generate_button.clicked.connect(self._on_generate)
        self.cancel_button.clicked.connect(self._on_cancel)
        self.copy_button.clicked.connect(self._on_copy)
        self.print_button.clicked.connect(self._on_print)
        # Esc cancels a running batch; otherwise it is left to the window ("New customer").
        self._escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._escape.setEnabled(False)
        self._escape.activated.connect(self._on_cancel)

    # --- driven by the window ------------------------------------------------------

    def set_busy(self, busy: bool, total: int = 0) -> None:
        """Enter/leave the batch state: progress and Cancel shown only while busy."""
        self._busy = busy
        self._escape.setEnabled(busy)
        self.generate_button.setEnabled(not busy)
        self.count.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.cancel_button.setEnabled(True)
            self.cancel_button.setText("Cancel")
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(0)
            self.batch_status.setText(f"Generating {_plural(max(total, 1))}…")

    def report_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))

    def show_number(self, entry: HistoryEntry) -> None:
        """Show ``entry`` as the latest number and put it at the top of the history."""
        self._latest = entry.number
        self.number_label.setFont(self._number_font)
        self.number_label.setPalette(self.palette())
        self.number_label.setText(entry.number)
        self.number_label.setAccessibleDescription(entry.number)
        self.copy_button.setEnabled(True)
        self.print_button.setEnabled(True)
        self.history.add_entry(entry)

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        """The history as the window read it (newest first)."""
        self.history.set_entries(entries)

    def finish_batch(self, generated: int, cancelled: bool) -> None:
        """Leave the busy state and say what happened in one sentence."""
        requested = self.progress.maximum()
        self.set_busy(False)
        if cancelled:
            self.batch_status.setText(
                f"Stopped. {_plural(generated)} generated before you cancelled."
                if generated
                else "Stopped. No card numbers were generated."
            )
        elif generated == 0:
            self.batch_status.setText("No card numbers were generated.")
        elif generated < requested:
            self.batch_status.setText(f"Only {generated} of {_plural(requested)} were generated.")
        else:
            self.batch_status.setText(f"Generated {_plural(generated)}.")

    def set_count(self, count: int) -> None:
        """Preset how many numbers the next click asks for (clamped to 1 to 1000)."""
        self.count.setValue(max(1, min(MAX_BATCH, count)))

    @property
    def latest_number(self) -> str | None:
        return self._latest

    def _show_placeholder(self) -> None:
        """Greyed, regular text: "None yet" must not look like a card number."""
        font = QFont(self._number_font)
        font.setBold(False)
        font.setFamilies([self.font().family()])
        font.setPointSizeF(self._number_font.pointSizeF() * 0.75)
        self.number_label.setFont(font)
        palette = self.number_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(tone("hint", palette)))
        self.number_label.setPalette(palette)
        self.number_label.setText(_NO_NUMBER)

    # --- user actions ---------------------------------------------------------------

    def _on_generate(self) -> None:
        if not self._busy:
            self.batch_status.clear()
            self.generateRequested.emit(self.count.value())

    def _on_cancel(self) -> None:
        if self._busy and self.cancel_button.isEnabled():
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Stopping…")
            self.cancelRequested.emit()

    def _on_copy(self) -> None:
        if self._latest:
            self.copyRequested.emit(self._latest)

    def _on_print(self) -> None:
        if self._latest:
            self.printRequested.emit(self._latest)
