"""Rate limits of the participant pages (Flask-Limiter), added around the existing views.

- **Token guesses**: on the personal-link pages (``/i/<token>/…`` invitations, ``/r/<token>/…``
  resume links) only requests that end in 404 (unknown token, no such page) count, per IP
  address, against ``INVITATION_GUESS_RATE_LIMIT``. Valid links never count; once an address
  is over the limit, its personal-link pages answer 429 until the window ends (a guesser learns
  nothing more, not even from a valid guess).
- **Submissions**: POSTs of a response's pages (consent, each page, sending) count per
  response — the token in the address — against ``SUBMISSION_RATE_LIMIT``, not per IP: a
  workshop puts every phone behind one NAT address. Every participant POST (the open link's
  consent, which creates a response, included) also counts per IP address against the generous
  ``SUBMISSION_ADDRESS_RATE_LIMIT``, a ceiling against one client flooding the database.
- **Withdrawals**: POSTs of receipt codes count per IP address (``WITHDRAWAL_RATE_LIMIT``).
- **Live workshop codes**: unknown join codes (404 on ``/live?code=``, ``/live/<code>`` and its
  state) count per IP address against ``LIVE_CODE_GUESS_RATE_LIMIT``, higher than the
  invitation limit because a whole room shares one address and some phones mistype; the
  phones' answers count against the per-address ceiling of participant POSTs.

A refused request gets the translated 429 page with ``Retry-After`` (``consult.errors``). Counts
live in ``RATELIMIT_STORAGE_URI``: ``memory://`` counts per process, so with several gunicorn
workers or machines use Redis (``CONSULT_RATELIMIT_STORAGE_URI=redis://host:6379``), which all
of them share. Every callable given to the limiter is a module-level function: the limiter is
one object for every app, and equal limits registered again by another ``create_app`` are
merged instead of counted twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from consult.extensions import limiter
from consult.services.tokens import hash_token

TOKEN_FLOWS = ("invite", "resume")  # the flow blueprint's two registrations (participate)
TOKEN_VIEWS = ("start", "page", "review", "done")
SUBMITTING_VIEWS = ("start", "page", "review")  # views whose POST saves or sends answers
OPEN_LINK = "participate.landing"
WITHDRAW = "participate.withdraw"
LIVE_VIEWS = ("live.join", "live.phone", "live.state")
LIVE_ANSWER = "live.phone"


def _setting(name: str) -> Callable[[], str]:
    def limit() -> str:
        return str(current_app.config[name])

    limit.__name__ = limit.__qualname__ = name.lower()
    return limit


guess_limit = _setting("INVITATION_GUESS_RATE_LIMIT")
submission_limit = _setting("SUBMISSION_RATE_LIMIT")
address_limit = _setting("SUBMISSION_ADDRESS_RATE_LIMIT")
withdrawal_limit = _setting("WITHDRAWAL_RATE_LIMIT")
live_guess_limit = _setting("LIVE_CODE_GUESS_RATE_LIMIT")


def not_found(response: Response) -> bool:
    """Whether a personal-link request failed as a guess would (404)."""
    return response.status_code == 404


def response_key() -> str:
    """The response a participant POST belongs to: its token, hashed (never stored as is)."""
    token = (request.view_args or {}).get("token", "")
    return "response:" + hash_token(str(token))[:32]


def _decorators(endpoint: str) -> list[Any]:
    """The limits of one endpoint, innermost first."""
    flow, _, view = endpoint.partition(".")
    decorators = []
    if flow in TOKEN_FLOWS:
        decorators.append(
            limiter.shared_limit(
                guess_limit,
                scope="token-guess",
                key_func=get_remote_address,
                deduct_when=not_found,
            )
        )
    if flow in TOKEN_FLOWS and view in SUBMITTING_VIEWS:
        decorators.append(
            limiter.shared_limit(
                submission_limit, scope="submission", key_func=response_key, methods=["POST"]
            )
        )
    if endpoint == WITHDRAW:
        decorators.append(
            limiter.limit(withdrawal_limit, key_func=get_remote_address, methods=["POST"])
        )
    if endpoint in LIVE_VIEWS:
        decorators.append(
            limiter.shared_limit(
                live_guess_limit,
                scope="live-code-guess",
                key_func=get_remote_address,
                deduct_when=not_found,
            )
        )
    if endpoint in (OPEN_LINK, WITHDRAW, LIVE_ANSWER) or (
        flow in TOKEN_FLOWS and view in SUBMITTING_VIEWS
    ):
        decorators.append(
            limiter.shared_limit(
                address_limit,
                scope="submission-address",
                key_func=get_remote_address,
                methods=["POST"],
            )
        )
    return decorators


def limited_endpoints() -> list[str]:
    """Every participant endpoint that has a limit."""
    token_pages = [f"{flow}.{view}" for flow in TOKEN_FLOWS for view in TOKEN_VIEWS]
    return [*token_pages, OPEN_LINK, WITHDRAW, *LIVE_VIEWS]


def init_app(app: Flask) -> None:
    """Wrap the participant views in their limits (after ``web.init_app`` registered them).

    One view function serves both ``invite.<view>`` and ``resume.<view>``; it is wrapped once
    and the wrapper serves both (the limiter keys its limits by the function's name).
    """
    wrapped: dict[int, Callable[..., Any]] = {}
    for endpoint in limited_endpoints():
        view = app.view_functions[endpoint]
        if id(view) not in wrapped:
            limited = view
            for decorate in _decorators(endpoint):
                limited = decorate(limited)
            wrapped[id(view)] = limited
        app.view_functions[endpoint] = wrapped[id(view)]
