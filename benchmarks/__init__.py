"""Benchmarks a user can run (SPEC 8): `python -m benchmarks`, or `make bench`.

Generates workbooks of 1 k, 10 k and 100 k tactics (cached under benchmarks/.data/), times
the engine, `check` and `sync` against the floors any tool must pay (python-calamine reading
the file, openpyxl loading and saving it), and prints one Markdown table.

Suites are registered in `benchmarks.suites.SUITES`; add a backend's suite there.
"""
