"""The settings the Settings dialog edits: their order, groups, labels and hints.

A table, so adding a setting to the dialog is one row here (plus its widget), and the
words staff read stay together where they are easy to review.
"""

from __future__ import annotations

LOCKED_TOOLTIP = "Managed by your IT department."
# The settings this dialog edits, in the order of the form (and of settingsChanged).
EDITABLE: tuple[str, ...] = (
    "default_country",
    "clipboard_timeout",
    "card_method",
    "connect_timeout",
    "read_timeout",
    "request_deadline",
    "external_id_param",
)
COUNTER = "Counter"
CONNECTION = "Connection (for administrators)"
# name: (group, label with mnemonic, accessible name, hint under the field)
ROWS: dict[str, tuple[str, str, str, str]] = {
    "default_country": (
        COUNTER,
        "Default &country for mobile numbers:",
        "Default country for mobile numbers",
        "Used when a mobile number is typed without a + and country code. Type to search.",
    ),
    "clipboard_timeout": (
        COUNTER,
        "C&lear copied codes after:",
        "Clear copied codes after, in seconds; 0 means never",
        "0 means never. The clipboard is only cleared if it still holds what capdesk "
        "copied, so nothing you copied since is lost.",
    ),
    "card_method": (
        CONNECTION,
        "Card-number &method:",
        "Card-number method",
        "Ask Capillary support which one your cluster uses.",
    ),
    "connect_timeout": (
        CONNECTION,
        "Co&nnection timeout:",
        "Connection timeout in seconds",
        "How long to wait to reach Capillary before saying it can't be reached.",
    ),
    "read_timeout": (
        CONNECTION,
        "&Answer timeout:",
        "Answer timeout in seconds",
        "How long to wait for Capillary's answer once connected.",
    ),
    "request_deadline": (
        CONNECTION,
        "&Time limit per request:",
        "Time limit per request in seconds",
        "The longest a whole request may take, retries included, before staff are told.",
    ),
    "external_id_param": (
        CONNECTION,
        "&External id parameter (advanced):",
        "External id parameter name",
        "Only change this if Capillary support tells you to.",
    ),
}


def camel(name: str) -> str:
    """``"read_timeout"`` → ``"readTimeout"``: the Qt object name of a setting's field."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
