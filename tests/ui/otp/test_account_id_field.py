"""The account id field: filled from what the cluster knows, staff's own id kept."""

from __future__ import annotations

from capdesk.ui.otp.account_id_field import AccountIdField


def test_follows_the_source_but_keeps_what_staff_typed_for_it(qtbot):
    field = AccountIdField()
    qtbot.addWidget(field)
    field.set_known({"WECHAT": "WX-1", "FACEBOOK": "FB-1"}, "WECHAT")
    assert field.text == "WX-1"
    field.line_edit.clear()
    with qtbot.waitSignal(field.edited, timeout=1000):
        qtbot.keyClicks(field.line_edit, "WX-OTHER")
    field.follow("WECHAT")  # the same source again: staff's id stays
    assert field.text == "WX-OTHER"
    field.follow("FACEBOOK")  # another source: its known id
    assert field.text == "FB-1"
    field.follow("MARTJACK")  # none known
    assert field.text == ""


def test_says_when_the_id_is_missing_and_forgets_it_for_the_next_customer(qtbot):
    field = AccountIdField()
    qtbot.addWidget(field)
    field.show()
    field.set_known({}, "WECHAT")
    field.say_needed("Type the WeChat account id.")
    hint = field.findChild(type(field._hint), "accountIdHint")
    assert hint.isVisible() and hint.text() == "Type the WeChat account id."
    qtbot.keyClicks(field.line_edit, "W")  # typing hides the sentence
    assert not hint.isVisible()
    field.reset("WECHAT")
    assert field.text == ""
