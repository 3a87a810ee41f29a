"""Views of the questionnaire builder; each parses a form, calls one service, commits once.

Every view loads the consultation in the URL and the service checks that the signed-in user
may edit it (403; 404 for an unknown slug or an id of another consultation). Refused changes
re-render the form with what was typed and the reason.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from consult.builder import forms
from consult.extensions import db
from consult.facilitator.account import guard_staff_blueprint
from consult.i18n import current_language, language_name
from consult.models import Consultation
from consult.participate.pages import language_attrs, question_views
from consult.services import permissions
from consult.services import questionnaire as service
from consult.services.errors import Conflict, InvalidState, NotFound

bp = Blueprint("builder", __name__, url_prefix="/manage/consultations/<slug>")


guard_staff_blueprint(bp)


def _load(slug: str) -> Consultation:
    """The consultation ``slug`` if the user may edit it (404, or 403)."""
    return permissions.consultation_for(db.session, current_user, slug, permissions.Action.EDIT)


def _as_id(raw: str) -> int:
    """A section or question id from the URL (404 unless a positive whole number)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # an int4 id
        raise NotFound("no such section or question")
    return int(raw)


def _posted_rows() -> int:
    raw = request.form.get("option_rows", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 0


def _summary(c: Consultation) -> dict[str, Any]:
    return {
        "slug": c.slug,
        "title": dict(c.title or {}),
        "default_language": c.default_language,
        "languages": list(c.languages),
        "language_names": {code: language_name(code) for code in c.languages},
        "state": c.state.value,
    }


def _error_into(form: Any, field: str, message: str, languages: list[str]) -> None:
    """Attach a service error to the form field it concerns (or to the form)."""
    for name in (field, f"s_{field}", f"{field}_{languages[0]}", "cond_question"):
        if name in form and (name != "cond_question" or field == "condition"):
            form[name].errors = [*form[name].errors, message]
            return
    form.form_errors.append(message)


def _save(form: Any, languages: list[str], data: Any, save: Any) -> int | None:
    """Validate ``form`` and call ``save(expected_fingerprint)``, then commit.

    Returns None when saved, else the status of the page that shows the form again with what
    was typed and why: 409 when someone else saved first (``data`` is what they saved), 422
    for anything refused.
    """
    if not form.validate():
        return 422
    try:
        save(form.fingerprint.data or None)
    except Conflict:
        db.session.rollback()
        forms.mark_conflict(form, data)
        return 409
    except forms.FormInputError as error:
        db.session.rollback()
        form[error.field].errors = [error.message]
        return 422
    except service.InvalidQuestionnaire as error:
        db.session.rollback()
        _error_into(form, error.field, error.message, languages)
        return 422
    except InvalidState as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return 422
    db.session.commit()
    return None


# --- overview ------------------------------------------------------------------------------------


@bp.get("/questionnaire")
def questionnaire(slug: str) -> str:
    """Sections and questions with move, edit and delete buttons."""
    consultation = _load(slug)
    view = service.overview(db.session, current_user, consultation)
    return render_template(
        "builder/questionnaire.html",
        consultation=_summary(consultation),
        overview=view,
        form=forms.ConfirmForm(formdata=None),
    )


@bp.post("/questionnaire/sections/<section_id>/move")
def move_section(slug: str, section_id: str) -> ResponseReturnValue:
    """Move a section up or down."""
    return _move(slug, service.move_section, section_id)


@bp.post("/questionnaire/questions/<question_id>/move")
def move_question(slug: str, question_id: str) -> ResponseReturnValue:
    """Move a question up or down within its section."""
    return _move(slug, service.move_question, question_id)


@bp.post("/questionnaire/questions/<question_id>/section")
def move_question_to_section(slug: str, question_id: str) -> ResponseReturnValue:
    """Move a question to the end of another section."""
    consultation = _load(slug)
    qid = _as_id(question_id)
    form = forms.ConfirmForm()
    if not form.validate():
        abort(400)
    target = request.form.get("section", "")
    well_formed = target.isascii() and target.isdigit() and len(target) <= 9
    section_id = int(target) if well_formed else 0  # 0: no such
    try:
        service.move_question_to_section(db.session, current_user, consultation, qid, section_id)
    except (InvalidState, service.InvalidQuestionnaire) as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".questionnaire", slug=slug))
    db.session.commit()
    flash(_l("The question is moved."), "success")
    return redirect(url_for(".questionnaire", slug=slug))


def _move(slug: str, move: Any, raw_id: str) -> ResponseReturnValue:
    consultation = _load(slug)
    object_id = _as_id(raw_id)
    form = forms.ConfirmForm()
    if not form.validate() or form.step.data not in ("-1", "1"):
        abort(400)
    try:
        move(db.session, current_user, consultation, object_id, int(form.step.data))
    except (InvalidState, service.InvalidQuestionnaire) as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".questionnaire", slug=slug))
    db.session.commit()
    return redirect(url_for(".questionnaire", slug=slug))


# --- sections ------------------------------------------------------------------------------------


@bp.route("/questionnaire/sections/new", methods=["GET", "POST"])
def new_section(slug: str) -> ResponseReturnValue:
    """Add a section at the end."""
    consultation = _load(slug)
    earlier = service.earlier_question_codes(db.session, current_user, consultation)
    return _section_page(consultation, earlier, None)


@bp.route("/questionnaire/sections/<section_id>/edit", methods=["GET", "POST"])
def edit_section(slug: str, section_id: str) -> ResponseReturnValue:
    """Change a section's code, texts and display condition."""
    consultation = _load(slug)
    sid = _as_id(section_id)
    data = service.section_input(db.session, current_user, consultation, sid)
    earlier = service.earlier_question_codes(db.session, current_user, consultation, section_id=sid)
    return _section_page(consultation, earlier, sid, data)


def _section_page(
    consultation: Consultation,
    earlier: list[str],
    sid: int | None,
    data: service.SectionInput | None = None,
) -> ResponseReturnValue:
    languages = list(consultation.languages)
    if sid is not None:
        # a section's condition may refer to questions of earlier sections only
        own = {
            q.code
            for s in service.overview(db.session, current_user, consultation).sections
            if s.id == sid
            for q in s.questions
        }
        earlier = [c for c in earlier if c not in own]
    prefill = forms.section_data(data, languages) if data else {}
    form = forms.section_form(languages, earlier, data=prefill if request.method == "GET" else None)
    status: int | None = 200
    if request.method == "POST":

        def save(expected: str | None) -> None:
            values = forms.section_input(form, languages)
            if sid is None:
                service.add_section(db.session, current_user, consultation, values)
            else:
                service.update_section(
                    db.session, current_user, consultation, sid, values, expected=expected
                )

        status = _save(form, languages, data, save)
        if status is None:
            flash(_l("The section is saved."), "success")
            return redirect(url_for(".questionnaire", slug=consultation.slug))
    return (
        render_template(
            "builder/section_form.html",
            consultation=_summary(consultation),
            form=form,
            langs=languages,
            section_id=sid,
            conditions=forms.condition_labels(),
        ),
        status,
    )


@bp.route("/questionnaire/sections/<section_id>/delete", methods=["GET", "POST"])
def delete_section(slug: str, section_id: str) -> ResponseReturnValue:
    """Confirm, then delete a section and its questions."""
    consultation = _load(slug)
    sid = _as_id(section_id)
    data = service.section_input(db.session, current_user, consultation, sid)
    return _delete(consultation, "section", data.code, service.delete_section, sid)


# --- questions -----------------------------------------------------------------------------------


@bp.route("/questionnaire/sections/<section_id>/questions/new", methods=["GET", "POST"])
def new_question(slug: str, section_id: str) -> ResponseReturnValue:
    """Add a question at the end of a section: first its type, then the rest."""
    consultation = _load(slug)
    sid = _as_id(section_id)
    service.section_input(db.session, current_user, consultation, sid)  # 404 if foreign
    type_name = request.values.get("type", "")
    if type_name not in service.SETTINGS:
        return render_template(
            "builder/choose_type.html",
            consultation=_summary(consultation),
            section_id=sid,
            types=list(service.SETTINGS),
        )
    earlier = service.earlier_question_codes(db.session, current_user, consultation, section_id=sid)
    empty = service.QuestionInput(code="", type=type_name, text={})
    return _question_page(consultation, earlier, empty, section_id=sid)


@bp.route("/questionnaire/questions/<question_id>/edit", methods=["GET", "POST"])
def edit_question(slug: str, question_id: str) -> ResponseReturnValue:
    """Change a question: texts, settings, options, items, condition."""
    consultation = _load(slug)
    qid = _as_id(question_id)
    data = service.question_input(db.session, current_user, consultation, qid)
    earlier = service.earlier_question_codes(
        db.session, current_user, consultation, question_id=qid
    )
    return _question_page(consultation, earlier, data, question_id=qid)


def _question_page(
    consultation: Consultation,
    earlier: list[str],
    data: service.QuestionInput,
    *,
    section_id: int | None = None,
    question_id: int | None = None,
) -> ResponseReturnValue:
    languages = list(consultation.languages)
    items = service.item_choices(consultation, current_language())
    rows = max(
        len(data.options) + forms.EXTRA_OPTION_ROWS,
        _posted_rows() if request.method == "POST" else 0,
    )
    rows = min(rows, 200)
    prefill = forms.question_data(data, languages)
    form = forms.question_form(
        languages, earlier, items, rows, data=prefill if request.method == "GET" else None
    )
    status: int | None = 200
    if request.method == "POST":

        def save(expected: str | None) -> None:
            values = forms.question_input(form, languages)
            kept = {k: v for k, v in data.settings.items() if k == "profile_field"}
            if kept and values.type == data.type:
                values.settings.update(kept)
            if question_id is None and section_id is not None:
                service.add_question(db.session, current_user, consultation, section_id, values)
            elif question_id is not None:
                service.update_question(
                    db.session, current_user, consultation, question_id, values, expected=expected
                )

        status = _save(form, languages, data, save)
        if status is None:
            flash(_l("The question is saved."), "success")
            return redirect(url_for(".questionnaire", slug=consultation.slug))
    type_name = form.type.data or data.type
    return (
        render_template(
            "builder/question_form.html",
            consultation=_summary(consultation),
            form=form,
            langs=languages,
            type_name=type_name,
            settings=list(service.SETTINGS.get(type_name, {})),
            has_options=type_name in service.OPTION_TYPES | service.SCALE_TYPES,
            has_items=type_name in service.ITEM_TYPES | {"rating"},
            option_rows=rows,
            section_id=section_id,
            question_id=question_id,
            conditions=forms.condition_labels(),
        ),
        status,
    )


@bp.route("/questionnaire/questions/<question_id>/delete", methods=["GET", "POST"])
def delete_question(slug: str, question_id: str) -> ResponseReturnValue:
    """Confirm, then delete a question."""
    consultation = _load(slug)
    qid = _as_id(question_id)
    data = service.question_input(db.session, current_user, consultation, qid)
    return _delete(consultation, "question", data.code, service.delete_question, qid)


def _delete(
    consultation: Consultation,
    kind: str,
    code: str,
    delete: Any,
    object_id: int,
    back: str = ".questionnaire",
) -> ResponseReturnValue:
    """Confirm, then ``delete(session, actor, consultation, object_id)``; a refusal is shown
    (409) and the user goes ``back`` (an endpoint of this blueprint) when it is done."""
    form = forms.ConfirmForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            delete(db.session, current_user, consultation, object_id)
        except (InvalidState, service.InvalidQuestionnaire) as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            flash(_l("Deleted."), "success")
            return redirect(url_for(back, slug=consultation.slug))
    return (
        render_template(
            "builder/confirm_delete.html",
            consultation=_summary(consultation),
            form=form,
            kind=kind,
            code=code,
            error=error,
            back=url_for(back, slug=consultation.slug),
        ),
        409 if error else 200,
    )


# --- translations and preview --------------------------------------------------------------------


@bp.get("/translations")
def translations(slug: str) -> str:
    """Every participant-facing text side by side per language, missing ones flagged."""
    consultation = _load(slug)
    rows = service.translation_table(consultation)
    return render_template(
        "builder/translations.html",
        consultation=_summary(consultation),
        rows=rows,
        langs=list(consultation.languages),
        missing=sum(1 for r in rows if r.missing),
    )


@bp.get("/preview")
def preview(slug: str) -> str:
    """The questionnaire as participants see it in one language (read-only)."""
    consultation = _load(slug)
    language = request.args.get("lang", consultation.default_language)
    survey = service.preview_survey(db.session, current_user, consultation, language)
    return render_template(
        "builder/preview.html",
        consultation=_summary(consultation),
        survey=survey,
        langs=list(consultation.languages),
        pages=[(p, question_views(list(p.questions), {}, seed=0)) for p in survey.pages],
        content_lang=language_attrs(survey.language, current_language()),
    )
