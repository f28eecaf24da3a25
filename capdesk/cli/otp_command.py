"""``capdesk otp``: fetch a customer's current OTP and say how long it stays valid.

The identifier is checked before anything else (no cluster, no credentials, no
call) so a typo never reaches Capillary. The code goes to stdout only; it is never
logged.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys

from capdesk.cli.output import TRAINING_BANNER, format_validity, group_code, print_line
from capdesk.cli.runtime import Runtime, choose_cluster, connect
from capdesk.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)


def run_otp(args: argparse.Namespace, runtime: Runtime, clock: Clock = SYSTEM_CLOCK) -> int:
    from capdesk.api.identifiers import identifier_name, make_lookup
    from capdesk.api.sources import SOURCES_NEEDING_ACCOUNT, source_for

    # The one place the command line's identifier is normalised (in the default
    # country of the settings); the client sends lookup.value as it is.
    kind = identifier_name(args.identifier_name)
    source = source_for(kind.value, args.source)  # a WeChat id implies WECHAT, as in the window
    lookup = make_lookup(
        kind,
        args.identifier_value,
        default_country=runtime.settings.default_country,
        source=source,
        account_id=args.account_id or None,
        scope=args.scope,
        threshold=args.threshold,
    )
    cluster = choose_cluster(args.cluster, args.base_url, runtime)
    if lookup.account_id is None and source in SOURCES_NEEDING_ACCOUNT:
        # Not typed: the account IT set for this cluster, or the one last used on it.
        known = runtime.settings.account_ids(cluster.key, training=cluster.training)
        lookup = dataclasses.replace(lookup, account_id=known.get(source))
    if cluster.training:
        print(TRAINING_BANNER, file=sys.stderr)
    with connect(runtime, cluster) as connection:
        result = connection.client.fetch_otp(lookup)
    log.info(
        "OTP fetched for a %s identifier on %s (request id %s)",
        lookup.name.value,
        cluster.key,
        result.request_id,
    )
    now = clock.monotonic()
    if args.json:
        print(json.dumps(result.to_json(now)))
        return 0
    print(f"OTP: {group_code(result.code)}")
    print(format_validity(result.seconds_left(now), result.valid_upto))
    ids = []
    if result.user_id is not None:
        ids.append(f"Customer id: {result.user_id}")
    if result.org_id is not None:
        ids.append(f"Org id: {result.org_id}")
    if ids:
        print("   ".join(ids))
    for warning in result.warnings:
        code = f" (code {warning.code})" if warning.code is not None else ""
        print_line(f"Warning: {warning.message}{code}")
    return 0
