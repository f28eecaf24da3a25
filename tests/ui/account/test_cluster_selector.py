"""Cluster selector: order, user choices only, custom URL re-asked until valid, lock."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from capdesk.api.clusters import PRESETS, TRAINING, Cluster
from capdesk.ui.account.cluster_selector import CUSTOM_ITEM, LOCKED_TIP, ClusterSelector

EU = PRESETS["eu"]
US = PRESETS["us"]
ADMIN = Cluster("mybrand", "MyBrand EU", "https://mybrand.example.com")


@pytest.fixture
def selector(qtbot):
    widget = ClusterSelector()
    qtbot.addWidget(widget)
    widget.set_clusters([EU, US, TRAINING, ADMIN], "eu")
    widget.show()
    return widget


def _items(widget: ClusterSelector) -> list[str]:
    return [widget.combo.itemText(i) for i in range(widget.combo.count())]


def _choose(qtbot, widget: ClusterSelector, text: str) -> None:
    """Pick an entry like a person: open the list and click the entry."""
    widget.combo.showPopup()
    view = widget.combo.view()
    qtbot.waitUntil(view.isVisible, timeout=1000)
    index = view.model().index(widget.combo.findText(text), 0)
    assert index.isValid(), text
    view.scrollTo(index)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=1000)


class ScriptedInput:
    """Stands in for Qt's modal QInputDialog.getText: returns answers in order."""

    def __init__(self, *answers: tuple[str, bool]) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, parent, title, label, echo=None, text="", *args, **kwargs):
        self.prompts.append(label)
        return self.answers.pop(0)


def test_training_first_custom_last_and_nothing_emitted_when_filled(qtbot):
    widget = ClusterSelector()
    qtbot.addWidget(widget)
    chosen = []
    widget.clusterChosen.connect(chosen.append)
    widget.set_clusters([EU, US, TRAINING, ADMIN], "us")
    assert _items(widget) == ["Training (simulated)", "EU", "US", "MyBrand EU", CUSTOM_ITEM]
    assert widget.combo.currentText() == "US"
    assert widget.current_cluster() == US
    assert chosen == []


def test_choosing_a_cluster_emits_it(qtbot, selector):
    with qtbot.waitSignal(selector.clusterChosen, timeout=1000) as signal:
        _choose(qtbot, selector, "Training (simulated)")
    assert signal.args == [TRAINING]


def test_custom_url_is_validated_and_asked_again(qtbot, selector, monkeypatch):
    asked = ScriptedInput(("ftp://nope", True), ("https://crm.example.com/", True))
    monkeypatch.setattr(QInputDialog, "getText", asked)
    with qtbot.waitSignal(selector.clusterChosen, timeout=1000) as signal:
        _choose(qtbot, selector, CUSTOM_ITEM)
    assert len(asked.prompts) == 2
    assert asked.prompts[1].startswith("That cluster address isn't valid.")
    cluster = signal.args[0]
    assert cluster.base_url == "https://crm.example.com"
    assert selector.combo.currentText() == cluster.label
    assert _items(selector)[-2:] == [cluster.label, CUSTOM_ITEM]


def test_cancelling_the_custom_url_restores_the_previous_choice(qtbot, selector, monkeypatch):
    monkeypatch.setattr(QInputDialog, "getText", ScriptedInput(("", False)))
    chosen = []
    selector.clusterChosen.connect(chosen.append)
    _choose(qtbot, selector, CUSTOM_ITEM)
    assert chosen == []
    assert selector.combo.currentText() == "EU"


def test_a_second_custom_url_replaces_the_first(qtbot, selector, monkeypatch):
    monkeypatch.setattr(
        QInputDialog,
        "getText",
        ScriptedInput(("https://one.example.com", True), ("https://two.example.com", True)),
    )
    chosen = []
    selector.clusterChosen.connect(chosen.append)
    _choose(qtbot, selector, CUSTOM_ITEM)
    _choose(qtbot, selector, CUSTOM_ITEM)
    assert [c.base_url for c in chosen] == ["https://one.example.com", "https://two.example.com"]
    assert _items(selector).count("Custom (two.example.com)") == 1
    assert "Custom (one.example.com)" not in _items(selector)
    # Refilling from settings keeps the custom cluster the user is on.
    selector.set_clusters([EU, TRAINING], chosen[-1].key)
    assert selector.combo.currentText() == "Custom (two.example.com)"


def test_signed_in_label_and_buttons(qtbot, selector):
    assert selector.status.text() == "Not signed in"
    assert not selector.sign_out_button.isEnabled()
    selector.set_signed_in("training.till")
    assert selector.status.text() == "Signed in as training.till"
    assert selector.sign_out_button.isEnabled()
    with qtbot.waitSignal(selector.signOutRequested, timeout=1000):
        qtbot.mouseClick(selector.sign_out_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(selector.signInRequested, timeout=1000):
        qtbot.mouseClick(selector.sign_in_button, Qt.MouseButton.LeftButton)


def test_while_the_sign_in_is_read_nothing_is_claimed(selector):
    """The window reads the password store in a worker after a cluster change: until it
    answers, the last cluster's till must not show, nor its sign-out."""
    selector.set_signed_in("till.of.the.last.cluster")
    selector.set_signed_in_unknown()
    assert selector.status.text() == ""
    assert not selector.sign_out_button.isEnabled()
    selector.set_signed_in("store.till")
    assert selector.status.text() == "Signed in as store.till"
    assert selector.sign_out_button.isEnabled()


def test_locked_by_policy(qtbot, selector):
    selector.set_signed_in("till.one")
    selector.set_locked(True)
    assert not selector.combo.isEnabled()
    assert not selector.sign_out_button.isEnabled()
    assert selector.combo.toolTip() == LOCKED_TIP
    assert "IT" in selector.sign_out_button.toolTip()
    selector.set_signed_in("till.two")  # still locked after a sign-in
    assert not selector.sign_out_button.isEnabled()
    selector.set_locked(False)
    assert selector.combo.isEnabled() and selector.sign_out_button.isEnabled()


def test_status_is_read_as_its_value(selector):
    assert selector.status.accessibleName() == ""
    assert selector.combo.accessibleName() == "Cluster"
    assert selector.combo.objectName() == "clusterSelector"
