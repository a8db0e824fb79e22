"""Shared test set-up. Fixtures of each area live in tests/<area>_support.py."""

from tests.registry_support import *  # noqa: F403 - registry fixtures for every test module
