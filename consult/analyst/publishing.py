"""Analyst routes: published reports (versions that can be regenerated to the same numbers).

``GET /reports/published`` lists the versions and offers the publish form;
``POST /reports/publish`` publishes a new version (``consult.services.publishing``);
``GET /reports/published/<version>`` shows what was stored; ``POST .../verify`` recomputes it
from the stored answers and from the current ones and says whether data and numbers match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, format_decimal, format_percent, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from consult.analyst.routes import bp, load
from consult.extensions import db
from consult.i18n import current_language, language_name, text_direction
from consult.models import Consultation, Report
from consult.services import priorities, publishing
from consult.services.errors import Conflict, InvalidState, NotFound

WEIGHTING_NAMES = {
    "respondent": _l("Per respondent: everybody counts once"),
    "equal-groups": _l(
        "Equal voice per stakeholder group: every group weighs the same, whatever its size"
    ),
}


class WholeNumber(IntegerField):
    """An optional whole number; anything else leaves no value, which ``NumberRange`` refuses
    with a translated message (WTForms' own conversion message is not translated)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            self.raw_data = valuelist


def _range(low: int, high: int) -> NumberRange:
    return NumberRange(
        low, high, message=_l("Enter a whole number from %(min)s to %(max)s.", min=low, max=high)
    )


#: Between excluded response ids: commas (Latin or Arabic), semicolons or spaces.
ID_SEPARATORS = re.compile(r"[\s,،;]+")
MAX_EXCLUSIONS_LENGTH = 2000


def response_ids(text: str | None) -> list[str]:
    """The ids typed in the exclusions field, in the order typed (not checked)."""
    return [t for t in ID_SEPARATORS.split(text or "") if t]


class PublishForm(FlaskForm):
    """What to publish (CSRF-protected)."""

    question = SelectField(_l("Priority question"), validate_choice=False)
    method = SelectField(_l("Method"), validate_choice=False)
    weighting = RadioField(_l("Weighting"), default="respondent", validate_choice=False)
    seed = WholeNumber(
        _l("Seed"),
        default=priorities.DEFAULT_SEED,
        validators=[Optional(strip_whitespace=True), _range(0, priorities.MAX_SEED)],
    )
    bootstrap = WholeNumber(
        _l("Bootstrap replicates"),
        default=priorities.DEFAULT_BOOTSTRAP,
        validators=[Optional(strip_whitespace=True), _range(0, priorities.MAX_BOOTSTRAP)],
    )
    language = SelectField(_l("Language of the report"), validate_choice=False)
    exclusions = StringField(
        _l("Exclude responses (ids, separated by commas)"),
        validators=[
            Length(
                max=MAX_EXCLUSIONS_LENGTH,
                message=_l("Enter at most %(max)d characters.", max=MAX_EXCLUSIONS_LENGTH),
            )
        ],
    )

    def validate_exclusions(self, field: Field) -> None:
        bad = [t for t in response_ids(field.data) if not (t.isascii() and t.isdigit() and int(t))]
        if bad:
            raise ValidationError(
                _(
                    "Enter response ids as whole numbers separated by commas, for example "
                    "12, 57 (not %(values)s).",
                    values=", ".join(bad[:5]),
                )
            )


def _consultation(c: Consultation) -> dict[str, Any]:
    return {"slug": c.slug, "title": dict(c.title or {}), "default_language": c.default_language}


def _form_choices(form: PublishForm, consultation: Consultation, language: str) -> None:
    questions = priorities.priority_questions(db.session, consultation, language=language)
    latest = {q.code: q for q in questions}
    form.question.choices = [(code, q.text) for code, q in latest.items()]
    methods: list[str] = []
    for q in latest.values():
        methods += [m.name for m in q.methods if m.name not in methods]
    form.method.choices = [("", str(_l("The question's default method")))] + [
        (m, m) for m in methods
    ]
    form.weighting.choices = [(w, str(WEIGHTING_NAMES[w])) for w in priorities.WEIGHTINGS]
    form.language.choices = [(code, language_name(code)) for code in consultation.languages]


def _list_page(
    consultation: Consultation,
    form: PublishForm | None = None,
    *,
    notice: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    language = current_language()
    if form is None:
        form = PublishForm(formdata=None)
        form.language.data = (
            language if language in consultation.languages else consultation.default_language
        )
    _form_choices(form, consultation, language)
    reports = publishing.list_reports(db.session, current_user, consultation)
    return (
        render_template(
            "analyst/published.html",
            consultation=_consultation(consultation),
            form=form,
            notice=notice,
            reports=[_row(r) for r in reports],
            weighting_names={k: str(v) for k, v in WEIGHTING_NAMES.items()},
        ),
        status,
    )


def _row(summary: publishing.ReportSummary) -> dict[str, Any]:
    return {
        "version": summary.version,
        "created_at": format_datetime(summary.created_at, "medium"),
        "created_at_iso": summary.created_at.isoformat(),
        "created_by": summary.created_by,
        "question_code": summary.question_code,
        "round_number": summary.round_number,
        "method": summary.method,
        "weighting": summary.weighting,
        "language": summary.language,
        "language_name": language_name(summary.language),
        "n_respondents": summary.n_respondents,
        "fingerprint": summary.fingerprint,
        "fingerprint_prefix": summary.fingerprint_prefix,
        "software_version": summary.software_version,
    }


def _refusal(error: InvalidState, excluded: bool = False) -> tuple[str, int]:
    if isinstance(error, priorities.TooFewRespondents) and excluded:
        return (
            _(
                "Fewer than %(k)s respondents are left once these responses are excluded, so "
                "their results are not published (small groups are protected).",
                k=error.k,
            ),
            409,
        )
    if isinstance(error, priorities.TooFewRespondents):
        return (
            _(
                "Fewer than %(k)s respondents match these filters, so their results are not "
                "published (small groups are protected).",
                k=error.k,
            ),
            409,
        )
    if isinstance(error, priorities.NoAnswers):
        return _("Nobody has answered this question yet, so there is nothing to publish."), 409
    return _("The answers to this question cannot be analysed with this method."), 409


@bp.get("/reports/published")
def published_reports(slug: str) -> ResponseReturnValue:
    """The published versions and the form to publish a new one."""
    return _list_page(load(slug))


@bp.post("/reports/publish")
def publish(slug: str) -> ResponseReturnValue:
    """Publish a new version of the report."""
    consultation = load(slug)
    form = PublishForm()
    _form_choices(form, consultation, current_language())
    excluded = response_ids(form.exclusions.data)
    if not form.validate() or not form.question.data:
        if not form.question.data:
            form.question.errors = [*form.question.errors, _("Choose a priority question.")]
        return _list_page(consultation, form, status=422)
    try:
        report = publishing.publish_report(
            db.session,
            current_user,
            consultation,
            question_code=form.question.data,
            method=form.method.data or None,
            weighting=form.weighting.data or "respondent",
            seed=priorities.DEFAULT_SEED if form.seed.data is None else form.seed.data,
            bootstrap=priorities.DEFAULT_BOOTSTRAP
            if form.bootstrap.data is None
            else form.bootstrap.data,
            language=form.language.data or None,
            exclusions=excluded,
        )
    except priorities.InvalidParameter as error:
        db.session.rollback()
        field = getattr(form, error.field, None) or form.question
        messages = {
            "question": _("Choose one of the priority questions."),
            "method": _("This method does not apply to this question: choose another one."),
            "weighting": _("Choose one of the weightings listed."),
            "language": _("Choose one of the languages listed."),
            "exclusions": ngettext(
                "Response %(ids)s did not answer this question, or is not submitted: check the id.",
                "Responses %(ids)s did not answer this question, or are not submitted: check the "
                "ids.",
                len(error.values),
                ids=", ".join(error.values[:10]),
            ),
        }
        field.errors = [*field.errors, messages.get(error.field, _("This choice is not valid."))]
        return _list_page(load(slug), form, status=422)
    except Conflict:
        db.session.rollback()
        notice = _("The answers changed while the report was computed. Publish again.")
        return _list_page(load(slug), form, notice=notice, status=409)
    except InvalidState as error:
        db.session.rollback()
        notice, status = _refusal(error, bool(excluded))
        return _list_page(load(slug), form, notice=notice, status=status)
    version = report.version
    db.session.commit()
    flash(_l("Version %(version)s of the report is published.", version=version), "success")
    return redirect(url_for(".published_report", slug=slug, version=version))


def _version(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise NotFound("no such report version")
    return int(raw)


def _formatter(values: list[float | None]) -> Callable[[float | None], str]:
    largest = max((abs(v) for v in values if v is not None), default=0.0)
    digits = 1 if largest >= 100 else 2 if largest >= 10 else 3
    pattern = "#,##0." + "0" * digits

    def fmt(value: float | None) -> str:
        return "–" if value is None else format_decimal(value, format=pattern)

    return fmt


def _report_page(
    consultation: Consultation,
    report: Report,
    check: publishing.Regeneration | None = None,
    notice: str | None = None,
) -> str:
    summary = publishing.report_summary(db.session, report)
    parameters = dict(report.parameters or {})
    stored = dict(report.results or {}).get("results") or {}
    items = list(stored.get("items") or [])
    fmt = _formatter([i.get("score") for i in items])
    current = None
    if check is not None and check.results is not None and not check.same_numbers:
        now = {i["code"]: i for i in check.results.get("items") or []}
        current = {code: {"rank": i["rank"], "score": fmt(i["score"])} for code, i in now.items()}
    return render_template(
        "analyst/published_report.html",
        consultation=_consultation(consultation),
        report=_row(summary),
        parameters=parameters,
        filters={k: v for k, v in (parameters.get("filters") or {}).items() if v},
        weighting_name=str(WEIGHTING_NAMES.get(parameters.get("weighting", ""), "")),
        software=parameters.get("software") or {},
        results=stored,
        items=[
            {
                "code": i["code"],
                "label": i["label"],
                "rank": i["rank"],
                "score": fmt(i["score"]),
                "ci": None
                if i.get("ci_low") is None or i.get("ci_high") is None
                else (fmt(i["ci_low"]), fmt(i["ci_high"])),
                "rank_range": None
                if i.get("rank_ci_low") is None or i.get("rank_ci_high") is None
                else (int(i["rank_ci_low"]), int(i["rank_ci_high"])),
                "p_top_k": None if i.get("p_top_k") is None else format_percent(i["p_top_k"]),
            }
            for i in items
        ],
        label_dir=text_direction(report.language),
        check=_check(check) if check is not None else None,
        current=current,
        notice=notice,
    )


def _check(check: publishing.Regeneration) -> dict[str, Any]:
    """The verification as sentences for the page."""
    if check.current_error == "no_answers":
        data = _("Nobody's answers match the published parameters any more.")
    elif check.current_error == "too_few_respondents":
        data = _(
            "The current answers cannot be checked: fewer respondents than the small-group "
            "threshold match the published filters now."
        )
    elif check.current_error == "invalid":
        data = _("The current answers cannot be analysed with the published parameters.")
    elif check.same_data:
        data = _("The answers are the same as at publication: the data fingerprint matches.")
    else:
        difference = check.respondents_difference or 0
        if difference > 0:
            data = ngettext(
                "The data changed since publication: %(num)d response more.",
                "The data changed since publication: %(num)d responses more.",
                difference,
            )
        elif difference < 0:
            data = ngettext(
                "The data changed since publication: %(num)d response fewer.",
                "The data changed since publication: %(num)d responses fewer.",
                -difference,
            )
        else:
            data = _(
                "The data changed since publication: the same number of responses, but some "
                "answers are different."
            )
    if check.results is None:
        numbers = None
    elif check.same_numbers:
        numbers = _("The current answers give exactly the published numbers.")
    else:
        numbers = _("The current answers give different numbers (compared in the table below).")
    if check.snapshot_intact and check.snapshot_numbers:
        snapshot = _(
            "Regenerated from the answers stored at publication: the numbers are identical."
        )
    elif not check.snapshot_intact:
        snapshot = _("The answers stored with this version no longer match its fingerprint.")
    else:
        snapshot = _(
            "Regenerated from the answers stored at publication, the numbers differ: the "
            "software has probably changed."
        )
    notes = []
    if check.min_group_size_then != check.min_group_size_now:
        notes.append(
            _(
                "The small-group threshold changed from %(then)s to %(now)s.",
                then=check.min_group_size_then,
                now=check.min_group_size_now,
            )
        )
    if not check.same_software:
        notes.append(_("The software changed since publication (versions below)."))
    return {
        "ok": check.same_data and check.same_numbers,
        "reproducible": check.snapshot_intact and check.snapshot_numbers,
        "data": data,
        "numbers": numbers,
        "snapshot": snapshot,
        "notes": notes,
        "fingerprint_now": check.fingerprint_now,
        "software_now": check.software_now,
    }


@bp.get("/reports/published/<version>")
def published_report(slug: str, version: str) -> ResponseReturnValue:
    """One published version: its parameters, fingerprint, software and results."""
    consultation = load(slug)
    report = publishing.get_report(db.session, current_user, consultation, _version(version))
    return _report_page(consultation, report)


@bp.post("/reports/published/<version>/verify")
def verify_report(slug: str, version: str) -> ResponseReturnValue:
    """Recompute a published version and say whether data and numbers still match."""
    consultation = load(slug)
    report = publishing.get_report(db.session, current_user, consultation, _version(version))
    form = FlaskForm()
    if not form.validate():
        abort(400)
    try:
        check = publishing.regenerate_report(db.session, current_user, report)
    except InvalidState:
        notice = _("This version was stored without the answers and parameters needed to check it.")
        return _report_page(consultation, report, notice=notice), 409
    return _report_page(consultation, report, check)
