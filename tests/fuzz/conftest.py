"""The hypothesis profile of the fuzz tests, registered here only.

Tests in this folder decorate themselves with ``@FUZZ`` (``settings.get_profile``)
instead of loading the profile, so the rest of the suite keeps its own settings.
``CAPDESK_FUZZ_EXAMPLES=5000`` runs a longer fuzzing session by hand.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = "capdesk-fuzz"

settings.register_profile(
    PROFILE,
    max_examples=int(os.environ.get("CAPDESK_FUZZ_EXAMPLES", "200")),
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example rewrites its own files
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
