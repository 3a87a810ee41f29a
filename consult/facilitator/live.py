"""Live workshop pages of the workspace (on ``bp``): start a session, lead it, project it.

- ``/live`` (GET): the consultation's sessions; members who may view. POST starts a session on
  the current round: editors only.
- ``/live/<id>`` (GET): the control page (current question, previous/next, phones joined and
  answered, end); ``/live/<id>/move`` and ``/live/<id>/end`` (POST): editors only.
- ``/live/<id>/projector`` (GET): the page for the room's screen, in the session's language
  (right-to-left for Arabic) whatever the viewer's interface language: join code, QR code,
  current question and its aggregate; ``/live/<id>/results`` (GET) is its results region,
  fetched again every second by ``live.js``. Members who may view.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import segno
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import AnyOf, InputRequired, Optional

from consult.extensions import db
from consult.facilitator.routes import _load, _summary, bp
from consult.i18n import current_language, language_name, text_direction
from consult.models import Consultation, LiveSession, utcnow
from consult.participate import pages
from consult.services import live, permissions
from consult.services.errors import InvalidState
from consult.services.participation import build_survey

EDIT = permissions.Action.EDIT
VIEW = permissions.Action.VIEW


class StartForm(FlaskForm):
    """Start a live session: the language of the room."""

    language = SelectField(_l("Language of the session"), choices=[], validate_choice=True)


class MoveForm(FlaskForm):
    """Show the next or previous question; ``current`` is the question the page showed."""

    action = HiddenField(validators=[InputRequired(), AnyOf(("next", "previous"))])
    current = IntegerField(validators=[Optional()])


class EndForm(FlaskForm):
    """End the session (the CSRF token of a button)."""


START_REFUSED = {
    "this consultation is closed": _l(
        "The consultation is not taking answers now: open it before starting a live session."
    ),
    "a live session of this consultation is already running": _l(
        "A live session of this consultation is already running: end it first."
    ),
    "the current round has no question that can be asked live": _l(
        "The current round has no question that can be asked live (single or multiple choice, "
        "rating, ranking or points)."
    ),
}


def _session(consultation: Consultation, session_id: int) -> LiveSession:
    return live.session_of(db.session, consultation, session_id)


def join_url(code: str) -> str:
    """The address a phone opens: ``<BASE_URL>/live/<code>``."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for("live.phone", code=code)


def qr_svg(url: str, title: str) -> Markup:
    """The QR code of ``url`` as an inline ``<svg>`` (no style attribute: the CSP allows it)."""
    qr = segno.make(url, error="m")
    return Markup(qr.svg_inline(scale=1, omitsize=True, title=title, svgclass="live-qr__code"))  # noqa: S704  (segno's own markup; the title is escaped by segno)


@bp.route("/consultations/<slug>/live", methods=["GET", "POST"])
def live_sessions(slug: str) -> ResponseReturnValue:
    """The consultation's live sessions; editors start one here."""
    consultation = _load(slug, VIEW)
    can_edit = permissions.can_edit(current_user, consultation)
    form = StartForm()
    form.language.choices = [(c, language_name(c)) for c in consultation.languages]
    if request.method == "GET":
        form.language.data = consultation.default_language
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if not can_edit:
            _load(slug, EDIT)  # 403
        if form.validate():
            try:
                started = live.start_session(
                    db.session, current_user, consultation, form.language.data or "", utcnow()
                )
            except InvalidState as error:
                db.session.rollback()
                problems = [str(START_REFUSED.get(error.message, error.message))]
                status = 409
            else:
                session_id = started.id
                db.session.commit()
                return redirect(url_for(".live_control", slug=slug, session_id=session_id), 303)
        else:
            status = 422
    running = live.running_session(db.session, consultation)
    return render_template(
        "live/sessions.html",
        consultation=_summary(consultation),
        sessions=live.sessions_of(db.session, consultation),
        language_name=language_name,
        running_id=running.id if running else None,
        can_edit=can_edit,
        form=form,
        problems=problems,
    ), status


def _status_context(consultation: Consultation, session: LiveSession) -> dict[str, Any]:
    round_ = live.live_round(db.session, session)
    survey = build_survey(db.session, round_, session.language)
    state = live.status(db.session, session, survey)
    return {
        "consultation": _summary(consultation),
        "live": live.view(session, round_),
        "status": state,
        "results": live.results(db.session, session, state.question) if state.question else None,
        "skipped": live.skipped_questions(survey),
        "language_name": language_name,
        "content_lang": pages.language_attrs(session.language, current_language()),
    }


@bp.get("/consultations/<slug>/live/<int:session_id>")
def live_control(slug: str, session_id: int) -> ResponseReturnValue:
    """The facilitator's control page of a live session."""
    consultation = _load(slug, EDIT)
    session = _session(consultation, session_id)
    context = _status_context(consultation, session)
    return render_template(
        "live/control.html",
        **context,
        control=True,
        join_url=join_url(session.join_code),
        move_form=MoveForm(formdata=None),
        end_form=EndForm(formdata=None),
    )


@bp.post("/consultations/<slug>/live/<int:session_id>/move")
def live_move(slug: str, session_id: int) -> ResponseReturnValue:
    """Show the next or the previous live question."""
    consultation = _load(slug, EDIT)
    session = _session(consultation, session_id)
    form = MoveForm()
    if not form.validate():
        abort(400)
    try:
        live.move(
            db.session,
            current_user,
            consultation,
            session,
            1 if form.action.data == "next" else -1,
            form.current.data,
        )
    except InvalidState:
        db.session.rollback()
        flash(_("This live session has ended."), "error")
    else:
        db.session.commit()
    return redirect(url_for(".live_control", slug=slug, session_id=session_id), 303)


@bp.post("/consultations/<slug>/live/<int:session_id>/end")
def live_end(slug: str, session_id: int) -> ResponseReturnValue:
    """End a live session."""
    consultation = _load(slug, EDIT)
    session = _session(consultation, session_id)
    if not EndForm().validate():
        abort(400)
    kept = live.end_session(db.session, current_user, consultation, session, utcnow())
    db.session.commit()
    flash(
        _("The live session has ended: %(count)s phones' answers are kept.", count=kept),
        "success",
    )
    return redirect(url_for(".live_sessions", slug=slug), 303)


@bp.get("/consultations/<slug>/live/<int:session_id>/projector")
def live_projector(slug: str, session_id: int) -> ResponseReturnValue:
    """The room's screen, in the session's language."""
    consultation = _load(slug, VIEW)
    session = _session(consultation, session_id)
    url = join_url(session.join_code)
    with force_locale(session.language):
        context = _status_context(consultation, session)
        return render_template(
            "live/projector.html",
            **context,
            join_url=url,
            join_page=current_app.config["BASE_URL"].rstrip("/") + url_for("live.join"),
            qr=qr_svg(url, _("QR code to join the session")),
            language=session.language,
            direction=text_direction(session.language),
        )


@bp.get("/consultations/<slug>/live/<int:session_id>/results")
def live_results(slug: str, session_id: int) -> ResponseReturnValue:
    """The results region of the projector (``?for=control``: of the control page)."""
    consultation = _load(slug, VIEW)
    session = _session(consultation, session_id)
    control = request.args.get("for") == "control"  # else the projector's, in its language
    with nullcontext() if control else force_locale(session.language):
        context = _status_context(consultation, session)
        return render_template("live/_results.html", **context, control=control)
