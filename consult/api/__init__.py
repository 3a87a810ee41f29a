"""The read-only JSON API (``/api/v1``) for R, Power BI and notebooks: see ``routes``."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from consult.api.routes import bp, http_error
from consult.extensions import csrf

PREFIX = "/api/"


class _NoSessionForApi(SessionInterface):
    """The app's session interface, except that requests under /api/ get a throwaway session.

    The API authenticates with bearer tokens only: a session cookie sent along is not even
    read (nobody is signed in through it), what the request puts in its session (``?lang=``)
    is forgotten, and no response of the API sets a cookie.
    """

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(PREFIX):
            return SecureCookieSession()  # empty, whatever cookie came with the request
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.path.startswith(PREFIX):
            return
        self.inner.save_session(app, session, response)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _routing_error(error: HTTPException) -> ResponseReturnValue:
    """404 and 405 found while routing belong to no blueprint: JSON under /api/, else the page."""
    if request.path.startswith(PREFIX):
        return http_error(error)
    from consult.errors import handle_http_exception

    return handle_http_exception(error)


def init_app(app: Flask) -> None:
    """Register the API (bearer tokens only, so exempt from CSRF and without a session) and
    its JSON routing errors."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
    if not isinstance(app.session_interface, _NoSessionForApi):
        app.session_interface = _NoSessionForApi(app.session_interface)
    for code in (404, 405):
        app.register_error_handler(code, _routing_error)
