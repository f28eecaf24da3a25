"""The calls capdesk makes, named: the same answer means different things per call.

A 429 on an OTP call is the customer's daily OTP limit, on a card-number call a
gateway shedding load; a 403 on a card-number call is card generation not switched
on, elsewhere a till not permitted. :func:`capdesk.api.responses.classify` reads the
operation to choose the sentence, so every call names its own.
"""

from __future__ import annotations

from enum import StrEnum


class Operation(StrEnum):
    """One Capillary call, as :func:`~capdesk.api.responses.classify` tells them apart."""

    FETCH_OTP = "fetch_otp"
    CARD_NUMBER = "card_number"
    GENERATE_OTP = "generate_otp"
    VALIDATE_OTP = "validate_otp"
    TOKEN = "oauth_token"
    CHECK = "check_credentials"
