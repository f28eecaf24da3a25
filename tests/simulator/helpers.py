"""Shared bits of the simulator tests: demo credentials as headers, URLs, sessions."""

from __future__ import annotations

from typing import Any

import requests

from capdesk.api.auth import BasicCredentials
from capdesk.simulator import TrainingSimulator

TILL_AUTH = {
    "Authorization": BasicCredentials.from_password(
        "training.till", "training123"
    ).authorization_header()
}
TILL2_AUTH = {
    "Authorization": BasicCredentials.from_password(
        "training.till2", "training123"
    ).authorization_header()
}
ASHA = {"identifierName": "mobile", "identifierValue": "919876543210", "source": "INSTORE"}
TIMEOUT = 5.0


def fetch_otp(sim: TrainingSimulator, headers: dict[str, str] | None = None, **params: Any):
    query = {**ASHA, "scope": "POINTS", **params}
    return requests.get(
        f"{sim.base_url}/v2/otp", params=query, headers=headers or TILL_AUTH, timeout=TIMEOUT
    )


def post(sim: TrainingSimulator, path: str, body: Any, headers: dict[str, str] | None = None):
    return requests.post(
        f"{sim.base_url}{path}", json=body, headers=headers or TILL_AUTH, timeout=TIMEOUT
    )


def card(sim: TrainingSimulator, headers: dict[str, str] | None = None, method: str = "GET"):
    return requests.request(
        method, f"{sim.base_url}/v2/cardNumber", headers=headers or TILL_AUTH, timeout=TIMEOUT
    )


def error_codes(response: requests.Response) -> list[int]:
    return [error["code"] for error in response.json()["errors"]]
