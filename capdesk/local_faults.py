"""What goes wrong on the counter PC itself, as one sentence each for the window.

A broken profile must not end the window with a traceback: an OTP look-up needs
neither the history nor the log, so the window opens anyway and a notice says what
is missing and what to do. The sentences live here (not in the widgets) so that the
staff-sentence checker sees them, and the command line could use them too. No Qt.

Card numbers are the exception to "carry on": a number is consumed on the server the
moment it is generated, and the rule is that it is saved durably before anyone sees
it. So when the history cannot be opened or read, card generation is *refused*
before any call is made (nothing is consumed), rather than handing out numbers kept
only in memory that a crash would lose.
"""

from __future__ import annotations

from pathlib import Path

from capdesk.api.errors import CapdeskError, ErrorDetails
from capdesk.paths import AppPaths
from capdesk.store.history import HistoryError

__all__ = [
    "CardsNeedHistory",
    "FolderUnavailable",
    "HistoryUnusable",
    "LogUnavailable",
    "data_folder_unavailable",
    "folder_faults",
    "history_unusable",
    "log_unavailable",
]


def _technical(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


class HistoryUnusable(HistoryError):
    """The history file cannot be opened, or its rows cannot be read (a damaged page,
    a row with a bad date): it is not shown, and card numbers are not generated."""

    kind = "history_unusable"
    default_sentence = (
        "The card-number history can't be read, so it is not shown and no card numbers "
        "can be generated. Call support; OTP look-ups still work."
    )


class CardsNeedHistory(HistoryError):
    """Generate was pressed while the history is unusable: refused before any call."""

    kind = "cards_need_history"
    default_sentence = (
        "Card numbers can't be generated while the card-number history can't be saved. "
        "Call support; OTP look-ups still work."
    )


class FolderUnavailable(CapdeskError):
    """One of capdesk's own folders (data, settings, log) cannot be created."""

    kind = "folder_unavailable"
    exit_code = 5
    default_sentence = (
        "capdesk can't create its data folder, so card numbers can't be generated or "
        "saved. Call support; OTP look-ups still work."
    )


class LogUnavailable(CapdeskError):
    """The log file cannot be written: nothing else stops, but support loses the trail."""

    kind = "log_unavailable"
    exit_code = 5
    default_sentence = (
        "capdesk can't write its log file, so support will see less if something goes "
        "wrong. Call support; OTP look-ups and card numbers still work."
    )


def data_folder_unavailable(error: BaseException) -> FolderUnavailable:
    """The history's problem when its folder cannot be created (one notice, not two)."""
    return FolderUnavailable(details=ErrorDetails(technical=_technical(error)))


def folder_faults(paths: AppPaths, failed: list[tuple[Path, OSError]]) -> list[CapdeskError]:
    """The notices for folders :meth:`AppPaths.create_folders` could not create, but
    for the data folder (the history's problem: :func:`data_folder_unavailable`) and the
    log folder (the log reports its own trouble, also later in the day)."""
    notices: list[CapdeskError] = []
    for folder, error in failed:
        if folder == paths.config_dir:
            notices.append(
                FolderUnavailable(
                    "capdesk can't create its settings folder, so changed settings are not "
                    "kept. Call support; OTP look-ups still work.",
                    ErrorDetails(technical=_technical(error)),
                )
            )
    return notices


def history_unusable(error: BaseException) -> HistoryUnusable:
    """The notice for a history that failed to open or to read (details kept)."""
    details = error.details if isinstance(error, CapdeskError) else None
    details = details or ErrorDetails(technical=_technical(error))
    if (details.technical or "").startswith("history schema"):  # see CardHistory._migrate
        return HistoryUnusable(
            "The card-number history was written by a newer capdesk, so it is not shown "
            "and no card numbers can be generated. Update capdesk, or call support; OTP "
            "look-ups still work.",
            details,
        )
    return HistoryUnusable(details=details)


def log_unavailable(error: BaseException) -> LogUnavailable:
    return LogUnavailable(details=ErrorDetails(technical=_technical(error)))
