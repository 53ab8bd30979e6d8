"""Shared fixtures. The Sheets API test server's fixtures live in sheets_api_fixtures.py."""

from sheets_api_fixtures import *  # noqa: F403
