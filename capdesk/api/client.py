"""The Capillary client: the calls capdesk makes, each returning a typed result.

Every method raises only :class:`CapdeskError` subclasses. Two sessions keep their
connections open between calls: one retries GETs (fetching an OTP is harmless to
repeat), the other never retries anything, because each card-number call consumes
a number and POSTs are not ours to repeat.

Secrets (the Basic token, OAuth key/secret/token, OTP codes) are registered with the
log filter and never logged by this module; only method, path, status, request id
and elapsed time are.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from capdesk.api.auth import BasicCredentials, Credentials
from capdesk.api.clusters import check_base_url
from capdesk.api.deadline import Deadline
from capdesk.api.errors import CapdeskError, InvalidInput, NoValidOtp, UnreadableResponse
from capdesk.api.identifiers import IdentifierName
from capdesk.api.models import CardNumberResult, OtpLookup, OtpResult
from capdesk.api.oauth import OAuthTokenManager
from capdesk.api.operations import Operation
from capdesk.api.proof import judge_probe
from capdesk.api.responses import classify, parse_card_number, parse_otp, unreadable
from capdesk.api.transport import DEFAULT_TIMEOUTS, RawResponse, Timeouts, make_session, send
from capdesk.api.wire import load_json, request_id_of, server_time_from
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.logs import register_secret
from capdesk.privacy import register_identifier

log = logging.getLogger(__name__)

OAUTH_HEADER = "X-CAP-API-OAUTH-TOKEN"
ATTRIBUTION_TYPE_HEADER = "X-CAP-API-ATTRIBUTION-ENTITY-TYPE"
ATTRIBUTION_CODE_HEADER = "X-CAP-API-ATTRIBUTION-ENTITY-CODE"
# An identifier no customer can have: used to prove Basic credentials without effects.
CHECK_IDENTIFIER = "capdesk-credential-check-0"
# The training cluster's "a customer requests an OTP" control (capdesk.simulator.control).
TRAINING_OTP_PATH = "/_training/otp"


def _word(value: str, what: str, max_length: int = 64) -> str:
    """A source / scope / account id: trimmed, printable, no spaces, bounded."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > max_length or not text.isprintable() or " " in text:
        raise InvalidInput(f"Choose or type a valid {what}.")
    return text


def _identifier_value(name: IdentifierName | None, value: str) -> str:
    """An identifier value as the caller normalised it: checked, never changed.

    Normalising is done once, where the value is typed. Reading a mobile number again
    here (in some default country) could turn ``15062345678`` (+1 506 234 5678) into
    ``8615062345678``, another person; so a mobile value that is not already digits
    only (E.164 without ``+``) is refused rather than interpreted.
    """
    text = _word(value, "identifier", 254)
    if name is IdentifierName.MOBILE and not (text.isascii() and text.isdigit()):
        raise InvalidInput(
            "That mobile number was not checked before sending. Type it again "
            "with the country code, for example +91 98765 43210."
        )
    register_identifier(text)  # masked in every later log line, wherever it turns up
    return text


class CapillaryClient:
    """One cluster + one set of credentials. Safe to share across a small thread pool."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        cluster_label: str = "",
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        card_method: str = "GET",
        clock: Clock = SYSTEM_CLOCK,
        get_retries: int = 2,
        backoff: float = 0.5,
        external_id_param: str = "external_id",
    ) -> None:
        self.base_url = check_base_url(base_url)
        method = (card_method or "").strip().upper()
        if method not in ("GET", "POST"):
            raise InvalidInput("Choose GET or POST as the card-number method.")
        if external_id_param not in ("external_id", "externalId"):
            raise InvalidInput("Choose external_id or externalId as the external id parameter.")
        self.cluster_label = cluster_label
        self.card_method = method
        self.external_id_param = external_id_param
        self._timeouts = timeouts
        self._clock = clock
        self._retrying = make_session(get_retries, backoff)
        self._once = make_session(0, 0.0)
        for secret in credentials.secrets():
            register_secret(secret)
        # Headers that are the same on every call, built once (send() copies them):
        # Basic's Authorization, or OAuth's attribution. An OAuth token is added per call.
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        self._oauth: OAuthTokenManager | None = None
        if isinstance(credentials, BasicCredentials):
            headers["Authorization"] = credentials.authorization_header()
        else:
            self._oauth = OAuthTokenManager(
                self.base_url,
                credentials,
                self._once,
                clock=clock,
                timeouts=timeouts,
                cluster_label=cluster_label,
            )
            if credentials.attribution_type and credentials.attribution_code:
                headers[ATTRIBUTION_TYPE_HEADER] = credentials.attribution_type
                headers[ATTRIBUTION_CODE_HEADER] = credentials.attribution_code
        self._fixed_headers = headers

    def __repr__(self) -> str:
        scheme = "oauth" if self._oauth else "basic"
        return f"CapillaryClient(base_url={self.base_url!r}, auth={scheme!r})"

    def __enter__(self) -> CapillaryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the calls ------------------------------------------------------------------

    def fetch_otp(self, lookup: OtpLookup) -> OtpResult:
        """``GET /v2/otp``: the customer's most recent valid OTP (retried on busy/reset).

        ``lookup.value`` is sent as it is: it was normalised where it was typed.
        """
        name = lookup.name
        params: dict[str, str] = {
            "identifierName": self.external_id_param
            if name is IdentifierName.EXTERNAL_ID
            else name.value,
            "identifierValue": _identifier_value(name, lookup.value),
            "source": _word(lookup.source, "source").upper(),
        }
        account_id = lookup.account_id
        if account_id is not None and account_id.strip():
            params["accountId"] = _word(account_id, "account id", 100)
        params["scope"] = _word(lookup.scope, "scope").upper()
        threshold = lookup.threshold
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
                raise InvalidInput("Type the threshold as a whole number of seconds.")
            params["threshold"] = str(threshold)
        raw, doc = self._call(
            "GET", "/v2/otp", params=params, operation=Operation.FETCH_OTP, retry=True
        )
        server_time = server_time_from(
            raw.headers, received_monotonic=raw.received_monotonic, local_now=raw.local_now
        )
        result = parse_otp(
            raw.body,
            raw.headers,
            server_time=server_time,
            status=raw.status,
            cluster_label=self.cluster_label,
            doc=doc,
        )
        register_secret(result.code)
        return result

    def generate_card_number(self) -> CardNumberResult:
        """``/v2/cardNumber``: one new number. Never retried: each call consumes one."""
        raw, doc = self._call(
            self.card_method,
            "/v2/cardNumber",
            body=b"{}" if self.card_method == "POST" else None,
            operation=Operation.CARD_NUMBER,
            retry=False,
        )
        return parse_card_number(
            raw.body, raw.headers, status=raw.status, cluster_label=self.cluster_label, doc=doc
        )

    def generate_otp(
        self,
        entity_type: str,
        entity_value: str,
        action: str = "POINTS",
        channels: Sequence[Mapping[str, str]] | None = None,
        template: str | None = None,
    ) -> int:
        """``POST /v2/otp/generate``; returns Capillary's ``createdId``.

        ``entity_value`` is sent as it is: the caller normalised it where it was typed
        (a mobile number as E.164 digits, see :func:`~capdesk.api.identifiers.make_lookup`).
        """
        kind = _word(entity_type, "identifier type").upper()
        payload: dict[str, Any] = {
            "entityType": kind,
            "entityValue": self._entity_value(kind, entity_value),
            "action": _word(action, "scope").upper(),
        }
        if channels:
            payload["channels"] = [dict(channel) for channel in channels]
        if template:
            payload["template"] = template
        raw, doc = self._call(
            "POST",
            "/v2/otp/generate",
            body=json.dumps(payload).encode(),
            operation=Operation.GENERATE_OTP,
            retry=False,
        )
        created = doc.get("createdId") if isinstance(doc, dict) else None
        if isinstance(created, bool) or not isinstance(created, int):
            raise self._unreadable(raw, "createdId missing")
        return created

    def validate_otp(
        self, entity_type: str, entity_value: str, code: str, action: str = "POINTS"
    ) -> bool:
        """``POST /v2/otp/validate``: True when the code is right; a wrong code is False.

        ``entity_value`` is sent as it is, as for :meth:`generate_otp`.
        """
        register_secret(code)
        kind = _word(entity_type, "identifier type").upper()
        payload = {
            "entityType": kind,
            "entityValue": self._entity_value(kind, entity_value),
            "code": _word(code, "OTP"),
            "action": _word(action, "scope").upper(),
        }
        try:
            raw, doc = self._call(
                "POST",
                "/v2/otp/validate",
                body=json.dumps(payload).encode(),
                operation=Operation.VALIDATE_OTP,
                retry=False,
            )
        except NoValidOtp as error:
            if error.details.capillary_code in (605, 876):
                return False
            raise
        entity = doc.get("entity") if isinstance(doc, dict) else None
        if not isinstance(entity, bool):
            raise self._unreadable(raw, "entity missing")
        return entity

    def simulate_customer_otp_request(self, lookup: OtpLookup) -> None:
        """Training only: the demo customer asks for an OTP, as on the app or website.

        ``POST /_training/otp`` on the training simulator (no Capillary cluster has it),
        sent like any call (same transport, timeouts and deadline; never retried: each
        request counts against the customer's 10 a day). Errors are classified as
        Capillary's ``POST /v2/otp/generate`` would be, so staff read the same sentence
        (no such customer, too many OTPs today…). The code the simulator answers with is
        dropped unread: staff must fetch it, as at a real counter, so it is never
        returned nor logged.
        """
        name = lookup.name
        payload = {
            "identifierName": name.value,
            "identifierValue": _identifier_value(name, lookup.value),
            "source": _word(lookup.source, "source").upper(),
            "accountId": (
                _word(lookup.account_id, "account id", 100)
                if lookup.account_id is not None and lookup.account_id.strip()
                else None
            ),
            "scope": _word(lookup.scope, "scope").upper(),
        }
        self._call(
            "POST",
            TRAINING_OTP_PATH,
            body=json.dumps(payload).encode(),
            operation=Operation.GENERATE_OTP,
            retry=False,
        )

    def check_credentials(self) -> None:
        """Prove the credentials work without consuming anything, and that the address
        is Capillary's (raises :class:`NotCapillary` otherwise).

        OAuth: fetch a fresh token (its answer is checked by the token manager). Basic:
        look up an OTP for an identifier no customer has; only Capillary's documented
        "no such customer" kind of answer means the till was accepted: a portal's 404
        page or an empty 200 proves nothing (see :mod:`capdesk.api.proof`).
        """
        if self._oauth is not None:
            self._oauth.refresh()
            return
        params = {
            "identifierName": self.external_id_param,
            "identifierValue": CHECK_IDENTIFIER,
            "source": "INSTORE",
            "scope": "POINTS",
        }

        def judge(raw: RawResponse, doc: Any) -> CapdeskError | None:
            return judge_probe(
                raw.status, raw.headers, raw.body, doc, cluster_label=self.cluster_label
            )

        self._call(
            "GET", "/v2/otp", params=params, operation=Operation.CHECK, retry=True, judge=judge
        )
        log.debug("Credential check answered like Capillary: credentials accepted")

    def close(self) -> None:
        """Close both sessions' connections. The client is not used afterwards."""
        self._retrying.close()
        self._once.close()

    # --- plumbing -------------------------------------------------------------------

    def _entity_value(self, kind: str, value: str) -> str:
        """An ``entityValue`` to send: checked, never re-normalised (see generate_otp)."""
        name = IdentifierName.MOBILE if kind == "MOBILE" else None
        return _identifier_value(name, value)

    def _headers(self) -> tuple[dict[str, str], str | None]:
        """The headers for one send, and the OAuth token in them (None for Basic)."""
        if self._oauth is None:
            return self._fixed_headers, None  # send() copies it: never changed
        token = self._oauth.token()
        return {**self._fixed_headers, OAUTH_HEADER: token}, token

    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: Operation,
        retry: bool,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        judge: Callable[[RawResponse, Any], CapdeskError | None] | None = None,
    ) -> tuple[RawResponse, Any]:
        """Send, log, re-authenticate once on an OAuth 401, classify; return a success
        and its body as parsed JSON (parsed once, here, for the caller too).

        ``judge`` replaces :func:`classify` for a call whose success needs more proof
        (the sign-in check): it returns the error to raise, or None."""
        session = self._retrying if retry else self._once
        # With OAuth a call may fetch a token and, after a 401, a second one and send
        # again: one deadline covers all of it (each send() keeps to the earlier of its
        # own and this one), so staff wait at most Timeouts.deadline for the whole call.
        whole_call = Deadline(self._timeouts.deadline) if self._oauth else nullcontext()
        with whole_call:
            for attempt in (1, 2):
                headers, token = self._headers()
                try:
                    raw = send(
                        session,
                        method,
                        self.base_url + path,
                        headers=headers,
                        params=params,
                        data=body,
                        timeouts=self._timeouts,
                        cluster_label=self.cluster_label,
                        clock=self._clock,
                    )
                except CapdeskError as error:
                    log.warning(
                        "%s %s failed: %s (%s)",
                        method,
                        path,
                        error.kind,
                        getattr(error, "reason", "-"),
                    )
                    raise
                log.info(
                    "%s %s -> %s in %.0f ms (request id %s)",
                    method,
                    path,
                    raw.status,
                    raw.elapsed * 1000,
                    request_id_of(raw.headers) or "-",
                )
                if raw.status == 401 and self._oauth is not None and attempt == 1:
                    log.info("Token refused; fetching a new one and trying once more")
                    self._oauth.invalidate(token)
                    continue
                doc = load_json(raw.body)
                problem = (
                    judge(raw, doc)
                    if judge is not None
                    else classify(
                        raw.status,
                        raw.headers,
                        raw.body,
                        cluster_label=self.cluster_label,
                        operation=operation,
                        doc=doc,
                    )
                )
                if problem is not None:
                    raise problem
                return raw, doc
        raise AssertionError("unreachable")  # pragma: no cover

    def _unreadable(self, raw: RawResponse, technical: str) -> UnreadableResponse:
        """:func:`~capdesk.api.responses.unreadable` for one of this client's answers."""
        return unreadable(
            technical, status=raw.status, headers=raw.headers, cluster_label=self.cluster_label
        )
