"""Fixtures of the SITL tests: a real ArduCopter SITL per module and its ground truth (see sitl_support)."""

from tests.api.conftest import make_live_api  # noqa: F401 - the REST API fixture, for these tests too
from tests.integration.sitl.sitl_support import sitl, truth  # noqa: F401

