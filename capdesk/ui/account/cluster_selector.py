"""Choose the Capillary cluster and see/change who is signed in to it.

Training comes first (it is the safe default), then the presets and any clusters
an administrator added, then "Custom URL…". Only a choice the user makes emits
``clusterChosen``: filling the list from settings does not, so the window never
reacts to its own updates. A custom URL is checked with
:func:`capdesk.api.clusters.custom_cluster` before anything is emitted; a bad URL
is explained and asked again, and cancelling puts the previous choice back.
When IT manages the machine (kiosk/policy) the choice is locked and says why.
Who is signed in is told by the window once known (it is read from the password
store in a worker); until then the line claims nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from capdesk.api.clusters import Cluster, custom_cluster
from capdesk.api.errors import InvalidInput
from capdesk.ui.common.plain_text import plain_label, plain_tooltip
from capdesk.ui.common.tab_order import set_tab_order

CUSTOM_ITEM = "Custom URL…"
LOCKED_TIP = "Your IT department manages this setting on this computer."
_ASK = "Base URL of the Capillary server, for example https://eu.api.capillarytech.com"


class ClusterSelector(QWidget):
    """Cluster combo (``clusterSelector``), "Signed in as …", Sign in / Sign out."""

    clusterChosen = Signal(object)  # a Cluster
    signInRequested = Signal()
    signOutRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clusters: list[Cluster] = []
        self._custom: list[Cluster] = []  # custom URLs entered this session stay listed
        self._current_index = -1
        self._signed_in: str | None = None
        self._locked = False

        label = QLabel("Cl&uster")
        self.combo = QComboBox()
        self.combo.setObjectName("clusterSelector")
        self.combo.setAccessibleName("Cluster")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        label.setBuddy(self.combo)

        # Value label: read as its own text by screen readers (no accessibleName).
        self.status = plain_label(QLabel("Not signed in"))
        self.status.setObjectName("signedInAs")
        self.status.setAccessibleIdentifier("signedInAs")

        self.sign_in_button = QPushButton("&Sign in…")
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.setAccessibleName("Sign in")
        self.sign_out_button = QPushButton("Sign ou&t")
        self.sign_out_button.setObjectName("signOutButton")
        self.sign_out_button.setAccessibleName("Sign out")
        self.sign_out_button.setEnabled(False)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.combo)
        layout.addSpacing(12)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.sign_in_button)
        layout.addWidget(self.sign_out_button)
        set_tab_order([self.combo, self.sign_in_button, self.sign_out_button])

        self.combo.activated.connect(self._on_activated)
        self.sign_in_button.clicked.connect(self.signInRequested)
        self.sign_out_button.clicked.connect(self.signOutRequested)

    # --- driven by the window --------------------------------------------------------

    def set_clusters(self, clusters: list[Cluster], current_key: str) -> None:
        """Fill the list (training first) and select ``current_key``; emits nothing."""
        training = [c for c in clusters if c.training]
        others = [c for c in clusters if not c.training]
        keys = {c.key for c in clusters}
        self._custom = [c for c in self._custom if c.key not in keys]
        self._clusters = training + others + self._custom
        self.combo.blockSignals(True)
        self.combo.clear()
        for cluster in self._clusters:
            self.combo.addItem(cluster.label, cluster.key)
            if cluster.base_url:  # the URL behind a preset, for support
                tip = Qt.ItemDataRole.ToolTipRole
                self.combo.setItemData(self.combo.count() - 1, plain_tooltip(cluster.base_url), tip)
        self.combo.addItem(CUSTOM_ITEM, None)
        self.combo.blockSignals(False)
        self._select(current_key)

    def set_signed_in(self, name: str | None) -> None:
        self._signed_in = name
        self.status.setText(f"Signed in as {name}" if name else "Not signed in")
        self._apply_lock()

    def set_signed_in_unknown(self) -> None:
        """While the window asks who is signed in (the password store answers in a
        worker, usually within milliseconds): claim nothing, offer no sign-out."""
        self._signed_in = None
        self.status.clear()
        self._apply_lock()

    def set_locked(self, locked: bool) -> None:
        """Kiosk/policy: the cluster and sign-out are fixed by IT."""
        self._locked = locked
        self._apply_lock()

    def current_cluster(self) -> Cluster | None:
        index = self.combo.currentIndex()
        return self._clusters[index] if 0 <= index < len(self._clusters) else None

    # --- internals ---------------------------------------------------------------------

    def _select(self, key: str) -> None:
        index = next((i for i, c in enumerate(self._clusters) if c.key == key), -1)
        self.combo.setCurrentIndex(index)
        self._current_index = index

    def _apply_lock(self) -> None:
        self.combo.setEnabled(not self._locked)
        self.sign_out_button.setEnabled(bool(self._signed_in) and not self._locked)
        tip = LOCKED_TIP if self._locked else ""
        self.combo.setToolTip(tip)
        self.sign_out_button.setToolTip(tip)

    def _on_activated(self, index: int) -> None:
        if index == len(self._clusters):  # "Custom URL…"
            cluster = self._ask_custom()
            if cluster is None:
                self.combo.setCurrentIndex(self._current_index)
                return
            previous = self._clusters[self._current_index] if self._current_index >= 0 else None
            self._add_custom(cluster)
            self._select(cluster.key)
            if cluster != previous:
                self.clusterChosen.emit(cluster)
            return
        if index == self._current_index:
            return
        self._current_index = index
        self.clusterChosen.emit(self._clusters[index])

    def _add_custom(self, cluster: Cluster) -> None:
        """List ``cluster``; a custom address typed earlier is replaced (one at a time)."""
        self._custom = [c for c in self._custom if not c.custom] + [cluster]
        for index, existing in enumerate(self._clusters):
            if existing.custom:
                self._clusters[index] = cluster
                self.combo.setItemText(index, cluster.label)
                break
        else:
            self._clusters.append(cluster)
            self.combo.insertItem(len(self._clusters) - 1, cluster.label, cluster.key)
        index = self._clusters.index(cluster)
        self.combo.setItemData(index, plain_tooltip(cluster.base_url), Qt.ItemDataRole.ToolTipRole)

    def _ask_custom(self) -> Cluster | None:
        """Ask until the URL is valid or the user cancels (then ``None``)."""
        prompt, text = _ASK, ""
        while True:
            text, ok = QInputDialog.getText(
                self, "Custom cluster", prompt, QLineEdit.EchoMode.Normal, text
            )
            if not ok:
                return None
            try:
                return custom_cluster(text.strip())
            except InvalidInput as error:
                prompt = f"{error.sentence}\n\n{_ASK}"
