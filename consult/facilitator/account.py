"""Staff sign-in around Flask-Security: throttling, a real logout, two-factor for admins.

- ``POST /account/login`` is limited per IP address to ``LOGIN_RATE_LIMIT`` (Flask-Limiter);
  a breach gives the 429 page with ``Retry-After``.
- Sessions are signed cookies, so logging out only forgets the cookie in *this* browser: a copy
  of the old cookie would still work. Logout therefore changes the user's ``fs_uniquifier``,
  which invalidates every session and remember cookie of that account (all its devices).
- ``ADMIN_TWO_FACTOR_REQUIRED`` (default on): an admin without two-factor sign-in is sent to
  the two-factor setup page from every staff page until it is set up.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_out
from flask_security import url_for_security

from consult.errors import render_error
from consult.extensions import db, limiter
from consult.models import User
from consult.security import user_datastore
from consult.services.errors import Forbidden, NotFound
from consult.services.permissions import is_admin

LOGIN_ENDPOINT = "security.login"


def login_rate_limit() -> str:
    """The configured limit of sign-in attempts per IP address (``LOGIN_RATE_LIMIT``)."""
    return str(current_app.config.get("LOGIN_RATE_LIMIT", "10/minute"))


def needs_two_factor_setup(user: Any) -> bool:
    """Whether ``user`` is an admin who must set up two-factor sign-in before going on."""
    return (
        bool(current_app.config["ADMIN_TWO_FACTOR_REQUIRED"])
        and is_admin(user)
        and not user.tf_primary_method
    )


def staff_only() -> ResponseReturnValue | None:
    """``before_request`` of staff blueprints: sign-in first; admins set up two-factor first."""
    if not current_user.is_authenticated:
        return redirect(url_for_security("login", next=request.full_path.rstrip("?")))
    if needs_two_factor_setup(current_user):
        flash(_l("Administrators must set up two-factor sign-in first."), "info")
        return redirect(url_for_security("two_factor_setup"))
    return None


def guard_staff_blueprint(bp: Blueprint) -> None:
    """Make ``bp`` a staff blueprint: ``staff_only`` before every view, and the services'
    ``Forbidden`` and ``NotFound`` become the 403 and 404 pages (the transaction rolled back)."""
    bp.before_request(staff_only)
    for error, code in ((Forbidden, 403), (NotFound, 404)):
        bp.register_error_handler(error, _refusal_page(code))


def _refusal_page(code: int) -> Any:
    def handle(_error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        return render_error(code)

    return handle


def _end_all_sessions(_app: Flask, user: Any = None, **_extra: Any) -> None:
    """On logout, invalidate the user's session cookies everywhere (see the module docstring)."""
    if isinstance(user, User):
        user_datastore.set_uniquifier(user)
        db.session.commit()


def init_app(app: Flask) -> None:
    """Throttle the sign-in form and make logout end the session for good."""
    view = app.view_functions[LOGIN_ENDPOINT]
    app.view_functions[LOGIN_ENDPOINT] = limiter.limit(login_rate_limit, methods=["POST"])(view)
    user_logged_out.connect(_end_all_sessions, app)
