"""An AT-SPI client that uses the capdesk window the way a screen-reader user does.

Run by Debian's ``/usr/bin/python3`` (pyatspi comes from the ``python3-pyatspi``
package, not from our uv venv) on the same D-Bus session and X display as the app.
It finds controls by role and accessible name, types the demo mobile number, presses
"Simulate: customer requests an OTP", "Fetch OTP" and "Generate card number", and
prints one JSON object: what a screen reader would say for each value label (name,
description, text, labelled-by), the focusable controls' names, and the announcements
the app sent.

The OTP code is a secret even on the training cluster, so it never leaves this
process: for the code label the JSON carries its *shape* (each character → ``#``)
and whether the spoken name is the code just announced. (Qt exposes no Text
interface on labels: what a reader says for one is its accessible name.)

Exit status: 0 with JSON on stdout; 2 with ``{"error": ...}`` when a step timed out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

import pyatspi
from gi.repository import GLib

DEMO_MOBILE = "919876543210"
CODE_RE = re.compile(r"^[0-9A-Z]{3}(?: [0-9A-Z]{3,4})+$")
ACTIONABLE_ROLES = frozenset(
    {
        pyatspi.ROLE_PUSH_BUTTON,
        pyatspi.ROLE_TOGGLE_BUTTON,
        pyatspi.ROLE_CHECK_BOX,
        pyatspi.ROLE_RADIO_BUTTON,
        pyatspi.ROLE_COMBO_BOX,
        pyatspi.ROLE_TEXT,
        pyatspi.ROLE_SPIN_BUTTON,
        pyatspi.ROLE_SLIDER,
    }
)


class StepFailed(Exception):
    """A step did not reach its expected state before its deadline."""


class Client:
    def __init__(self, app_name: str, timeout: float) -> None:
        self.app_name = app_name
        self.timeout = timeout
        self.app = None
        self.steps: list[str] = []
        self.announcements: list[dict] = []
        self._code_texts: set[str] = set()  # to mask the code in announcements

    # --- event pumping ------------------------------------------------------------

    def pump(self, seconds: float = 0.05) -> None:
        """Let queued AT-SPI events (announcements) reach our listener."""
        context = GLib.MainContext.default()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            while context.pending():
                context.iteration(False)
            time.sleep(0.01)

    def wait_for(self, what: str, predicate, timeout: float | None = None):
        """Poll ``predicate`` until it returns something truthy; StepFailed on timeout."""
        deadline = time.monotonic() + (timeout or self.timeout)
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = predicate()
            except Exception as error:  # the tree changes under us while the app works
                last_error = error
                value = None
            if value:
                return value
            self.pump(0.1)
        raise StepFailed(
            f"timed out waiting for {what}" + (f" ({last_error!r})" if last_error else "")
        )

    def on_announcement(self, event) -> None:
        text = str(event.any_data) if event.any_data is not None else ""
        politeness = getattr(event, "detail1", None)
        self.announcements.append({"text": text, "politeness": politeness})

    # --- finding things -----------------------------------------------------------

    def find_app(self):
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            if app is not None and app.name == self.app_name:
                for j in range(app.childCount):
                    frame = app.getChildAtIndex(j)
                    if frame is not None and frame.getRole() == pyatspi.ROLE_FRAME:
                        return app
        return None

    def walk(self, node=None):
        node = node or self.app
        stack = [node]
        while stack:
            acc = stack.pop()
            yield acc
            children = [acc.getChildAtIndex(i) for i in range(acc.childCount)]
            stack.extend(c for c in reversed(children) if c is not None)

    def find(self, role: int, name: str):
        for acc in self.walk():
            if acc.getRole() == role and acc.name == name:
                return acc
        return None

    def by_id(self, accessible_id: str):
        """A value label by its stable accessible id (``setAccessibleIdentifier``)."""
        for acc in self.walk():
            if acc.get_accessible_id() == accessible_id:
                return acc
        return None

    # --- what a screen reader gets ------------------------------------------------

    @staticmethod
    def text_of(acc) -> str | None:
        try:
            return acc.queryText().getText(0, -1)
        except NotImplementedError:
            return None

    @staticmethod
    def showing(acc) -> bool:
        return acc.getState().contains(pyatspi.STATE_SHOWING)

    @staticmethod
    def labelled_by(acc) -> list[str]:
        names = []
        for relation in acc.getRelationSet():
            if relation.getRelationType() == pyatspi.RELATION_LABELLED_BY:
                for i in range(relation.getNTargets()):
                    names.append(relation.getTarget(i).name)
        return names

    def describe(self, acc) -> dict:
        return {
            "role": acc.getRoleName(),
            "name": acc.name,
            "description": acc.description,
            "text": self.text_of(acc),
            "labelled_by": self.labelled_by(acc),
            "showing": self.showing(acc),
            "focusable": acc.getState().contains(pyatspi.STATE_FOCUSABLE),
        }

    # --- acting -------------------------------------------------------------------

    @staticmethod
    def press(acc) -> None:
        action = acc.queryAction()
        names = [action.getName(i) for i in range(action.nActions)]
        index = names.index("Press") if "Press" in names else 0
        action.doAction(index)

    def type_into(self, acc, text: str) -> str:
        """Click into the field and type on the keyboard, as a person would.

        The registry synthesises the click and key presses through XTest; Qt
        activates its window on the click (there is no window manager here). Should
        the digits not arrive, the text goes in through the field's EditableText
        interface instead (what a reader's "set text" does). Returns the method used.
        """
        box = acc.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        pyatspi.Registry.generateMouseEvent(
            box.x + min(box.width // 3, 40), box.y + box.height // 2, "b1c"
        )
        try:
            self.wait_for(
                "the identifier field to take focus",
                lambda: acc.getState().contains(pyatspi.STATE_FOCUSED),
                timeout=3,
            )
            for char in text:
                pyatspi.Registry.generateKeyboardEvent(ord(char), None, pyatspi.KEY_SYM)
            self.wait_for(
                "typed digits",
                lambda: re.sub(r"\D", "", self.text_of(acc) or "") == text,
                timeout=3,
            )
            return "keyboard"
        except StepFailed:
            acc.queryEditableText().setTextContents(text)
            self.wait_for(
                "the identifier text",
                lambda: re.sub(r"\D", "", self.text_of(acc) or "") == text,
                timeout=3,
            )
            return "editable-text"

    # --- the flow -----------------------------------------------------------------

    def run(self) -> dict:
        pyatspi.Registry.registerEventListener(self.on_announcement, "object:announcement")
        self.app = self.wait_for("the capdesk window on the AT-SPI bus", self.find_app)
        out: dict = {"app": self.app.name}
        self.steps.append("window found")

        field = self.wait_for(
            "the identifier field",
            lambda: self.find(pyatspi.ROLE_TEXT, "Customer identifier"),
        )
        out["typed_with"] = self.type_into(field, DEMO_MOBILE)
        out["identifier_field"] = self.describe(field)
        self.steps.append("typed the demo mobile")

        status = self.by_id("statusMessage")
        simulate = self.find(pyatspi.ROLE_PUSH_BUTTON, "Simulate: customer requests an OTP")
        if simulate is None:
            raise StepFailed("no push button named 'Simulate: customer requests an OTP'")
        self.press(simulate)
        self.wait_for(
            "the simulated OTP request", lambda: "requested an OTP" in (status.name or "")
        )
        out["status_after_simulate"] = self.describe(status)
        self.steps.append("pressed Simulate")

        code = self.by_id("otpCode")
        out["otp_code_before"] = self.describe(code)
        fetch = self.find(pyatspi.ROLE_PUSH_BUTTON, "Fetch OTP")
        if fetch is None:
            raise StepFailed("no push button named 'Fetch OTP'")
        self.press(fetch)
        self.wait_for(
            "the OTP code to be heard",
            lambda: self.showing(code) and CODE_RE.match(code.name or ""),
        )
        self.wait_for("the fetch to finish", lambda: "OTP found" in (status.name or ""))
        self.steps.append("pressed Fetch OTP")
        self.pump(0.3)

        heard = code.name
        bare = heard.replace(" ", "")
        self._code_texts = {heard, bare}
        spelled = " ".join(bare)
        code_info = self.describe(code)
        out["otp_code"] = {
            **code_info,
            "name": _shape(heard),
            "text": self._mask(code_info["text"]),
            "description": self._mask(code.description),
            "name_is_code": bool(CODE_RE.match(heard)),
            # The announcement is built from the fetched code, the label from its
            # grouping: the same characters in both mean the label shows *this* OTP.
            "announced_same_code": any(f"OTP {spelled}," in a["text"] for a in self.announcements),
        }
        out["otp_countdown"] = self.describe(self.by_id("otpCountdown"))
        out["otp_valid_until"] = self.describe(self.by_id("otpValidUntil"))
        out["otp_customer"] = self.describe(self.by_id("otpCustomer"))
        progress = self.find(pyatspi.ROLE_PROGRESS_BAR, "Time left")
        out["otp_progress"] = {
            **self.describe(progress),
            "value": progress.queryValue().currentValue if progress else None,
        }
        out["status_after_fetch"] = self.describe(status)

        card = self.by_id("cardNumber")
        out["card_number_before"] = self.describe(card)
        generate = self.find(pyatspi.ROLE_PUSH_BUTTON, "Generate card number")
        if generate is None:
            raise StepFailed("no push button named 'Generate card number'")
        self.press(generate)
        self.wait_for("a card number", lambda: (card.name or "").isdigit())
        self.wait_for("the batch to finish", lambda: "Generated" in (status.name or ""))
        self.steps.append("pressed Generate card number")
        out["card_number"] = self.describe(card)
        out["status_after_card"] = self.describe(status)

        out["controls"] = self.controls()
        self.pump(0.3)
        out["announcements"] = [{**a, "text": self._mask(a["text"])} for a in self.announcements]
        return out

    def controls(self) -> list[dict]:
        """Every control on screen that takes focus or can be pressed, with its name."""
        found = []
        for acc in self.walk():
            state = acc.getState()
            role = acc.getRole()
            if not state.contains(pyatspi.STATE_SHOWING) or role == pyatspi.ROLE_LIST_ITEM:
                continue  # hidden, or an entry of a closed combo box's popup list
            if state.contains(pyatspi.STATE_FOCUSABLE) or role in ACTIONABLE_ROLES:
                found.append(
                    {
                        "role": acc.getRoleName(),
                        "name": self._mask(acc.name),
                        "labelled_by": self.labelled_by(acc),
                        "focusable": state.contains(pyatspi.STATE_FOCUSABLE),
                        "id": acc.get_accessible_id(),
                    }
                )
        return found

    def _mask(self, text: str | None) -> str | None:
        """Replace the OTP code (grouped, bare or spelled out) by its shape."""
        if not text:
            return text
        for code in self._code_texts:
            if not code:
                continue
            spelled = " ".join(code.replace(" ", ""))
            for form in (spelled, code):
                text = text.replace(form, _shape(form))
        return text


def _shape(text: str | None) -> str | None:
    """``538 AD87`` → ``### ####``: the code's form without the code."""
    if text is None:
        return None
    return re.sub(r"[0-9A-Z]", "#", text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app-name", default="capdesk")
    parser.add_argument("--timeout", type=float, default=15.0)
    args = parser.parse_args()
    client = Client(args.app_name, args.timeout)
    try:
        result = client.run()
    except StepFailed as error:
        json.dump({"error": str(error), "steps": client.steps}, sys.stdout)
        return 2
    result["steps"] = client.steps
    json.dump(result, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
