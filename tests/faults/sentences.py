"""The sentences staff must see for each fault, on the test cluster "Test EU".

Written out in full (not imported from capdesk) so a changed sentence is a visible,
reviewed change to this list.
"""

from __future__ import annotations

# No cluster label inside a sentence: the cluster ("Test EU") is in the details.
CANT_REACH = "Can't reach Capillary. Check the network and try again."
NOT_SECURE = (
    "The connection to Capillary could not be checked as safe. If this PC uses a company "
    "proxy, ask IT to check it, then try again."
)
TOO_SLOW = "Capillary did not answer in time. Check the network and try again."
CUT_OFF = "The connection to Capillary was cut off. Check the network and try again."
SERVER_ERROR = "Capillary had a problem answering. Try again; if it keeps happening, call support."
BUSY_503 = "Capillary is busy or down for maintenance. Wait a moment and try again."
BUSY_461 = "Capillary's customer search is busy. Wait a moment and try again."
BUSY_521 = "Another action is running for this customer. Wait a moment and try again."
# Capillary's own limit (code 429, or a bare 429 on an OTP call) ...
OTP_DAILY_LIMIT = "Too many OTPs for this customer today. Try again tomorrow or call support."
# ... versus a gateway shedding load (Retry-After, or its own page), and any 429 on
# calls that issue no OTP.
TOO_MANY_MINUTE = "Capillary is getting too many requests right now. Wait a minute, then try again."
TOO_MANY_1_SECOND = (
    "Capillary is getting too many requests right now. Wait 1 second, then try again."
)
TOO_MANY_30_SECONDS = (
    "Capillary is getting too many requests right now. Wait 30 seconds, then try again."
)
TOO_MANY_2_MINUTES = (
    "Capillary is getting too many requests right now. Wait 2 minutes, then try again."
)
REJECTED = "The till credentials were rejected. Sign in again."
UNREADABLE = "Capillary's answer could not be read. Try again; if it keeps happening, call support."
OTP_FOUND = "OTP found. Check the Customer ID, then read the code to the customer."
CARDS_DISABLED = (
    "Card numbers can't be generated for this till yet. Ask your Capillary administrator "
    "to switch on card-number generation for it."
)
# Where the configuration names went: the details, for the administrator.
CARDS_DISABLED_HELP = (
    "For the administrator: In InTouch > Settings > Miscellaneous > Registration "
    "Configuration, enable CONF_CARD_NUMBER_GENERATION_ENABLED and "
    "CONF_CLIENT_V2_API_ENABLED, and add this till's source account to "
    "SOURCE_ACCOUNTS_EXTERNALID_ENABLED."
)
