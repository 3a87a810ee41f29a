"""Optimistic concurrency for forms: a form carries the fingerprint of what it was built from.

A save compares that fingerprint with the thing as it is now (read under a row lock) and raises
``Conflict`` when someone else saved in between, so nothing is silently overwritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from consult.services.errors import Conflict


def fingerprint(value: Any) -> str:
    """A short, stable hash of ``value`` (a dataclass or plain JSON-like data)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def check_unchanged(current: Any, expected: str | None, what: str) -> None:
    """Raise ``Conflict`` unless ``current`` still has the fingerprint ``expected``.

    ``expected`` None means the caller has no fingerprint (e.g. a script): no check.
    """
    if expected is not None and fingerprint(current) != expected:
        raise Conflict(f"{what} was changed by someone else after you opened it")
