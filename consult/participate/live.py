"""The phones' side of a live workshop session (blueprint ``live``), for anyone in the room.

- ``/live`` (GET): type the code shown on the screen; ``?code=`` goes to the session (an unknown
  or ended code gives the form again, with what was typed and why).
- ``/live/<code>`` (GET): joining (one response per phone per session, kept in the session
  cookie), then the current question; POST answers it (CSRF-protected, POST-redirect-GET).
  After answering the page says so and waits for the next question: ``live.js`` asks
  ``/live/<code>/state`` every 2 seconds; without JavaScript a link checks again.

The page speaks the session's language unless the participant chose another with ``?lang=``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask import session as cookie
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from consult.extensions import db
from consult.i18n import QUERY_ARG, normalize_language
from consult.models import LiveSession, LiveState, ResponseState, utcnow
from consult.participate import pages
from consult.participate.forms import PageForm
from consult.participate.routes import csrf_failed, csrf_recovery, private_pages, remember
from consult.services import live
from consult.services.errors import InvalidState, NotFound

bp = Blueprint("live", __name__, url_prefix="/live")
bp.register_error_handler(CSRFError, csrf_recovery)
bp.after_request(private_pages)

COOKIE_KEY = "live"  # session: {live session id: {"r": response id, "lang": code}}
MAX_CODE_INPUT = 64

UNKNOWN_CODE = _l(
    "No live session has this code. Check the code on the screen and type it again: it has "
    "6 letters and digits, like K7M2QD."
)
ENDED_CODE = _l("This live session has ended. Thank you for taking part.")
CLOSED_QUESTION = _l(
    "This question is closed: the facilitator has moved on, so your answer was not saved. "
    "Here is the current question."
)
SESSION_EXPIRED = _l(
    "Your session had expired, so your answer was not saved. Choose it again and send it."
)


def _remembered(live_session: LiveSession) -> dict[str, Any]:
    return dict((cookie.get(COOKIE_KEY) or {}).get(str(live_session.id)) or {})


def _remember(live_session: LiveSession, **values: Any) -> None:
    remember(COOKIE_KEY, live_session.id, {**_remembered(live_session), **values})


def _language(live_session: LiveSession) -> str:
    """The page's language: ``?lang=`` (remembered for this session), else the session's."""
    supported = current_app.config["LANGUAGES"]
    requested = normalize_language(request.args.get(QUERY_ARG), supported)
    if requested:
        if _remembered(live_session).get("lang") != requested:
            _remember(live_session, lang=requested)
        return requested
    chosen = _remembered(live_session).get("lang")
    return str(chosen) if chosen in supported else live_session.language


def _read_only() -> None:
    """Read without taking SQLite's write lock (``BEGIN`` instead of ``BEGIN IMMEDIATE``): 150
    phones polling must not queue behind each other. Nothing may be written afterwards."""
    if not db.session().in_transaction():
        db.session.connection(execution_options={"consult_deferred": True})


@bp.get("")
def join() -> ResponseReturnValue:
    """Type the code shown on the screen (``?code=`` goes to the session)."""
    typed = (request.args.get("code") or "")[:MAX_CODE_INPUT]
    if "code" not in request.args:
        return render_template("live/join.html", typed="", error=None)
    try:
        found = live.find_session(db.session, typed)
    except NotFound:
        return render_template("live/join.html", typed=typed, error=UNKNOWN_CODE), 404
    if found.state != LiveState.RUNNING:
        return render_template("live/join.html", typed=typed, error=ENDED_CODE), 410
    return redirect(url_for(".phone", code=found.join_code), 303)


def _ended(live_session: LiveSession) -> ResponseReturnValue:
    response = live.own_response(db.session, live_session, _remembered(live_session).get("r"))
    receipt = (
        response.receipt_code
        if response is not None and response.state == ResponseState.SUBMITTED
        else None
    )
    with force_locale(_language(live_session)):
        return render_template("live/ended.html", receipt=receipt), 410


@bp.route("/<code>", methods=["GET", "POST"])
def phone(code: str) -> ResponseReturnValue:
    """Join the session and answer its current question."""
    _read_only()  # a POST reads first too: its write is a short transaction of its own
    try:
        live_session = live.find_session(db.session, code[:MAX_CODE_INPUT])
    except NotFound:
        return render_template(
            "live/join.html", typed=code[:MAX_CODE_INPUT], error=UNKNOWN_CODE
        ), 404
    if live_session.join_code != code:
        return redirect(url_for(".phone", code=live_session.join_code))
    if live_session.state != LiveState.RUNNING:
        return _ended(live_session)
    language = _language(live_session)
    now = utcnow()
    response = live.own_response(db.session, live_session, _remembered(live_session).get("r"))
    if response is None:  # joining writes: a short transaction of its own
        db.session.rollback()
        live_session = live.find_session(db.session, code)
        try:
            response = live.join(db.session, live_session, None, language, now)
        except InvalidState:
            db.session.rollback()
            return _ended(live.find_session(db.session, code))
        _remember(live_session, r=response.id)
        response_id = response.id
        db.session.commit()
        _read_only()
        live_session = live.find_session(db.session, code)
        response = live.own_response(db.session, live_session, response_id)
        if response is None or live_session.state != LiveState.RUNNING:
            return _ended(live_session)
    room = live.room(db.session, live_session, language)
    errors: list[Any] = []
    raw: dict[str, list[str]] | None = None
    notice = None
    status = 200
    if request.method == "POST" and not csrf_failed():
        form = PageForm()
        if not form.validate():
            db.session.rollback()
            return redirect(url_for(".phone", code=code), 303)
        try:
            with force_locale(language):
                parsed = live.parse_answer(
                    live_session,
                    room.current,
                    request.form.get("question", ""),
                    request.form,
                    response.id,
                )
            if not parsed.errors:
                # read what is needed, then write in a short transaction of its own
                stamp = live.answer_time(db.session, live_session, now)
                live_id, response_id = live_session.id, response.id
                db.session.rollback()
                live.store_answer(db.session, live_id, response_id, parsed, stamp)
                db.session.commit()
                return redirect(url_for(".phone", code=code), 303)
        except live.QuestionClosed:
            db.session.rollback()
            _read_only()
            notice, status = CLOSED_QUESTION, 409
            live_session = live.find_session(db.session, code)
            response = live.own_response(db.session, live_session, response.id) or response
        except InvalidState:
            db.session.rollback()
            return _ended(live.find_session(db.session, code))
        else:
            errors, raw, status = parsed.errors, parsed.raw, 400
    elif request.method == "POST":
        notice, status, raw = SESSION_EXPIRED, 400, None
    if notice is not None:  # the question changed meanwhile: show the current one
        room = live.room(db.session, live_session, language)
    q = room.current
    value = live.phone_value(db.session, response, q) if q is not None else None
    answered = value is not None and not errors
    change = request.args.get("change") == "1" or notice is not None
    with force_locale(language):
        views = pages.question_views([q], {q.code: value}, response.id, errors, raw) if q else []
        context = {
            "room": room,
            "qv": views[0] if views else None,
            "answered": answered,
            "show_form": q is not None and (not answered or change or bool(errors)),
            "summary": pages.summary_links(views, errors),
            "notice_text": notice,
            "form": PageForm(),
            "content_lang": pages.language_attrs(room.language, language),
            "state_url": url_for(".state", code=live_session.join_code),
            "page_url": url_for(".phone", code=live_session.join_code),
        }
        db.session.commit()
        return render_template("live/phone.html", **context), status


@bp.get("/<code>/state")
def state(code: str) -> ResponseReturnValue:
    """The session's state for the phones' polling: running or ended, the current question."""
    _read_only()
    try:
        state, question = live.session_state(db.session, code[:MAX_CODE_INPUT])
    except NotFound:
        return jsonify(error="not_found"), 404
    reply = jsonify(state=state.value, question=question)
    db.session.rollback()
    return reply
