"""Shared fixtures. The Sheets API test server's fixtures live in sheets_api_fixtures.py."""

import os

from hypothesis import settings

from sheets_api_fixtures import *  # noqa: F403

# A red run must be about the code, not the seed: the suite (and CI) draws the same examples
# every time and keeps no database that would replay an old failure forever. To hunt for new
# bugs, run `pytest --hypothesis-profile=explore` (random, more examples, remembered).
settings.register_profile("fixed", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))
