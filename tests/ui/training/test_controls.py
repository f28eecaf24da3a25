"""Training controls and banner: the trainer's choices are emitted, syncing is silent."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from capdesk.simulator.scenarios import SCENARIOS as SIMULATOR_SCENARIOS
from capdesk.ui.training.banner import TEXT, TrainingBanner
from capdesk.ui.training.controls import SCENARIOS, TrainingControls, chosen_sentence


def _pick(qtbot, controls: TrainingControls, text: str) -> None:
    combo = controls.scenario
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=1000)
    index = view.model().index(combo.findText(text), 0)
    where = view.visualRect(index).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=1000)


def test_simulate_button_emits(qtbot):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.show()
    assert controls.simulate_button.objectName() == "simulateOtpRequestButton"
    with qtbot.waitSignal(controls.simulateOtpRequested, timeout=1000):
        qtbot.mouseClick(controls.simulate_button, Qt.MouseButton.LeftButton)


def test_scenarios_listed_and_chosen_by_name(qtbot):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.show()
    combo = controls.scenario
    # Every scenario the simulator has, so a trainer can teach each (the hung call too).
    assert [combo.itemData(i) for i in range(combo.count())] == list(SIMULATOR_SCENARIOS)
    assert "No answer (call hangs)" in [combo.itemText(i) for i in range(combo.count())]
    chosen = []
    controls.scenarioChosen.connect(chosen.append)
    _pick(qtbot, controls, "Card generation switched off")
    _pick(qtbot, controls, "Card generation switched off")  # same again: nothing new
    _pick(qtbot, controls, "Slow network")
    assert chosen == ["card_generation_disabled", "slow_network"]


def test_set_scenario_shows_it_without_emitting(qtbot):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    chosen = []
    controls.scenarioChosen.connect(chosen.append)
    controls.set_scenario("outage")
    assert controls.scenario.currentText() == "Outage"
    assert controls.current_scenario() == "outage"
    controls.set_scenario("no_such_scenario")
    assert controls.current_scenario() == "outage"
    assert chosen == []


def test_banner_says_it_in_words_and_is_strongly_coloured(qtbot):
    banner = TrainingBanner()
    qtbot.addWidget(banner)
    banner.resize(700, 48)
    banner.show()
    assert banner.label.text() == TEXT == "Training — simulated data. No real customers."
    image = banner.grab().toImage()
    centre = QColor(image.pixel(image.width() // 2, 3))
    assert centre.name() == "#ffc400"
    # Hazard stripes at the edge: both dark and amber pixels along one row.
    edge = {QColor(image.pixel(x, image.height() // 2)).name() for x in range(0, 40)}
    assert "#141414" in edge and "#ffc400" in edge


def test_each_scenario_has_one_label_and_one_sentence():
    # One table holds what staff read about a scenario: the list entry and the status
    # line once it is chosen. Each is its own, so no two scenarios can be mistaken.
    assert [scenario.name for scenario in SCENARIOS] == list(SIMULATOR_SCENARIOS)
    assert len({scenario.label for scenario in SCENARIOS}) == len(SCENARIOS)
    assert len({scenario.chosen for scenario in SCENARIOS}) == len(SCENARIOS)
    for scenario in SCENARIOS:
        assert scenario.chosen.startswith("Training: ") and scenario.chosen.endswith(".")
        assert chosen_sentence(scenario.name) == scenario.chosen
    assert chosen_sentence("no_response") == (
        "Training: Capillary now never answers. Watch the time waited, then press Cancel or Esc."
    )


def test_a_scenario_the_table_does_not_know_still_gets_a_sentence():
    assert chosen_sentence("power_cut") == "Training scenario: power_cut."
