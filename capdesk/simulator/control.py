"""The trainer's control endpoints under ``/_training/`` (no auth; loopback clients only).

``POST /_training/scenario {"scenario": NAME}`` switches the scenario;
``GET /_training/scenario`` reads it. ``POST /_training/otp {"identifierName",
"identifierValue", "source", "accountId", "scope"}`` makes a demo customer request an
OTP, answering ``{"code", "validUpto"}`` (errors as v2 bodies, 429 at the daily
limit). ``POST /_training/reset`` forgets OTPs, tokens and counts. Scenarios never
apply here, so a trainer can always switch a fault off again.
"""

from __future__ import annotations

from typing import Any

from capdesk.simulator import scenarios
from capdesk.simulator.endpoints import request_otp, valid_upto_text
from capdesk.simulator.replies import Reply, SimulatorError, json_reply, v2_error
from capdesk.simulator.state import SimulatorState

PREFIX = "/_training/"


def handle(state: SimulatorState, method: str, path: str, body: Any) -> Reply:
    if not isinstance(body, dict):
        return v2_error(400, 400, "The request body must be a JSON object")
    try:
        if path == "/_training/scenario" and method == "GET":
            return json_reply(
                200, {"scenario": state.scenario, "scenarios": list(scenarios.SCENARIOS)}
            )
        if path == "/_training/scenario" and method == "POST":
            return _set_scenario(state, body)
        if path == "/_training/otp" and method == "POST":
            record = request_otp(
                state,
                _str(body.get("identifierName")),
                _str(body.get("identifierValue")),
                _str(body.get("source")) or "INSTORE",
                _str(body.get("accountId")),
                _str(body.get("scope")) or "POINTS",
            )
            return json_reply(200, {"code": record.code, "validUpto": valid_upto_text(record)})
        if path == "/_training/reset" and method == "POST":
            state.reset()
            return json_reply(200, {"scenario": state.scenario})
    except SimulatorError as error:
        return error.reply()
    if path in ("/_training/scenario", "/_training/otp", "/_training/reset"):
        return v2_error(405, 405, "Method not allowed")
    return v2_error(404, 404, "Resource not found")


def _set_scenario(state: SimulatorState, body: dict[str, Any]) -> Reply:
    name = body.get("scenario")
    try:
        state.set_scenario(name if isinstance(name, str) else "")
    except ValueError:
        message = f"Unknown scenario; use one of: {', '.join(scenarios.SCENARIOS)}"
        return v2_error(400, 400, message)
    return json_reply(200, {"scenario": state.scenario})


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
