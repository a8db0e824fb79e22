"""Shared test set-up. Fixtures of each area live in tests/<area>_support.py."""

import os

from tests.registry_support import *  # noqa: F403 - registry fixtures for every test module

# Tests never use the developer's own data folder, profile or database: each test names its own.
for _var in ("PTSP_HOME", "PTSP_PROFILE", "PTSP_DB"):
    os.environ.pop(_var, None)
