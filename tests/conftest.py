"""Shared fixtures. The Sheets API test server's fixtures live in sheets_api_fixtures.py."""

import os

import pytest
from hypothesis import settings
from sheets_api_fixtures import *  # noqa: F403

# A red run must be about the code, not the seed: the suite (and CI) draws the same examples
# every time and keeps no database that would replay an old failure forever. To hunt for new
# bugs, run `pytest --hypothesis-profile=explore` (random, more examples, remembered).
settings.register_profile("fixed", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))

# `make mutants` runs the tests once per mutant, so each property draws the same fixed
# examples but at most this many (the 150-example workbook property alone takes 20 s).
_UNDER_MUTATION = "MUTANT_UNDER_TEST" in os.environ
MUTATION_MAX_EXAMPLES = 25


def pytest_collection_modifyitems(items):
    if not _UNDER_MUTATION:
        return
    # The mutated module's own test file first ("sheetsync.compute.x_roi__mutmut_3" ->
    # test_compute.py): a mutant is usually killed there, and the run stops at the first failure.
    parts = os.environ["MUTANT_UNDER_TEST"].split(".")
    own = f"test_{parts[-2]}.py" if len(parts) > 2 else ""
    items.sort(key=lambda item: item.path.name != own)
    for item in items:
        test = getattr(item, "obj", None)
        # Hypothesis reads a property's settings from this attribute each time it runs.
        chosen = getattr(test, "_hypothesis_internal_use_settings", None)
        if chosen is not None and chosen.max_examples > MUTATION_MAX_EXAMPLES:
            test._hypothesis_internal_use_settings = settings(
                chosen, max_examples=MUTATION_MAX_EXAMPLES
            )


@pytest.fixture(autouse=True)
def _own_state_store(tmp_path, monkeypatch):
    """Every test, and the sheetsync subprocesses it starts, keeps its state store in its own
    temporary folder: the default store lives in the user data folder, found via XDG_DATA_HOME."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    monkeypatch.delenv("SHEETSYNC_STATE_PATH", raising=False)


@pytest.fixture(autouse=True)
def _fresh_caches_under_mutation():
    """Under `make mutants`, a cached result from before the mutant was switched on would
    hide it (the locale data, typed decimals): each test starts with empty caches."""
    if not _UNDER_MUTATION:
        return
    import sys

    for name, module in list(sys.modules.items()):
        if name.startswith("sheetsync"):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    """sheetsync's user config folder (a saved Google login) of this test's own, and no
    GOOGLE_APPLICATION_CREDENTIALS from the machine; returns the folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    return tmp_path / "config" / "sheetsync"
