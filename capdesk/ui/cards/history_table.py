"""The card-number history: a searchable table with CSV export.

Filtering happens in the model over a lower-cased text kept per row, rather than
in a QSortFilterProxyModel calling back into Python for every row: a search over
10,000 numbers stays a single list comprehension, fast enough to run on each
keystroke. The newest number is always on top, as the store returns them.

The search does not go back to the service (``history_entries(search=…)``, a SQLite
LIKE): the table already holds every entry the service read, and filtering them here
took about 1 ms for 10,000 rows, where the LIKE took 6 to 120 ms in a worker, holding
the GIL while it built the rows, and folded case for ASCII only ("müller" would miss
"Müller"), nor matched the Training mark.

The last column marks numbers from the training cluster: they are simulated, never
real cards, whatever the cluster was called when they were made. It is the last one
so that the columns staff and support already know keep their places.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFontDatabase, QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from capdesk.ui.common.plain_text import plain_label, plain_tooltip
from capdesk.ui.common.tab_order import set_tab_order

if TYPE_CHECKING:
    from capdesk.store.history import HistoryEntry

COLUMNS = ("Card number", "Generated (local time)", "Cluster", "Till", "Request id", "Training")
# The Training column's cell: blank for real numbers, so the marker stands out.
TRAINING_MARK = "Training"
_Index = QModelIndex | QPersistentModelIndex


def _local_time(entry: HistoryEntry) -> str:
    return entry.received_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _cells(entry: HistoryEntry) -> tuple[str, ...]:
    return (
        entry.number,
        _local_time(entry),
        entry.cluster,
        entry.till,
        entry.request_id or "",
        TRAINING_MARK if entry.training else "",
    )


def _haystack(entry: HistoryEntry) -> str:
    fields = (entry.number, entry.cluster, entry.till, entry.request_id or "")
    return "\n".join((*fields, TRAINING_MARK if entry.training else "")).lower()


class CardHistoryModel(QAbstractTableModel):
    """All entries (newest first) and the subset that matches the current search."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[tuple[HistoryEntry, str]] = []
        self._shown: list[HistoryEntry] = []
        self._search = ""
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    # --- data in -------------------------------------------------------------------

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        self.beginResetModel()
        self._all = [(entry, _haystack(entry)) for entry in entries]
        self._shown = self._matching()
        self.endResetModel()

    def prepend(self, entry: HistoryEntry) -> None:
        haystack = _haystack(entry)
        self._all.insert(0, (entry, haystack))
        if self._search in haystack:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._shown.insert(0, entry)
            self.endInsertRows()

    def set_search(self, text: str) -> None:
        search = text.strip().lower()
        if search == self._search:
            return
        self.beginResetModel()
        self._search = search
        self._shown = self._matching()
        self.endResetModel()

    def _matching(self) -> list[HistoryEntry]:
        if not self._search:
            return [entry for entry, _ in self._all]
        return [entry for entry, haystack in self._all if self._search in haystack]

    # --- data out ------------------------------------------------------------------

    @property
    def searching(self) -> bool:
        return bool(self._search)

    @property
    def total(self) -> int:
        return len(self._all)

    def shown(self) -> list[HistoryEntry]:
        return list(self._shown)

    def entry(self, row: int) -> HistoryEntry:
        return self._shown[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:  # item views draw it as plain text
            return _cells(self._shown[index.row()])[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:  # a tooltip would render markup: escaped
            return plain_tooltip(_cells(self._shown[index.row()])[index.column()])
        if role == Qt.ItemDataRole.FontRole and index.column() == 0:
            return self._mono
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


class CardHistoryView(QWidget):
    """Search box, table (``cardHistory``), count and "Export CSV…"."""

    copyRequested = Signal(str)  # Ctrl+C on a row: the window copies via the clipboard guard
    # Export CSV…: (path, the entries to write or None for all). The widget holds no store:
    # the window writes the file through the service, off the GUI thread.
    exportRequested = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loaded = False  # entries arrived (export needs them)
        self.model = CardHistoryModel(self)

        search_label = QLabel("Searc&h history")
        self.search = QLineEdit()
        self.search.setObjectName("cardHistorySearch")
        self.search.setAccessibleName("Search card history")
        self.search.setPlaceholderText("Card number, cluster, till or request id")
        self.search.setClearButtonEnabled(True)
        for button in self.search.findChildren(QToolButton):  # Qt leaves the clear button
            button.setAccessibleName("Clear search")  # unnamed for screen readers
        search_label.setBuddy(self.search)

        self.export_button = QPushButton("E&xport CSV…")
        self.export_button.setObjectName("exportHistoryButton")
        self.export_button.setAccessibleName("Export card history as CSV")
        self.export_button.setEnabled(False)

        self.table = QTableView()
        self.table.setObjectName("cardHistory")
        self.table.setAccessibleName("Card number history")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # One Tab stop: Tab leaves the table, arrow keys move inside it. Qt's default
        # (tab key navigation) walked Tab cell by cell and trapped keyboard users here.
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self._size_columns()

        # A value label: no accessible name, so a screen reader reads the count itself.
        self.count_label = plain_label(QLabel())
        self.count_label.setObjectName("cardHistoryCount")
        self.count_label.setAccessibleIdentifier("cardHistoryCount")
        self.status_label = plain_label(QLabel())  # names the file chosen: as typed
        self.status_label.setObjectName("cardHistoryStatus")
        self.status_label.setAccessibleIdentifier("cardHistoryStatus")
        self.status_label.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        top.addWidget(self.export_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label)
        bottom.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        set_tab_order([self.search, self.export_button, self.table])

        self.search.textChanged.connect(self._on_search)
        self.export_button.clicked.connect(self._ask_export)
        copy = QShortcut(QKeySequence.StandardKey.Copy, self.table)
        copy.setContext(Qt.ShortcutContext.WidgetShortcut)
        copy.activated.connect(self._copy_selected)
        self._update_count()

    def _size_columns(self) -> None:
        """Fixed widths from font metrics: ResizeToContents would scan all 10,000 rows."""
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        mono = QFontMetrics(self.model._mono)
        samples = (
            mono.horizontalAdvance("0" * 19),
            metrics.horizontalAdvance("2024-12-31 23:59:59"),
            metrics.horizontalAdvance("Training (simulated)"),
            metrics.horizontalAdvance("training.till.00"),
            metrics.horizontalAdvance("0" * 36),  # a request id (a UUID)
        )
        padding = 3 * metrics.averageCharWidth()
        for column, sample in enumerate(samples):
            title = header.fontMetrics().horizontalAdvance(COLUMNS[column])
            header.resizeSection(column, max(sample, title) + padding)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(metrics.height() + 8)

    # --- public API ----------------------------------------------------------------

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        """Show ``entries`` (newest first), as the window read them from the history."""
        self._loaded = True
        self.model.set_entries(entries)
        self._update_count()

    def add_entry(self, entry: HistoryEntry) -> None:
        """Put a just-generated number at the top (the store already saved it)."""
        self.model.prepend(entry)
        self._update_count()

    def request_export(self, path: Path) -> None:
        """Ask for the shown entries (all: None, or the search's matches) to be written to
        ``path`` as CSV; the window writes the file in a worker and reports back."""
        entries = self.model.shown() if self.model.searching else None
        self.exportRequested.emit(Path(path), entries)

    def show_exported(self, count: int, path: Path) -> None:
        noun = "card number" if count == 1 else "card numbers"
        self.status_label.setText(f"Saved {count} {noun} to {Path(path).name}.")

    def show_export_failed(self, sentence: str) -> None:
        self.status_label.setText(sentence)

    # --- internals -----------------------------------------------------------------

    def _on_search(self, text: str) -> None:
        self.model.set_search(text)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        if self.model.searching:
            self.count_label.setText(f"{shown} of {total} card numbers match.")
        elif total == 0:
            self.count_label.setText("No card numbers generated yet.")
        else:
            self.count_label.setText(f"{total} card number{'s' if total != 1 else ''}.")
        self.export_button.setEnabled(self._loaded and shown > 0)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export card numbers", "card-numbers.csv", "CSV files (*.csv)"
        )
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        self.request_export(Path(path))

    def _copy_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.copyRequested.emit(self.model.entry(rows[0].row()).number)
