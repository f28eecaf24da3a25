"""The sentences staff must see for each fault, on the test cluster "Test EU".

Written out in full (not imported from capdesk) so a changed sentence is a visible,
reviewed change to this list.
"""

from __future__ import annotations

WHERE = "(Test EU)"
CANT_REACH = f"Can't reach Capillary {WHERE}. Check the network."
NOT_SECURE = (
    f"The connection to Capillary {WHERE} could not be verified as secure. If this PC "
    "uses a company proxy, ask IT to check it, then try again."
)
TOO_SLOW = f"Capillary {WHERE} did not answer in time. Check the network and try again."
CUT_OFF = f"The connection to Capillary {WHERE} was cut off. Check the network and try again."
SERVER_ERROR = "Capillary had a problem answering. Try again; if it keeps happening, call support."
BUSY_503 = "Capillary is busy or down for maintenance. Wait a moment and try again."
BUSY_461 = "Capillary's customer search is busy. Wait a moment and try again."
BUSY_521 = "Another action is running for this customer. Wait a moment and try again."
OTP_DAILY_LIMIT = "Too many OTPs for this customer today. Try again tomorrow or call support."
TOO_MANY_MINUTE = "Capillary is getting too many requests. Wait a minute and try again."
REJECTED = "The till credentials were rejected. Sign in again."
UNREADABLE = "Capillary's answer could not be read. Try again; if it keeps happening, call support."
OTP_FOUND = "OTP found. Read it to the customer or copy it."
CARDS_DISABLED = (
    "Card number generation is not switched on for this till. An administrator must "
    "enable CONF_CARD_NUMBER_GENERATION_ENABLED and CONF_CLIENT_V2_API_ENABLED, and add "
    "this source account to SOURCE_ACCOUNTS_EXTERNALID_ENABLED (InTouch > Settings > "
    "Miscellaneous > Registration Configuration)."
)


def wait_seconds(seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return f"Capillary is getting too many requests. Wait {seconds} {unit} and try again."
