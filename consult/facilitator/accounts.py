"""Staff accounts under ``/manage/accounts`` (administrators only, 403 for anyone else).

An admin lists the accounts (e-mail, roles, active, two-factor sign-in), creates one with a
site role and either a typed password or a generated one (shown once, on the page that
follows, never stored in clear), and deactivates or reactivates accounts (not their own).
The services record every change in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from consult.extensions import db
from consult.facilitator import forms
from consult.facilitator.routes import bp
from consult.security import user_datastore
from consult.services import permissions, users
from consult.services.errors import Forbidden, InvalidState, NotFound, ServiceError


def _admins_only(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """403 before anything else for everyone but administrators."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        permissions.require_admin(current_user)
        return view(*args, **kwargs)

    return wrapped


def _as_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # an int4 id
        raise NotFound("no such account")
    return int(raw)


@bp.get("/accounts")
@_admins_only
def accounts() -> str:
    """Every staff account with its roles, whether it is active and uses two-factor sign-in."""
    rows = users.list_accounts(db.session, current_user)
    names = forms.site_role_names()
    return render_template(
        "facilitator/accounts.html",
        accounts=[{**vars(a), "role_names": [str(names.get(r, r)) for r in a.roles]} for a in rows],
        me=current_user.id,
        form=forms.ButtonForm(formdata=None),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@_admins_only
def new_account() -> ResponseReturnValue:
    """Create a staff account; a generated password is shown once on the next page."""
    form = forms.AccountForm()
    english: list[str] = []
    if request.method == "POST":
        if form.validate():
            typed = form.password.data or ""
            password = typed or users.generate_password()
            try:
                user = users.create_account(
                    db.session,
                    user_datastore,
                    current_user,
                    form.email.data,
                    form.role.data,
                    password,
                )
            except (Forbidden, NotFound):
                raise
            except ServiceError as error:
                db.session.rollback()
                english = forms.show_refusal(form, error)
            else:
                email = user.email
                db.session.commit()
                html = render_template(
                    "facilitator/account_created.html",
                    email=email,
                    role_name=forms.site_role_names()[form.role.data],
                    password=None if typed else password,
                )
                return html, 200, {"Cache-Control": "no-store"}
        return (
            render_template(
                "facilitator/account_form.html",
                form=form,
                english=english,
                min_password=users.MIN_PASSWORD_LENGTH,
            ),
            422,
        )
    return render_template(
        "facilitator/account_form.html",
        form=form,
        english=english,
        min_password=users.MIN_PASSWORD_LENGTH,
    )


@bp.post("/accounts/<user_id>/deactivate")
@_admins_only
def deactivate_account(user_id: str) -> ResponseReturnValue:
    """Deactivate an account: it cannot sign in and its sessions end (not your own)."""
    return _set_active(user_id, active=False)


@bp.post("/accounts/<user_id>/reactivate")
@_admins_only
def reactivate_account(user_id: str) -> ResponseReturnValue:
    """Let a deactivated account sign in again."""
    return _set_active(user_id, active=True)


def _set_active(raw_id: str, *, active: bool) -> ResponseReturnValue:
    user = users.get_user(db.session, _as_id(raw_id))
    if not forms.ButtonForm().validate():
        abort(400)
    email = user.email
    try:
        users.set_account_active(db.session, user_datastore, current_user, user, active)
    except InvalidState as error:
        db.session.rollback()
        flash(forms.explain(error).message, "error")
        return redirect(url_for(".accounts"))
    db.session.commit()
    if active:
        flash(_l("%(email)s may sign in again.", email=email), "success")
    else:
        flash(_l("%(email)s is deactivated and can no longer sign in.", email=email), "success")
    return redirect(url_for(".accounts"))
