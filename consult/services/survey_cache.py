"""A per-process cache of built surveys (``participation.Survey``), one per app.

Building a round's questionnaire is most of a participant page's work, and it rarely changes.
There is one cache per app, so per database. An entry is keyed by the round (id and creation
time: SQLite may reuse a deleted round's id), ``Round.revision`` — bumped in SQL by every flush
that changes what the survey shows, from any process (``consult.models.questionnaire``) — the
consultation's ``version`` and the language. The key is read from the rows the request loaded
anyway, so a change committed by another worker is seen on the next request. Bounded: the
least recently used entry goes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, has_app_context

EXTENSION = "consult_survey_cache"
MAX_ENTRIES = 64


class SurveyCache:
    """A small thread-safe LRU map with hit and miss counts."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        value = build()  # outside the lock: two threads may build the same entry, harmlessly
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def current() -> SurveyCache | None:
    """The app's cache, made on first use (None outside an app context)."""
    if not has_app_context():
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get(EXTENSION)
    if cache is None:
        cache = app.extensions.setdefault(
            EXTENSION, SurveyCache(int(app.config.get("SURVEY_CACHE_SIZE", MAX_ENTRIES)))
        )
    return cache
