"""Invitation pages: the list, a CSV upload with its preview, creation, revocation and e-mail.

Only editors of a consultation (its facilitators and admins) use these pages: invitations hold
personal data, so analysts get 403 like outsiders.

**From preview to creation.** The upload is parsed and shown as a preview; nothing is written.
An error-free preview carries the uploaded CSV to the confirm step in a hidden field, signed
with the app's secret key (itsdangerous, its own salt) together with the consultation, the user
and the number of rows the preview showed, for at most ``SEAL_MAX_AGE``. The confirm step
refuses a payload whose signature, consultation or user does not match (400, nothing created),
then parses the same bytes again against the database as it is *now* — an address invited
meanwhile is an error again — and imports only an error-free list of the same length. Why not
Flask's session: it is a signed cookie of about 4 KB, and a list may be 2 MB
(``MAX_CSV_BYTES``); why not the server: no table may be added, and a file of personal data left
behind by an abandoned preview would need cleaning. The form is URL-encoded, so Werkzeug's
per-field ``MAX_FORM_MEMORY_SIZE`` (multipart only) does not apply; ``MAX_CONTENT_LENGTH``
does, and a signed 2 MB list (compressed by itsdangerous) stays well below it.

**Personal links exist once.** Tokens are stored only hashed, so — as ``consult invite`` writes
its links file in the command that creates them — the links CSV exists only in the response to
the request that created the invitations (or rotated their tokens, for reminders). That page
embeds it as a ``data:`` link with a ``download`` attribute: no second request, nothing kept on
the server, and the response is ``Cache-Control: no-store``. Reloading re-sends the
confirmation, which is then refused (everyone is already invited): the links cannot be had
again, only replaced by a reminder.

**E-mail** (only when ``MAIL_SERVER`` and a sender are configured): the preview offers "create
and e-mail"; the invitations are committed first, then sent (as the command line does), so a
failed batch never loses an invitation whose link is in the CSV. Reminders give everyone who
has not answered a new link by e-mail; the page after them offers the new links' CSV.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired

from consult.errors import render_error
from consult.extensions import db
from consult.facilitator.routes import bp
from consult.facilitator.transfer import import_page_too_large  # also registers its routes
from consult.models import Consultation, ConsultationState, utcnow
from consult.services import permissions
from consult.services.errors import Conflict, InvalidState, NotFound
from consult.services.invitation_csv import MAX_CSV_BYTES, CsvIssue, CsvPreview
from consult.services.invitations import (
    SendReport,
    create_invitations,
    find_invitation,
    invitation_links_csv,
    list_invitations,
    parse_invitation_csv,
    pending_reminders,
    revoke_invitation,
    send_invitations,
    send_reminders,
)
from consult.services.mail import Mailer, MailSettings

PAGE_SIZE = 200
SEAL_SALT = "consult.invitation-list"
SEAL_MAX_AGE = 6 * 3600  # seconds between the preview and its confirmation

STATUS_NAMES = {
    "pending": _l("Not e-mailed"),
    "sent": _l("E-mailed, not started"),
    "opened": _l("In progress"),
    "submitted": _l("Answered"),
    "bounced": _l("E-mail bounced"),
    "revoked": _l("Revoked"),
}
STATE_WORDS = {"closed": _l("closed"), "archived": _l("archived")}
ISSUES = {
    "too_large": _l("The file is larger than %(limit)s MB."),
    "not_utf8": _l("The file is not UTF-8 text: save it as “CSV UTF-8”."),
    "no_header": _l("The file has no header line."),
    "missing_columns": _l("Missing column(s): %(columns)s."),
    "duplicate_column": _l("The column “%(column)s” appears twice."),
    "too_many_rows": _l("More than %(limit)s invitations in one file."),
    "extra_cells": _l("More cells than the header has columns."),
    "empty_line": _l("Empty line skipped."),
    "unknown_column": _l("Column “%(column)s” ignored."),
    "line_break": _l("The column “%(column)s” contains a line break."),
    "too_long": _l("The column “%(column)s” is longer than %(limit)s characters."),
    "no_contact": _l("Give an organisation or a contact name."),
    "missing_email": _l("The e-mail address is missing."),
    "bad_email": _l("“%(value)s” is not a valid e-mail address: %(reason)s."),
    "duplicate_email": _l("%(value)s appears already on line %(other)s."),
    "already_invited": _l("%(value)s is already invited to this consultation."),
    "missing_group": _l("The stakeholder group is missing."),
    "unknown_group": _l("Unknown stakeholder group “%(value)s” (use one of: %(choices)s)."),
    "ambiguous_group": _l("“%(value)s” names more than one stakeholder group (%(choices)s)."),
    "unknown_language": _l(
        "The language “%(value)s” is not offered by this consultation (%(choices)s)."
    ),
    "formula": _l(
        "The column “%(column)s” starts with “%(start)s”: it is kept as text, never as a formula."
    ),
}


# --- forms -----------------------------------------------------------------------------------


class InvitationUploadForm(FlaskForm):
    """A CSV file of people to invite."""

    file = FileField(_l("Invitation list (CSV)"), validators=[FileRequired()])


class InvitationConfirmForm(FlaskForm):
    """Create the invitations of a checked list; ``action`` is the button pressed."""

    payload = HiddenField(validators=[InputRequired()])
    action = HiddenField(validators=[InputRequired(), AnyOf(("create", "send"))])


class InvitationActionForm(FlaskForm):
    """A bare form: the CSRF token of the revoke and reminder buttons."""


# --- helpers ---------------------------------------------------------------------------------


def _load(slug: str) -> Consultation:
    """The consultation ``slug`` if the user may edit it (404, or 403)."""
    return permissions.consultation_for(db.session, current_user, slug, permissions.Action.EDIT)


def _view(c: Consultation) -> dict[str, Any]:
    return {
        "slug": c.slug,
        "title": dict(c.title or {}),
        "default_language": c.default_language,
        "languages": list(c.languages),
        "state": ConsultationState(c.state).value,
    }


def _inviting(c: Consultation) -> bool:
    return ConsultationState(c.state) not in (ConsultationState.CLOSED, ConsultationState.ARCHIVED)


def _mail_settings() -> MailSettings | None:
    """The SMTP settings, or None when e-mail is not configured."""
    try:
        return MailSettings.from_config(current_app.config)
    except InvalidState:
        return None


def _base_url() -> str:
    return str(current_app.config["BASE_URL"])


def _issue(issue: CsvIssue) -> dict[str, Any]:
    params = dict(issue.params)
    if "start" in params:  # a tab or carriage return, shown as \t or \r
        params["start"] = str(params["start"]).encode("unicode_escape").decode("ascii")
    template = ISSUES.get(issue.code)
    message = str(template) % params if template is not None else issue.message
    return {"line": issue.line, "message": message}


def _as_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # an int4 id
        raise NotFound("no such invitation")
    return int(raw)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=SEAL_SALT)


def _seal(consultation: Consultation, data: bytes, rows: int) -> str:
    """The checked list, signed for this consultation, this user and this number of rows."""
    return _serializer().dumps(
        {
            "consultation": consultation.id,
            "user": current_user.id,
            "rows": rows,
            "csv": data.decode("utf-8"),  # a list without errors is UTF-8 text
        }
    )


def _unseal(payload: str, consultation: Consultation) -> tuple[bytes, int]:
    """The list and its row count from a sealed payload (400 unless it was sealed here)."""
    try:
        value = _serializer().loads(payload, max_age=SEAL_MAX_AGE)
    except SignatureExpired:
        abort(_refused(_("This confirmation has expired: upload the file again.")))
    except BadSignature:
        abort(_refused(_("This confirmation cannot be verified: upload the file again.")))
    if (
        not isinstance(value, dict)
        or value.get("consultation") != consultation.id
        or value.get("user") != current_user.id
        or not isinstance(value.get("rows"), int)
        or not isinstance(value.get("csv"), str)
    ):
        abort(_refused(_("This confirmation cannot be verified: upload the file again.")))
    return value["csv"].encode("utf-8"), int(value["rows"])


def _refused(message: str) -> ResponseReturnValue:
    db.session.rollback()
    return current_app.make_response(render_error(400, message=message))


def _links_href(links: bytes) -> str:
    return "data:text/csv;charset=utf-8;base64," + base64.b64encode(links).decode("ascii")


def _report(report: SendReport) -> dict[str, Any]:
    return {**report.as_dict(), "problems": list(report.problems)}


# --- pages -----------------------------------------------------------------------------------


def _list_page(
    consultation: Consultation,
    *,
    upload_form: InvitationUploadForm | None = None,
    confirm: dict[str, Any] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    listing = list_invitations(
        db.session, current_user, consultation, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    mail_ready = _mail_settings() is not None
    inviting = _inviting(consultation)
    remindable = (
        len(pending_reminders(db.session, consultation))
        if mail_ready and ConsultationState(consultation.state) == ConsultationState.OPEN
        else 0
    )
    return (
        render_template(
            "facilitator/invitations.html",
            consultation=_view(consultation),
            anonymous=listing.anonymous,
            rows=[vars(r) for r in listing.rows],
            counts=[
                {"status": s, "name": str(n), "count": listing.counts.get(s, 0)}
                for s, n in STATUS_NAMES.items()
            ],
            status_names={s: str(n) for s, n in STATUS_NAMES.items()},
            total=listing.total,
            page=page,
            pages=max(1, -(-listing.total // PAGE_SIZE)),
            upload_form=upload_form or InvitationUploadForm(formdata=None),
            action_form=InvitationActionForm(formdata=None),
            inviting=inviting,
            mail_ready=mail_ready,
            remindable=remindable,
            confirm=confirm,
            problem=problem,
            limit_mb=MAX_CSV_BYTES // 2**20,
        ),
        status,
    )


def _preview_page(
    consultation: Consultation,
    preview: CsvPreview,
    data: bytes,
    *,
    filename: str | None,
    problem: str | None = None,
    status: int | None = None,
) -> ResponseReturnValue:
    ok = preview.ok and problem is None
    return (
        render_template(
            "facilitator/invitation_preview.html",
            consultation=_view(consultation),
            filename=filename,
            ok=ok,
            rows=[vars(r) for r in preview.rows],
            errors=[_issue(i) for i in preview.errors],
            error_lines=sorted({i.line for i in preview.errors if i.line}),
            warnings=[_issue(i) for i in preview.warnings],
            notes=[_issue(i) for i in preview.notes],
            problem=problem,
            payload=_seal(consultation, data, len(preview.rows)) if ok else None,
            form=InvitationConfirmForm(formdata=None),
            upload_form=InvitationUploadForm(formdata=None),
            mail_ready=_mail_settings() is not None,
            limit_mb=MAX_CSV_BYTES // 2**20,
        ),
        status or (200 if ok else 422),
        {"Cache-Control": "no-store"},  # the list's personal data, sealed in the form
    )


def _links_page(
    consultation: Consultation,
    *,
    kind: str,
    count: int,
    links: bytes | None,
    report: SendReport | None,
) -> ResponseReturnValue:
    today = date.today().isoformat()
    html = render_template(
        "facilitator/invitations_created.html",
        consultation=_view(consultation),
        kind=kind,
        count=count,
        links_href=_links_href(links) if links is not None else None,
        links_filename=f"{consultation.slug}-{'reminded' if kind == 'reminded' else 'links'}"
        f"-{today}.csv",
        report=_report(report) if report is not None else None,
    )
    return html, 200, {"Cache-Control": "no-store"}


@bp.get("/consultations/<slug>/invitations")
def invitations(slug: str) -> ResponseReturnValue:
    """The invitations of a consultation with their states, an upload form and e-mail buttons."""
    return _list_page(_load(slug))


@bp.post("/consultations/<slug>/invitations/upload")
def upload_invitations(slug: str) -> ResponseReturnValue:
    """Check an uploaded invitation list and show the preview (nothing is written)."""
    consultation = _load(slug)
    form = InvitationUploadForm()
    if not form.validate():
        return _list_page(consultation, upload_form=form, status=422)
    upload = form.file.data
    data = upload.read(MAX_CSV_BYTES + 1)
    preview = parse_invitation_csv(consultation, data)
    db.session.rollback()  # the parse only read
    problem = None if _inviting(consultation) else _closed_message(consultation)
    return _preview_page(consultation, preview, data, filename=upload.filename, problem=problem)


def _closed_message(consultation: Consultation) -> str:
    return _(
        "This consultation is %(state)s: nobody can be invited any more.",
        state=str(STATE_WORDS.get(ConsultationState(consultation.state).value, "")),
    )


@bp.post("/consultations/<slug>/invitations/confirm")
def confirm_invitations(slug: str) -> ResponseReturnValue:
    """Create the invitations of a checked list; optionally e-mail them their links."""
    consultation = _load(slug)
    form = InvitationConfirmForm()
    if not form.validate():
        return _refused(_("This confirmation cannot be verified: upload the file again."))
    data, rows = _unseal(form.payload.data, consultation)
    preview = parse_invitation_csv(consultation, data)
    if not preview.ok or len(preview.rows) != rows:
        db.session.rollback()
        problem = _("The list no longer matches what you checked: nothing was imported.")
        return _preview_page(
            consultation, preview, data, filename=None, problem=problem, status=409
        )
    settings = _mail_settings() if form.action.data == "send" else None
    if form.action.data == "send" and settings is None:
        return _refused(_("E-mail is not configured on this server."))
    try:
        issued = create_invitations(db.session, consultation, preview, current_user)
    except (Conflict, InvalidState) as error:
        db.session.rollback()
        problem = _closed_message(consultation) if not _inviting(consultation) else error.message
        return _preview_page(
            consultation, preview, data, filename=None, problem=problem, status=409
        )
    links = invitation_links_csv(issued, _base_url())
    db.session.commit()  # the invitations exist before any e-mail names their links
    report = None
    if settings is not None:
        with Mailer(settings) as mailer:
            report = send_invitations(
                db.session, consultation, issued, mailer, _base_url(), current_user, utcnow()
            )
        db.session.commit()
    return _links_page(consultation, kind="created", count=len(issued), links=links, report=report)


@bp.post("/consultations/<slug>/invitations/remind")
def remind_invitations(slug: str) -> ResponseReturnValue:
    """E-mail a new personal link to everyone who has not answered (the old link stops)."""
    consultation = _load(slug)
    if not InvitationActionForm().validate():
        abort(400)
    settings = _mail_settings()
    if settings is None:
        return _list_page(
            consultation, problem=_("E-mail is not configured on this server."), status=409
        )
    try:
        with Mailer(settings) as mailer:
            report = send_reminders(
                db.session, consultation, mailer, _base_url(), current_user, utcnow()
            )
    except InvalidState:
        db.session.rollback()
        problem = _("Reminders can be sent only while the consultation takes answers.")
        return _list_page(consultation, problem=problem, status=409)
    links = invitation_links_csv(report.issued, _base_url()) if report.issued else None
    db.session.commit()
    return _links_page(
        consultation, kind="reminded", count=len(report.issued), links=links, report=report
    )


@bp.route("/consultations/<slug>/invitations/<invitation_id>/revoke", methods=["GET", "POST"])
def revoke(slug: str, invitation_id: str) -> ResponseReturnValue:
    """Ask to confirm (GET), then revoke an invitation (POST): its link stops working."""
    consultation = _load(slug)
    invitation = find_invitation(db.session, consultation, _as_id(invitation_id))
    who = invitation.name or invitation.organisation or invitation.email or str(invitation.id)
    if request.method == "GET":
        confirm = {
            "id": invitation.id,
            "who": who,
            "email": invitation.email,
            "revoked": invitation.status == "revoked",
        }
        return _list_page(consultation, confirm=confirm)
    if not InvitationActionForm().validate():
        abort(400)
    try:
        revoke_invitation(db.session, invitation, current_user)
    except InvalidState:
        db.session.rollback()
        flash(_("This invitation was revoked already."), "info")
        return redirect(url_for(".invitations", slug=slug))
    db.session.commit()
    flash(_("The invitation of %(who)s is revoked: its link no longer works.", who=who), "success")
    return redirect(url_for(".invitations", slug=slug))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """An upload over ``MAX_CONTENT_LENGTH``: say so (on the import form, for the import)."""
    db.session.rollback()
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return render_error(413)
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = _("The file is larger than %(limit)s MB: nothing was imported.", limit=limit // 2**20)
    if request.endpoint == "facilitator.import_consultation_page" and current_user.is_authenticated:
        return import_page_too_large(message)
    return render_error(413, message=message)


UPLOAD_ENDPOINTS = ("facilitator.upload_invitations", "facilitator.import_consultation_page")
