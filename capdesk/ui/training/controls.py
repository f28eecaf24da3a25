"""Trainer's controls: make a demo customer "request" an OTP, switch scenarios.

Shown only on the training cluster. The widget just emits what the trainer chose;
the window forwards it to the embedded simulator. Filling or syncing the scenario
list from code (``set_scenario``) does not emit, so only the trainer's own choice
changes the simulator. ``SCENARIOS`` is the one home of what staff read about a
scenario: its name in the list and the sentence the window shows once it is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from capdesk.ui.common.tab_order import set_tab_order


@dataclass(frozen=True)
class ScenarioText:
    """How staff see one scenario of the training simulator."""

    name: str  # the simulator's name for it
    label: str  # its entry in the trainer's list
    chosen: str  # the status line once the trainer picks it


# Every scenario of the training simulator (``capdesk.simulator.scenarios.SCENARIOS``,
# not imported: the first screen does not load the simulator), as trainers name them.
SCENARIOS = (
    ScenarioText("normal", "Normal", "Training: everything works normally again."),
    ScenarioText(
        "slow_network",
        "Slow network",
        "Training: the network is now slow. Answers take a few seconds.",
    ),
    ScenarioText(
        "outage",
        "Outage",
        "Training: Capillary is now down. Every call fails until you pick Normal.",
    ),
    ScenarioText(
        "no_response",
        "No answer (call hangs)",
        "Training: Capillary now never answers. Watch the time waited, then press Cancel or Esc.",
    ),
    ScenarioText(
        "connection_reset",
        "Connection cut off",
        "Training: the connection is now cut off on every call.",
    ),
    ScenarioText(
        "rate_limit",
        "Too many requests",
        "Training: Capillary now refuses every call as too many requests.",
    ),
    ScenarioText(
        "card_generation_disabled",
        "Card generation switched off",
        "Training: card number generation is now switched off.",
    ),
    ScenarioText(
        "malformed_body",
        "Garbled answers",
        "Training: Capillary's answers now arrive garbled.",
    ),
)
_BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def chosen_sentence(name: str) -> str:
    """What the status line says once scenario ``name`` is chosen.

    A name this table does not know (a newer simulator) still gets a plain sentence.
    """
    scenario = _BY_NAME.get(name)
    return scenario.chosen if scenario is not None else f"Training scenario: {name}."


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
        for scenario in SCENARIOS:
            self.scenario.addItem(scenario.label, scenario.name)
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
        self._current: str = self.scenario.currentData()

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
