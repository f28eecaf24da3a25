"""The error taxonomy: every failure becomes one sentence for the counter plus details.

Counter staff read :attr:`CapdeskError.sentence` (what happened, what to do), often
not in their first language: so a sentence is plain words only, and never names a
configuration key, a protocol, an exception or the cluster's label. Those belong to
support, who read :attr:`CapdeskError.details` (HTTP status, Capillary code, message,
``X-Cap-Requestid``, cluster, technical note, and the administrator's to-do in
``help``). Neither ever contains a secret: the server's message is kept, but
credentials, tokens and OTP codes never enter an exception.

Responses are classified by the body's Capillary codes first and the HTTP status
second (the docs do not pin which status goes with which body), see
:func:`capdesk.api.responses.classify`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from capdesk.api.text import clean_server_text_or_none


@dataclass(frozen=True)
class ErrorDetails:
    """What support needs to trace a failure. Every field is optional."""

    http_status: int | None = None
    capillary_code: int | None = None
    message: str | None = None
    request_id: str | None = None
    cluster: str | None = None
    technical: str | None = None  # e.g. "ConnectTimeout" or "certificate verify failed"
    # What an administrator must change, with the exact configuration names: too
    # technical for the counter's sentence, but exactly what support reads out to them.
    help: str | None = None

    def __post_init__(self) -> None:
        """Clean the fields a server (or an exception about its answer) can fill.

        Details reach the terminal, the log, the window and the clipboard; a header,
        a Capillary message or a ``BadStatusLine`` text may carry escape sequences,
        bidi overrides or a megabyte of text, so they are cleaned here, whoever built
        the details. (``cluster`` and ``help`` are capdesk's own words.)
        """
        for name, limit in (("message", 300), ("request_id", 200), ("technical", 300)):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, clean_server_text_or_none(value, limit))

    def lines(self) -> list[str]:
        """Human-readable ``Label: value`` lines, only for the fields that are known."""
        pairs = [
            ("Cluster", self.cluster),
            ("HTTP status", self.http_status),
            ("Capillary code", self.capillary_code),
            ("Message", self.message),
            ("Request id", self.request_id),
            ("Technical", self.technical),
            ("For the administrator", self.help),
        ]
        return [f"{label}: {value}" for label, value in pairs if value not in (None, "")]

    def as_text(self) -> str:
        return "\n".join(self.lines())


class CapdeskError(Exception):
    """Base of every error capdesk shows. ``str(error)`` is the staff sentence."""

    kind: ClassVar[str] = "error"
    exit_code: ClassVar[int] = 5
    default_sentence: ClassVar[str] = "Something went wrong. Try again, or call support."
    # The administrator's to-do that goes with this kind of error (ErrorDetails.help),
    # kept out of the sentence so the counter only reads what they can act on.
    default_help: ClassVar[str | None] = None

    def __init__(self, sentence: str | None = None, details: ErrorDetails | None = None) -> None:
        self.sentence = sentence or self.default_sentence
        details = details or ErrorDetails()
        if self.default_help and not details.help:
            details = replace(details, help=self.default_help)
        self.details = details
        super().__init__(self.sentence)

    def for_support(self) -> str:
        """The sentence and details as one text block for "Copy details"."""
        detail_text = self.details.as_text()
        return f"{self.sentence}\n{detail_text}" if detail_text else self.sentence


# --- input and usage (exit 2) -------------------------------------------------------


class InvalidInput(CapdeskError):
    """Input rejected before any call (a bad identifier, a bad URL)."""

    kind = "invalid_input"
    exit_code = 2
    default_sentence = "That input isn't valid. Check it and try again."


class InvalidIdentifier(InvalidInput):
    kind = "invalid_identifier"
    default_sentence = "That customer identifier isn't valid. Check it and try again."


class InvalidRequest(CapdeskError):
    """Capillary rejected the identifier type, source or account (8013/8011/8012/8045)."""

    kind = "invalid_request"
    exit_code = 2
    default_sentence = (
        "Capillary rejected the request. Check the identifier type, source and account id."
    )


class WrongMethod(InvalidRequest):
    """HTTP 405: the cluster wants another method (e.g. card numbers by POST, not GET)."""

    kind = "wrong_method"
    default_sentence = (
        "Capillary does not accept card-number requests sent this way. Ask your "
        "administrator to change the card-number method in capdesk's settings."
    )


# --- nothing found (exit 4) ---------------------------------------------------------


class NoValidOtp(CapdeskError):
    kind = "no_valid_otp"
    exit_code = 4
    default_sentence = "No valid OTP for this customer. Ask them to request a new one."


class CustomerNotFound(CapdeskError):
    kind = "customer_not_found"
    exit_code = 4
    default_sentence = "No customer found with that identifier. Check it with the customer."


# --- authentication and permission (exit 3) -----------------------------------------


class AuthenticationFailed(CapdeskError):
    kind = "authentication_failed"
    exit_code = 3
    default_sentence = "The till credentials were rejected. Sign in again."


class NotSignedIn(CapdeskError):
    kind = "not_signed_in"
    exit_code = 3
    default_sentence = "No till is signed in for this cluster. Sign in first."


class KeyringUnavailable(CapdeskError):
    """No OS credential store: we refuse to fall back to a plaintext file."""

    kind = "keyring_unavailable"
    exit_code = 3
    default_sentence = (
        "This computer has no secure password store, so capdesk cannot keep the till "
        "credentials. Ask IT to enable the system keyring."
    )


class KeyringIsLocked(KeyringUnavailable):
    """The OS credential store exists but is locked (keyring's ``KeyringLocked``: e.g.
    the Secret Service collection's unlock prompt was dismissed). Unlike a missing one,
    the person at the counter can fix it themselves."""

    kind = "keyring_locked"
    default_sentence = (
        "The password store on this computer is locked, so capdesk can't read the till "
        "credentials. Unlock it when the computer asks, then try again."
    )


class NotPermitted(CapdeskError):
    kind = "not_permitted"
    exit_code = 3
    default_sentence = (
        "This till is not allowed to do that. Ask your Capillary administrator to enable it."
    )


class CardGenerationNotEnabled(NotPermitted):
    """The org or this till's source account may not generate card numbers (yet).

    The sentence says who can fix it; the exact InTouch settings are the
    administrator's business, so they travel in ``details.help``.
    """

    kind = "card_generation_not_enabled"
    default_sentence = (
        "Card numbers can't be generated for this till yet. Ask your Capillary "
        "administrator to switch on card-number generation for it."
    )
    default_help = (
        "In InTouch > Settings > Miscellaneous > Registration Configuration, enable "
        "CONF_CARD_NUMBER_GENERATION_ENABLED and CONF_CLIENT_V2_API_ENABLED, and add this "
        "till's source account to SOURCE_ACCOUNTS_EXTERNALID_ENABLED."
    )


# --- the server or the network (exit 5) ---------------------------------------------


class RateLimited(CapdeskError):
    """Too many requests: Capillary's daily OTP limit for one customer (the default
    sentence), or a gateway shedding load, which classify() words as "wait N seconds".
    ``retry_after`` is the server's wish in seconds, when it said one."""

    kind = "rate_limited"
    exit_code = 5
    default_sentence = "Too many OTPs for this customer today. Try again tomorrow or call support."

    def __init__(
        self,
        sentence: str | None = None,
        details: ErrorDetails | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(sentence, details)
        self.retry_after = retry_after


class ServerBusy(CapdeskError):
    kind = "server_busy"
    exit_code = 5
    default_sentence = "Capillary is busy right now. Wait a moment and try again."


class ServerError(CapdeskError):
    kind = "server_error"
    exit_code = 5
    default_sentence = (
        "Capillary had a problem answering. Try again; if it keeps happening, call support."
    )


class NetworkError(CapdeskError):
    """Timeout, DNS, refused, reset or TLS failure. ``reason`` says which."""

    kind = "network"
    exit_code = 5
    default_sentence = "Can't reach Capillary. Check the network and try again."

    def __init__(
        self,
        sentence: str | None = None,
        details: ErrorDetails | None = None,
        reason: str = "other",
    ) -> None:
        super().__init__(sentence, details)
        self.reason = reason  # "timeout" | "dns" | "refused" | "reset" | "tls" | "other"


# --- unreadable (exit 6) -----------------------------------------------------------


class UnreadableResponse(CapdeskError):
    kind = "unreadable_response"
    exit_code = 6
    default_sentence = (
        "Capillary's answer could not be read. Try again; if it keeps happening, call support."
    )


class NotCapillary(UnreadableResponse):
    """The address answered, but not as Capillary does (a captive portal, a proxy's page,
    another web server, a redirect): nothing proves who checked the credentials.

    Raised by the sign-in checks (:mod:`capdesk.api.proof`), so that a till is never
    reported as signed in, nor stored, on the word of a server that is not Capillary.
    Exit code 6 like any answer capdesk cannot use.
    """

    kind = "not_capillary"
    default_sentence = (
        "This address does not answer like Capillary. Check the cluster address, or ask IT."
    )
