"""Cell text as the summary shows it: one line, no control characters, not too long.

Whatever a person typed (newlines, tabs, a whole paragraph) reads as one line in the e-mail's
parts and can never start a new header line in its subject.
"""

from __future__ import annotations

import re
from typing import Any

LONGEST_NAME = 120  # characters of a cell's text shown before "…"


def oneline(value: Any, limit: int = LONGEST_NAME) -> str:
    """A cell's text on one line, no longer than `limit`: newlines and tabs become spaces."""
    text = " ".join(str(value or "").split())
    text = re.sub(r"[\x00-\x1f\x7f]", "", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
