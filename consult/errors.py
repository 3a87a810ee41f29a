"""Error pages: translated, in the site layout, never a stack trace.

Every HTTP error (400, 403, 404, 405, 413, 429, 500, ...) is rendered by ``errors/error.html``;
clients that prefer JSON (``Accept: application/json``) get ``{"error", "title", "message"}``.
Headers the error carries (``Allow`` on 405, ``Retry-After`` on 429) are kept.

A database that cannot be reached (connection refused or lost, SQLite locked, pool exhausted)
gives 503 with ``Retry-After``: the session is rolled back and the page is rendered without any
context processor that could touch the database again (Flask-Login loads the signed-in user).
Other database errors (an integrity error is a bug, not an outage) become the 500 page.
A participant's form that met the outage comes back on the 503 page as a "Send again" form
holding what they typed (with a fresh CSRF token): nothing they typed is lost, and nothing of
it was saved (the transaction was rolled back whole).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from consult import i18n
from consult.extensions import db

TEMPLATE = "errors/error.html"
UNAVAILABLE_RETRY_AFTER = 30  # seconds: how long a client should wait after a 503

TEXTS: dict[int, tuple[Any, Any]] = {
    400: (
        _l("Bad request"),
        _l(
            "The request could not be understood. Please check the address or the form "
            "and try again."
        ),
    ),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (
        _l("Page not found"),
        _l(
            "The page you are looking for does not exist or has moved. Check the address, "
            "or start again from the home page."
        ),
    ),
    405: (
        _l("This action is not allowed here"),
        _l("This page cannot be used this way. Go back and try again."),
    ),
    413: (
        _l("What you sent is too large"),
        _l("Please send less data or a smaller file and try again."),
    ),
    429: (
        _l("Too many requests"),
        _l("You have made too many requests in a short time. Please wait a moment and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error happened on our side and has been logged. Please try again later."),
    ),
    503: (
        _l("The service is temporarily unavailable"),
        _l(
            "Please try again shortly. If you were sending a form, it was not saved: go "
            "back and send it again in a moment."
        ),
    ),
}
GENERIC = (_l("Error"), _l("The request could not be completed."))
UNAVAILABLE_RESEND_MESSAGE = _l(
    "Your answers on this page were not saved yet, because the service is briefly "
    "unavailable. Nothing you typed is lost: wait a moment, then press “Send again”."
)
RESEND_BLUEPRINTS = ("participate", "resume", "invite")  # participant forms kept on a 503
CSRF_MESSAGE = _l(
    "The form has expired or was sent twice. Go back, reload the page and send it again."
)


def _rollback() -> None:
    """Leave the request's transaction; the connection may already be gone."""
    with suppress(SQLAlchemyError):
        db.session.rollback()


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _minimal_page(context: dict[str, Any]) -> str:
    """The last resort when even the template fails: plain HTML, still translated."""
    return (
        f'<!doctype html><html lang="{escape(context["current_language"])}" '
        f'dir="{escape(context["text_direction"])}"><head><meta charset="utf-8">'
        f"<title>{escape(context['title'])}</title></head><body><main>"
        f"<h1>{escape(context['title'])}</h1><p>{escape(context['message'])}</p>"
        '<p><a href="/">Consult</a></p></main></body></html>'
    )


def _render_page(context: dict[str, Any], *, touch_database: bool) -> str:
    """The error template, falling back to a render without context processors, then to HTML."""
    if touch_database:
        try:
            return render_template(TEMPLATE, **context)
        except Exception:
            current_app.logger.exception("error page %s: full render failed", context["code"])
            _rollback()
    safe_context = {**context, **i18n.template_context()}
    try:
        return current_app.jinja_env.get_template(TEMPLATE).render(safe_context)
    except Exception:
        current_app.logger.exception("error page %s: safe render failed", context["code"])
        return _minimal_page(safe_context)


def render_error(
    code: int,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    *,
    message: Any = None,
    touch_database: bool = True,
    resend: dict[str, Any] | None = None,
) -> ResponseReturnValue:
    """The error page (or JSON) for ``code`` with its translated title and explanation
    (``resend``: a form to send the request's fields again, see :func:`_resend_form`)."""
    title, default_message = TEXTS.get(code, GENERIC)
    context = {
        "code": code,
        "title": str(title),
        "message": str(message or default_message),
        "resend": resend,
    }
    if _wants_json():
        body = jsonify(error=code, title=context["title"], message=context["message"])
        return body, code, headers or {}
    return _render_page(context, touch_database=touch_database), code, headers or {}


def handle_http_exception(error: HTTPException) -> ResponseReturnValue:
    """Any HTTP error raised by Flask, Werkzeug or a view (``abort(404)``)."""
    if error.code is None or error.code < 400:
        return error
    if error.code >= 500:
        _rollback()
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    message = CSRF_MESSAGE if isinstance(error, CSRFError) else None
    return render_error(error.code, headers, message=message)


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached right now (try again later)."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeoutError):
        return True
    return bool(getattr(error, "connection_invalidated", False))


def _resend_form() -> dict[str, Any] | None:
    """A participant's posted form, to send again from the 503 page (None for other requests:
    staff forms may hold passwords, and files cannot be sent back)."""
    if request.method != "POST" or request.blueprint not in RESEND_BLUEPRINTS or request.files:
        return None
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    try:
        token = generate_csrf() if current_app.config.get("WTF_CSRF_ENABLED", True) else ""
    except Exception:  # no usable session: the participant reloads the page instead
        current_app.logger.exception("503 page: no CSRF token for the resend form")
        return None
    return {"action": request.full_path.rstrip("?"), "fields": fields, "csrf_token": token}


def handle_database_error(error: SQLAlchemyError) -> ResponseReturnValue:
    """503 when the database is unreachable; any other database error is a 500."""
    _rollback()
    if not is_database_unavailable(error):
        raise error  # Flask logs it and renders the 500 page (or propagates it in tests)
    current_app.logger.warning("database unavailable: %s", type(error).__name__)
    headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER), "Cache-Control": "no-store"}
    resend = None if _wants_json() else _resend_form()
    message = UNAVAILABLE_RESEND_MESSAGE if resend is not None else None
    return render_error(503, headers, message=message, touch_database=False, resend=resend)


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(PoolTimeoutError, handle_database_error)
