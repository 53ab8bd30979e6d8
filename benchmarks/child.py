"""Run one case in this process and print its result as one JSON line.

    python -m benchmarks.child CASE '{"path": "...", "today": "2026-06-15"}'

A fresh process per run keeps cases from sharing caches or memory: each run starts cold,
and its peak RSS (measured by the parent with os.wait4) belongs to that case alone.
"""

from __future__ import annotations

import json
import sys

import benchmarks.google  # noqa: F401  (registers the Google backend's cases)
from benchmarks.cases import CASES


def main(argv: list[str]) -> int:
    name, raw_args = argv
    seconds, facts = CASES[name](json.loads(raw_args))
    print(json.dumps({"seconds": seconds, "facts": facts}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
