"""The training cluster: a faithful local Capillary server with demo data and faults.

Stdlib only, no Qt. Same URLs, auth, JSON bodies, error codes, rate limits and OTP
expiry as Capillary (see docs/ARCHITECTURE.md, "Simulator", and
``../shared/capillary-api.md``), seeded with the demo org of :mod:`.demo_data`, with
the teaching scenarios of :mod:`.scenarios`.
"""

from capdesk.simulator.replies import SimulatorError
from capdesk.simulator.scenarios import SCENARIOS
from capdesk.simulator.server import DEFAULT_PORT, TrainingSimulator, serve

__all__ = ["DEFAULT_PORT", "SCENARIOS", "SimulatorError", "TrainingSimulator", "serve"]
