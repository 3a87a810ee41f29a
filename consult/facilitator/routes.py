"""The facilitator workspace: consultations, their state, participation numbers, the audit log.

Every page needs a signed-in staff account (anonymous visitors are sent to the sign-in page);
an admin without two-factor sign-in is sent to set it up first (``account``). Every
consultation in a URL is checked against the user's memberships by
``consult.services.permissions``: a consultation that does not exist is 404, one the user may
not see is 403 (the same for every route). Service errors become pages: ``Forbidden`` 403,
``NotFound`` 404, ``Conflict`` (a stale version) and ``InvalidState`` 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from consult.extensions import db
from consult.facilitator.account import guard_staff_blueprint
from consult.facilitator.forms import (
    AuditFilterForm,
    TransitionForm,
    audit_filters,
    audit_query,
)
from consult.models import Consultation, ConsultationState, utcnow
from consult.services import audit, lifecycle, monitoring, permissions
from consult.services.errors import Conflict, InvalidState

bp = Blueprint("facilitator", __name__, url_prefix="/manage")
AUDIT_PAGE = 50  # audit events per page

# Which transitions each state offers (the service checks again).
TRANSITIONS: dict[ConsultationState, tuple[str, ...]] = {
    ConsultationState.DRAFT: ("open",),
    ConsultationState.OPEN: ("close",),
    ConsultationState.CLOSED: ("reopen", "archive"),
    ConsultationState.ARCHIVED: (),
}
STATE_NAMES = {
    ConsultationState.DRAFT: _l("Draft"),
    ConsultationState.OPEN: _l("Open"),
    ConsultationState.CLOSED: _l("Closed"),
    ConsultationState.ARCHIVED: _l("Archived"),
}
TRANSITION_NAMES = {
    "open": _l("Open for answers"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
    "archive": _l("Archive"),
}
DONE = {
    "open": _l("The consultation is open for answers."),
    "close": _l("The consultation is closed."),
    "reopen": _l("The consultation is open again."),
    "archive": _l("The consultation is archived."),
}


@dataclass(frozen=True)
class Summary:
    """A consultation as the workspace pages show it."""

    slug: str
    title: dict[str, str]
    default_language: str
    state: str
    state_name: str
    version: int
    languages: list[str]


def _summary(c: Consultation) -> Summary:
    state = ConsultationState(c.state)
    return Summary(
        slug=c.slug,
        title=dict(c.title or {}),
        default_language=c.default_language,
        state=state.value,
        state_name=str(STATE_NAMES[state]),
        version=c.version,
        languages=list(c.languages),
    )


guard_staff_blueprint(bp)


def _load(slug: str, action: permissions.Action = permissions.Action.VIEW) -> Consultation:
    """The consultation ``slug`` if the user may do ``action`` with it (404, or 403)."""
    return permissions.consultation_for(db.session, current_user, slug, action)


@bp.get("/")
def index() -> str:
    """The consultations the user may see."""
    rows = db.session.scalars(permissions.visible_consultations(current_user)).all()
    return render_template(
        "facilitator/index.html",
        consultations=[_summary(c) for c in rows],
        is_admin=permissions.is_admin(current_user),
        can_create=permissions.can_create_consultation(current_user),
    )


def _consultation_page(
    consultation: Consultation,
    *,
    problems: list[str] | None = None,
    missing: list[dict[str, Any]] | None = None,
    conflict: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    summary = _summary(consultation)
    transitions = (
        [
            {"action": a, "name": str(TRANSITION_NAMES[a])}
            for a in TRANSITIONS[ConsultationState(consultation.state)]
        ]
        if permissions.can_edit(current_user, consultation)
        else []
    )
    return (
        render_template(
            "facilitator/consultation.html",
            consultation=summary,
            transitions=transitions,
            form=TransitionForm(formdata=None),
            problems=problems or [],
            missing=missing or [],
            conflict=conflict,
        ),
        status,
    )


@bp.get("/consultations/<slug>")
def consultation(slug: str) -> ResponseReturnValue:
    """A consultation: its state and the transitions the user may make."""
    return _consultation_page(_load(slug))


@bp.post("/consultations/<slug>/transition")
def transition(slug: str) -> ResponseReturnValue:
    """Open, close, reopen or archive a consultation (refused with reasons, or a conflict)."""
    consultation = _load(slug)
    form = TransitionForm()
    if not form.validate():
        abort(400)
    action, version = form.action.data, form.version.data
    try:
        if action == "open":
            lifecycle.open_consultation(
                db.session, current_user, consultation, utcnow(), expected_version=version
            )
        elif action == "reopen":
            lifecycle.reopen_consultation(
                db.session, current_user, consultation, utcnow(), expected_version=version
            )
        elif action == "close":
            lifecycle.close_consultation(
                db.session, current_user, consultation, expected_version=version
            )
        else:
            lifecycle.archive_consultation(
                db.session, current_user, consultation, expected_version=version
            )
    except lifecycle.OpeningRefused as refused:
        db.session.rollback()
        missing = [
            {"what": m.what, "where": m.where, "languages": ", ".join(m.languages)}
            for m in refused.missing
        ]
        problems = [p for p in refused.problems if not p.startswith("missing translation")]
        return _consultation_page(_load(slug), problems=problems, missing=missing, status=409)
    except Conflict:
        db.session.rollback()
        return render_template("facilitator/conflict.html", slug=slug), 409
    except InvalidState as error:
        db.session.rollback()
        return _consultation_page(_load(slug), problems=[error.message], status=409)
    db.session.commit()
    flash(DONE[action], "success")
    return redirect(url_for(".consultation", slug=slug))


@bp.get("/consultations/<slug>/monitoring")
def monitoring_page(slug: str) -> str:
    """Participation numbers: invited, started, submitted per group and language, per day."""
    consultation = _load(slug)
    numbers = monitoring.monitor(db.session, current_user, consultation)
    median = numbers.median_completion_seconds
    per_day: list[tuple[date, int]] = numbers.submitted_per_day
    return render_template(
        "facilitator/monitoring.html",
        consultation=_summary(consultation),
        total=vars(numbers.total),
        by_group=[vars(g) for g in numbers.by_group],
        by_language=[vars(c) for c in numbers.by_language],
        median_minutes=None if median is None else round(median / 60, 1),
        anonymous=numbers.completion_time_note is not None,
        per_day=per_day,
    )


@bp.get("/audit")
def audit_log() -> str:
    """The audit log, newest first (admins only): filters, and ``?before=<id>`` pages back.

    Filter values that cannot be read give the page with the reasons and no entries (not 400).
    """
    permissions.require_admin(current_user)
    form = AuditFilterForm(formdata=request.args)
    events: list[audit.EventView] = []
    valid = form.validate()
    if valid:
        events = audit.list_events(
            db.session,
            current_user,
            limit=AUDIT_PAGE,
            before=form.before.data,
            **audit_filters(form),
        )
    query = audit_query(form) if valid else {}
    return render_template(
        "facilitator/audit.html",
        events=events,
        form=form,
        valid=valid,
        filtered=bool(query),
        next_before=events[-1].id if len(events) == AUDIT_PAGE else None,
        query=query,
    )
