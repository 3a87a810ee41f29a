"""Analyst routes: open answers, filtered, and the quotes selected for the report.

``GET /open-text`` lists a round's open answers (query string: ``round``, ``question``,
``language``, ``group``, ``q`` for "contains", ``page``); it never shows who answered. The
page's forms post to the same address with the same query string (so the filters survive):
``action`` = ``select`` (with ``text``, the edited quote), ``edit`` or ``unselect``, and
``answer_id``. Everything works without JavaScript; each answer and quote carries the ``lang``
and ``dir`` of the response's language.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional

from consult.analyst.routes import bp, load
from consult.extensions import db
from consult.i18n import current_language, language_name, text_direction
from consult.models import Consultation
from consult.services import open_text
from consult.services.consultations import localized
from consult.services.errors import Conflict

ACTIONS = ("select", "edit", "unselect")
FILTER_ARGS = ("round", "question", "language", "group", "q", "page")
DONE = {
    "select": _l("The answer is selected for the report."),
    "edit": _l("The quote is saved."),
    "unselect": _l("The quote is removed from the report. The answer itself is unchanged."),
}


class QuoteForm(FlaskForm):
    """Select an answer as a quote, edit the quote, or remove it (CSRF-protected)."""

    action = HiddenField(validators=[InputRequired(), AnyOf(ACTIONS)])
    answer_id = IntegerField(validators=[InputRequired(), NumberRange(1, 2**31 - 1)])  # an int4 id
    text = TextAreaField(validators=[Optional()])


def _consultation(c: Consultation) -> dict[str, Any]:
    return {"slug": c.slug, "title": dict(c.title or {}), "default_language": c.default_language}


def _whole(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def _filters(args: MultiDict[str, str]) -> dict[str, Any]:
    """The filters of the query string (unknown values are checked by the service)."""
    return {
        "round": _whole(args.get("round")),
        "question": (args.get("question") or "").strip() or None,
        "language": (args.get("language") or "").strip() or None,
        "group": (args.get("group") or "").strip() or None,
        "q": (args.get("q") or "").strip()[: open_text.MAX_CONTAINS] or None,
        "page": _whole(args.get("page")) or 1,
    }


def _filter_message(error: open_text.InvalidFilter) -> str:
    messages = {
        "round": _("Choose one of the rounds listed."),
        "question": _("Choose one of the questions listed."),
        "language": _("Choose one of the languages listed."),
        "group": _("Choose one of the stakeholder groups listed."),
    }
    return messages.get(error.field, _("This choice is not valid."))


def _quote_message(error: open_text.InvalidQuote) -> str:
    if error.reason == "too_long":
        return _("Shorten the quote to %(max)s characters.", max=open_text.MAX_QUOTE)
    return _("Enter the text of the quote.")


def _page(
    consultation: Consultation,
    args: MultiDict[str, str],
    *,
    error: dict[str, Any] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The open-text page for the filters in ``args`` (``error``: a refused quote form)."""
    language = current_language()
    chosen = _filters(args)
    unknown = _("No group stated")
    notice = None
    round_number = chosen["round"]
    try:
        questions = open_text.open_text_questions(
            db.session, consultation, round_number=round_number, language=language
        )
    except open_text.InvalidFilter as refused:
        notice, status, round_number = _filter_message(refused), 400, None
        questions = open_text.open_text_questions(db.session, consultation, language=language)
    allowed = open_text.filterable_groups(db.session, consultation, round_number=round_number)
    names = {
        g.code: localized(g.name or {}, language, consultation.default_language)
        for g in consultation.stakeholder_groups
    }
    names[open_text.UNKNOWN_GROUP] = unknown
    k = consultation.min_group_size
    result = None
    if notice is None:
        try:
            result = open_text.list_open_answers(
                db.session,
                current_user,
                consultation,
                round_number=round_number,
                question_code=chosen["question"],
                language=chosen["language"],
                group=chosen["group"],
                contains=chosen["q"],
                page=chosen["page"],
                label_language=language,
                group_names={open_text.UNKNOWN_GROUP: unknown},
            )
        except open_text.SmallGroup as refused:
            notice = _(
                "Fewer than %(k)s people of this stakeholder group answered, so their answers "
                "cannot be filtered on their own (small groups are protected). Choose another "
                "group or all groups.",
                k=refused.k,
            )
        except open_text.InvalidFilter as refused:
            notice, status = _filter_message(refused), 400
    rounds = [r.number for r in consultation.rounds]
    shown_round = result.round_number if result is not None else round_number
    if shown_round is None and rounds:
        shown_round = rounds[-1]
    query = {name: value for name, value in chosen.items() if value not in (None, "")}
    query.pop("page", None)
    if shown_round is not None:
        query["round"] = shown_round

    def page_url(number: int) -> str:
        return url_for(".open_text_page", slug=consultation.slug, **query, page=number)

    quotes = open_text.selected_quotes(db.session, consultation, label_language=language)
    context = {
        "consultation": _consultation(consultation),
        "filters": chosen,
        "rounds": rounds,
        "round_number": shown_round,
        "questions": [{"code": q.code, "text": q.text} for q in questions],
        "languages": [
            {"code": code, "name": language_name(code), "dir": text_direction(code)}
            for code in consultation.languages
        ],
        "groups": [
            {"code": code, "name": names.get(code, code), "allowed": ok}
            for code, ok in allowed.items()
        ],
        "language_names": {
            code: language_name(code)
            for code in {
                *consultation.languages,
                *(a.language for a in (result.answers if result else [])),
                *(q.language for q in quotes),
            }
        },
        "k": k,
        "notice": notice,
        "result": result,
        "quotes": quotes,
        "error": error,
        "page_url": page_url,
        "action_url": url_for(
            ".open_text_change", slug=consultation.slug, **query, page=chosen["page"]
        ),
        "max_length": open_text.MAX_QUOTE,
    }
    return render_template("analyst/open_text.html", **context), status


@bp.get("/open-text")
def open_text_page(slug: str) -> ResponseReturnValue:
    """A round's open answers, filtered by question, language, group and text."""
    return _page(load(slug), request.args)


@bp.post("/open-text")
def open_text_change(slug: str) -> ResponseReturnValue:
    """Select an answer as a quote, edit a quote, or remove it from the report."""
    consultation = load(slug)
    form = QuoteForm()
    if not form.validate():
        abort(400)
    action, answer_id = form.action.data, int(form.answer_id.data)
    text = form.text.data or ""
    try:
        if action == "select":
            open_text.select_quote(db.session, current_user, consultation, answer_id, text)
        elif action == "edit":
            open_text.edit_quote(db.session, current_user, consultation, answer_id, text)
        else:
            open_text.unselect_quote(db.session, current_user, consultation, answer_id)
    except open_text.InvalidQuote as refused:
        db.session.rollback()
        error = {
            "answer_id": answer_id,
            "action": action,
            "message": _quote_message(refused),
            "text": text,
        }
        return _page(load(slug), request.args, error=error, status=422)
    except Conflict:
        db.session.rollback()
        flash(_l("This answer is already selected; edit its quote instead."), "error")
        return redirect(_back(slug, f"quote-{answer_id}"))
    db.session.commit()
    flash(DONE[action], "success")
    anchor = {"select": f"answer-{answer_id}", "edit": f"quote-{answer_id}"}.get(action, "quotes")
    return redirect(_back(slug, anchor))


def _back(slug: str, anchor: str) -> str:
    """The page the form came from (same filters), at ``anchor``."""
    query = {
        name: value for name, value in _filters(request.args).items() if value not in (None, "")
    }
    return url_for(".open_text_page", slug=slug, **query, _anchor=anchor)
