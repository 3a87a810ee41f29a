"""Simulated participants for the scale tests and ``benchmarks/bench_load.py``.

A ``Participant`` completes the demo survey over real HTTP like a browser: it opens the open
link, agrees, GETs each page, POSTs its answers with the CSRF token, follows each redirect and
sends the review page. It keeps its own cookies (the signed session cookie) and can spread its
requests over several servers in turn (``bases``), proving they share no state but the
database. Every request is timed under a label such as ``GET page 2`` or ``POST review``.

Answers come from ``tests.participate.helpers.fill`` (valid answers for every control); they
are parsed once per page and reused, since every participant gives the same ones.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import count

from tests.participate.helpers import csrf_token, fill, receipt_of

DEMO = "migration-action-plan"
TIMEOUT = 60.0  # seconds per request: generous, a stuck server fails instead of hanging
MAX_PAGES = 40

Recorder = Callable[[str, float, int], None]  # (label, seconds, status)


class ParticipantError(AssertionError):
    """A request answered something a browser user would see as an error."""


@dataclass
class Reply:
    status: int
    path: str  # the path asked for
    location: str  # the redirect target's path, or ""
    body: str
    headers: dict[str, str] = field(default_factory=dict)


_ANSWERS: dict[str, dict] = {}
_ANSWERS_LOCK = threading.Lock()


def answers_for(page_key: str, html: str) -> dict:
    """The answers for one page of the survey (parsed from the first copy seen)."""
    with _ANSWERS_LOCK:
        if page_key not in _ANSWERS:
            _ANSWERS[page_key] = fill(html)
        return _ANSWERS[page_key]


_SET_COOKIE = re.compile(r"^\s*([^=;\s]+)=([^;]*)")


class Participant:
    """One person with one browser (cookies), sending requests to ``bases`` in turn."""

    _turn = count()

    def __init__(
        self, bases: Sequence[str], *, record: Recorder | None = None, language: str = "en"
    ) -> None:
        self.bases = list(bases)
        self.next_base = next(self._turn) % len(self.bases)  # participants start on each in turn
        self.cookies: dict[str, str] = {}
        self.record = record
        self.language = language
        self.requests = 0
        self.served: Counter[str] = Counter()  # requests per server

    def _base(self) -> str:
        base = self.bases[self.next_base]
        self.next_base = (self.next_base + 1) % len(self.bases)
        return base

    def send(self, method: str, path: str, label: str, data: dict | None = None) -> Reply:
        """One request (no redirect followed) to the next server in turn."""
        base = self._base()
        host_port = urllib.parse.urlsplit(base).netloc
        headers = {"Connection": "close", "Accept": "text/html"}
        if self.cookies:  # all of them, like a browser to 127.0.0.1 (the session cookie is Secure)
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(host_port, timeout=TIMEOUT)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        self.requests += 1
        self.served[base] += 1
        if self.record is not None:
            self.record(label, elapsed, response.status)
        for value in response.headers.get_all("Set-Cookie") or []:
            match = _SET_COOKIE.match(value)
            if match:
                self.cookies[match.group(1)] = match.group(2)
        location = urllib.parse.urlsplit(response.headers.get("Location", ""))
        target = location.path + (f"?{location.query}" if location.query else "")
        return Reply(response.status, path, target, text, dict(response.headers.items()))

    def expect(self, reply: Reply, *statuses: int) -> Reply:
        if reply.status not in statuses:
            raise ParticipantError(
                f"{reply.path}: HTTP {reply.status} (expected {statuses}): {reply.body[:300]}"
            )
        return reply

    def complete_survey(self, slug: str = DEMO) -> str:
        """Answer every page of the open link's survey and send it; the receipt code."""
        landing = f"/c/{slug}"
        page = self.expect(self.send("GET", f"{landing}?lang={self.language}", "GET landing"), 200)
        agreed = self.send(
            "POST", landing, "POST landing", {"consent": "y", "csrf_token": csrf_token(page.body)}
        )
        path = self.expect(agreed, 303).location
        for _ in range(MAX_PAGES):
            kind = _page_label(path)
            page = self.expect(self.send("GET", path, f"GET {kind}"), 200)
            if kind == "review":
                break
            data = {
                **answers_for(kind, page.body),
                "action": "continue",
                "csrf_token": csrf_token(page.body),
            }
            path = self.expect(self.send("POST", path, f"POST {kind}", data), 303).location
        else:
            raise ParticipantError(f"the survey did not end after {MAX_PAGES} pages")
        sent = self.send("POST", path, "POST review", {"csrf_token": csrf_token(page.body)})
        done = self.expect(sent, 303).location
        if not done.endswith("/done"):
            raise ParticipantError(f"sending the review page led to {done}")
        thanks = self.expect(self.send("GET", done, "GET done"), 200)
        return receipt_of(thanks.body)


def _page_label(path: str) -> str:
    """``page 3`` for ``/r/<token>/page/3``, ``review`` for ``/r/<token>/review``."""
    parts = path.split("?")[0].strip("/").split("/")
    if len(parts) >= 4 and parts[2] == "page":
        return f"page {parts[3]}"
    if len(parts) >= 3 and parts[2] == "review":
        return "review"
    raise ParticipantError(f"unexpected survey address {path}")


@dataclass
class CrowdResult:
    receipts: list[str]
    errors: list[str]
    requests: int
    served: Counter[str] = field(default_factory=Counter)  # requests per server


def crowd(
    bases: Sequence[str],
    participants: int,
    *,
    concurrency: int | None = None,
    record: Recorder | None = None,
    slug: str = DEMO,
    until: float | None = None,
) -> CrowdResult:
    """``participants`` people complete the survey, ``concurrency`` at a time (default: all at
    once, one thread each, released together by a barrier). With ``until`` (a
    ``time.monotonic()`` value) nobody new starts after that moment; those started finish."""
    threads_wanted = min(concurrency or participants, participants)
    barrier = threading.Barrier(threads_wanted)
    todo = iter(range(participants))
    lock = threading.Lock()
    result = CrowdResult([], [], 0)

    def work() -> None:
        barrier.wait()
        while True:
            with lock:
                if next(todo, None) is None or (until is not None and time.monotonic() > until):
                    return
            person = Participant(bases, record=record)
            try:
                receipt = person.complete_survey(slug)
            except (ParticipantError, OSError, http.client.HTTPException) as error:
                with lock:
                    result.errors.append(f"{type(error).__name__}: {error}")
                    result.requests += person.requests
                    result.served.update(person.served)
                continue
            with lock:
                result.receipts.append(receipt)
                result.requests += person.requests
                result.served.update(person.served)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(threads_wanted)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result
