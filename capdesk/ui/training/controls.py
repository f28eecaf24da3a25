"""Trainer's controls: make a demo customer "request" an OTP, switch scenarios.

Shown only on the training cluster. The widget just emits what the trainer chose;
the window forwards it to the embedded simulator. Filling or syncing the scenario
list from code (``set_scenario``) does not emit, so only the trainer's own choice
changes the simulator.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from capdesk.ui.common.tab_order import set_tab_order

# Every scenario of the training simulator (``capdesk.simulator.scenarios.SCENARIOS``,
# not imported: the first screen does not load the simulator), as trainers name them.
SCENARIOS = (
    ("Normal", "normal"),
    ("Slow network", "slow_network"),
    ("Outage", "outage"),
    ("No answer (call hangs)", "no_response"),
    ("Connection cut off", "connection_reset"),
    ("Too many requests", "rate_limit"),
    ("Card generation switched off", "card_generation_disabled"),
    ("Garbled answers", "malformed_body"),
)


class TrainingControls(QWidget):
    """ "Simulate: customer requests an OTP" and the scenario combo."""

    simulateOtpRequested = Signal()
    scenarioChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.simulate_button = QPushButton("Simula&te: customer requests an OTP")
        self.simulate_button.setObjectName("simulateOtpRequestButton")
        self.simulate_button.setAccessibleName("Simulate: customer requests an OTP")
        self.simulate_button.setToolTip(
            "Sends a new OTP to the demo customer in the form, as if they asked for one."
        )

        label = QLabel("Sc&enario")
        self.scenario = QComboBox()
        self.scenario.setObjectName("scenarioSelector")
        self.scenario.setAccessibleName("Training scenario")
        for text, name in SCENARIOS:
            self.scenario.addItem(text, name)
        label.setBuddy(self.scenario)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.simulate_button)
        layout.addSpacing(16)
        layout.addWidget(label)
        layout.addWidget(self.scenario)
        layout.addStretch(1)
        set_tab_order([self.simulate_button, self.scenario])

        self.simulate_button.clicked.connect(self.simulateOtpRequested)
        self.scenario.activated.connect(self._on_activated)
        self._current = self.scenario.currentData()

    def set_scenario(self, name: str) -> None:
        """Show ``name`` as the current scenario without emitting."""
        index = self.scenario.findData(name)
        if index >= 0:
            self.scenario.setCurrentIndex(index)
            self._current = name

    def current_scenario(self) -> str:
        return self._current

    def _on_activated(self, index: int) -> None:
        name = self.scenario.itemData(index)
        if name != self._current:
            self._current = name
            self.scenarioChosen.emit(name)
