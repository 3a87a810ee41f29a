"""Analyst routes: the results of a priority question, and the action-plan draft.

Both pages are GET forms (bookmarkable, no JavaScript): the query string chooses the question,
the method, the weighting, the filters and the bootstrap; the page shows what
``consult.services.priorities`` returns, which comes from ``analysis``. Charts are SVG drawn on
the server (``consult.reports.charts``), each next to a table with the same numbers. A bad
parameter gives the form again with a message (400), never an error page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import Form, IntegerField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import NumberRange, Optional, ValidationError

from consult import jobs as runner
from consult.analyst.routes import bp, load
from consult.extensions import db
from consult.i18n import current_language, text_direction
from consult.models import Consultation, JobState
from consult.reports import charts
from consult.services import jobs, priorities
from consult.services import results as results_service
from consult.services.errors import InvalidState

#: Respondents × bootstrap replicates beyond which results are computed in the background:
#: 10,000 respondents with the default 1,000 replicates (about 3 s here) stay in the request,
#: the 2,000 allowed at most go to the background.
HEAVY_WORK = 15_000_000

WEIGHTING_NAMES = {
    "respondent": _l("Per respondent: everybody counts once"),
    "equal-groups": _l(
        "Equal voice per stakeholder group: every group weighs the same, whatever its size"
    ),
}


class WholeNumber(IntegerField):
    """An optional whole number: anything else leaves no value, which its ``NumberRange``
    refuses with a translated message (WTForms' own conversion message is not translated)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None


class Choices(SelectMultipleField):
    """Ticked boxes; values that are not offered are refused with a translated message."""

    def pre_validate(self, form: Form) -> None:
        offered = {str(value) for value, _label in self.choices or []}
        if any(str(value) not in offered for value in self.data or []):
            raise ValidationError(_("Choose only from the boxes listed."))


class OneOf(RadioField):
    """One of the offered radio buttons; anything else is refused with a translated message."""

    def pre_validate(self, form: Form) -> None:
        if self.data not in {str(value) for value, _label in self.choices or []}:
            raise ValidationError(_("Choose one of the options listed."))


def _number_range(low: int, high: int) -> NumberRange:
    return NumberRange(
        low, high, message=_l("Enter a whole number from %(min)s to %(max)s.", min=low, max=high)
    )


class ResultsForm(Form):
    """The query string of the results page (no CSRF: it changes nothing)."""

    question = SelectField(_l("Question"), validate_choice=False)
    round = WholeNumber(_l("Round"), validators=[Optional(), _number_range(1, 1000)])
    method = RadioField(_l("Method"), validate_choice=False)
    weighting = OneOf(_l("Weighting"), default="respondent")
    group = Choices(_l("Stakeholder group"))
    district = Choices(_l("District"))
    language = Choices(_l("Language"))
    source = Choices(_l("Where answered"))
    bootstrap = WholeNumber(
        _l("Bootstrap replicates"),
        validators=[Optional(), _number_range(0, priorities.MAX_BOOTSTRAP)],
    )
    seed = WholeNumber(
        _l("Seed"),
        default=priorities.DEFAULT_SEED,
        validators=[Optional(), _number_range(0, priorities.MAX_SEED)],
    )
    top_k = WholeNumber(_l("Top k"), default=3, validators=[Optional(), _number_range(1, 100)])


class ActionPlanForm(Form):
    """The query string of the action-plan page."""

    question = SelectField(_l("Priority question"), validate_choice=False)
    method = RadioField(_l("Method"), validate_choice=False)
    weighting = OneOf(_l("Weighting"), default="respondent")
    top_n = WholeNumber(
        _l("Actions per objective"),
        default=3,
        validators=[Optional(), _number_range(1, priorities.MAX_TOP_N)],
    )


def _consultation(c: Consultation) -> dict[str, Any]:
    """What the workspace navigation and titles need."""
    return {"slug": c.slug, "title": dict(c.title or {}), "default_language": c.default_language}


def _choices(entries: Sequence[Mapping[str, str]]) -> list[tuple[str, str]]:
    return [(e["code"], e["label"]) for e in entries]


def _weighting_choices() -> list[tuple[str, str]]:
    return [(name, str(WEIGHTING_NAMES[name])) for name in priorities.WEIGHTINGS]


def _digits(values: Sequence[float | None]) -> int:
    """Decimals that show the scores' differences (3 for shares, 2 for points, ...)."""
    finite = [abs(v) for v in values if v is not None]
    largest = max(finite, default=0.0)
    return 1 if largest >= 100 else 2 if largest >= 10 else 3


def _formatter(digits: int) -> Callable[[float | None], str]:
    pattern = "#,##0." + "0" * digits

    def fmt(value: float | None) -> str:
        return "–" if value is None else format_decimal(value, format=pattern)

    return fmt


def _percent(value: float | None) -> str:
    return "–" if value is None else format_percent(value)


def _parameter_message(error: priorities.InvalidParameter, most: int | None = None) -> str:
    most = priorities.MAX_BOOTSTRAP if most is None else most
    messages = {
        "question": _("Choose one of the priority questions."),
        "method": _("Choose one of the methods listed."),
        "weighting": _("Choose one of the weightings listed."),
        "source": _("Choose online, workshop or both."),
        "bootstrap": _("Enter a whole number from %(min)s to %(max)s.", min=0, max=most),
        "seed": _("Enter a whole number from %(min)s to %(max)s.", min=0, max=priorities.MAX_SEED),
        "top_k": _("Enter a whole number from %(min)s to %(max)s.", min=1, max=100),
        "top_n": _(
            "Enter a whole number from %(min)s to %(max)s.", min=1, max=priorities.MAX_TOP_N
        ),
    }
    return messages.get(error.field, _("This choice is not valid."))


def _state_message(error: InvalidState, k: int) -> str:
    if isinstance(error, priorities.TooFewRespondents):
        return _(
            "Fewer than %(k)s respondents match these filters, so their results are not shown "
            "(small groups are protected). Widen the filters.",
            k=error.k,
        )
    if isinstance(error, priorities.NoAnswers):
        return _("Nobody has answered this question yet (with these filters).")
    return _("The answers to this question cannot be analysed with this method.")


def _chart_rows(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "label": i["label"],
            "score": i["score"],
            "ci_low": i["ci_low"],
            "ci_high": i["ci_high"],
        }
        for i in items
    ]


def _axis_label(method: Mapping[str, Any]) -> str:
    if method["higher_is_better"]:
        return _("Score (%(method)s): higher ranks first", method=method["name"])
    return _("Score (%(method)s): lower ranks first", method=method["name"])


def _charts(result: priorities.QuestionResults, rtl: bool, fmt: Callable[[float], str]) -> dict:
    out: dict[str, Any] = {
        "dot_whisker": charts.dot_whisker(
            _chart_rows(result.items),
            title=_("Scores with their intervals"),
            description=_(
                "Each item's score (dot) and its interval (line), best first. The table "
                "“Ranking” holds the same numbers."
            ),
            chart_id="chart-scores",
            axis_label=_axis_label(result.method),
            rtl=rtl,
            number_format=fmt,
        ),
        "heatmap": None,
    }
    shown = result.shown_groups
    if shown:
        out["heatmap"] = charts.rank_heatmap(
            [{"code": i["code"], "label": i["label"]} for i in result.items],
            [{"name": g["name"], "ranks": g["ranks"]} for g in shown],
            title=_("Ranks by stakeholder group"),
            description=_(
                "The rank of each item within each stakeholder group (1 = first; darker cells "
                "rank higher). The table “Ranks by stakeholder group” holds the same numbers."
            ),
            chart_id="chart-heatmap",
            rtl=rtl,
        )
    return out


@bp.get("/results")
def results(slug: str) -> ResponseReturnValue:
    """The results of one priority question: ranking, intervals, agreement, groups."""
    consultation = load(slug)
    language = current_language()
    rtl = text_direction(language) == "rtl"
    questions = priorities.priority_questions(db.session, consultation, language=language)
    filters = priorities.filter_choices(db.session, consultation, language=language)
    rounds = sorted({q.round_number for q in questions})
    latest: dict[str, priorities.QuestionChoice] = {}
    for q in questions:
        latest[q.code] = q
    form = ResultsForm(request.args)
    form.question.choices = [(code, q.text) for code, q in latest.items()]
    form.weighting.choices = _weighting_choices()
    form.group.choices = _choices(filters["groups"])
    form.district.choices = _choices(filters["districts"])
    form.language.choices = _choices(filters["languages"])
    form.source.choices = _choices(filters["sources"])

    context: dict[str, Any] = {
        "consultation": _consultation(consultation),
        "form": form,
        "rounds": rounds,
        "methods": [],
        "result": None,
        "notice": None,
        "charts": None,
        "k": consultation.min_group_size,
        "max_bootstrap": priorities.MAX_BOOTSTRAP,
    }
    if not questions:
        context["notice"] = _("This consultation has no priority questions yet.")
        return render_template("analyst/results.html", **context)

    code = form.question.data if form.question.data in latest else None
    unknown_question = bool(form.question.data) and code is None
    chosen = latest[code] if code else next(iter(latest.values()))
    form.question.data = chosen.code
    form.method.choices = [(m.name, m.name) for m in chosen.methods]
    context["methods"] = chosen.methods
    method = form.method.data or chosen.default_method
    if method not in {m.name for m in chosen.methods}:
        context["notice"] = _(
            "The method “%(method)s” does not apply to this question; the default method is shown.",
            method=method,
        )
        method = chosen.default_method
    form.method.data = method
    context["max_bootstrap"] = priorities.max_bootstrap(chosen.kind, method)
    valid = form.validate()  # (resets every field's errors)
    if unknown_question:
        form.question.errors = [_("Choose one of the priority questions.")]
        valid = False
    if not valid:
        return render_template("analyst/results.html", **context), 400

    k = consultation.min_group_size
    parameters = {
        "consultation": consultation.id,
        "question": chosen.code,
        "method": method,
        "weighting": form.weighting.data or "respondent",
        "filters": {
            "groups": list(form.group.data or ()),
            "districts": list(form.district.data or ()),
            "languages": list(form.language.data or ()),
            "sources": list(form.source.data or ()),
        },
        "bootstrap": form.bootstrap.data,
        "seed": form.seed.data,
        "top_k": form.top_k.data,
        "language": language,
        "round": form.round.data,
    }
    try:
        background = _background(consultation, chosen, parameters)
        if background is not None and not isinstance(background, priorities.QuestionResults):
            return background
        result = background or _compute(db.session, consultation, parameters)
    except priorities.InvalidParameter as error:
        field = getattr(form, error.field, None) or form.question
        most = priorities.max_bootstrap(chosen.kind, method)
        field.errors = [*field.errors, _parameter_message(error, most)]
        return render_template("analyst/results.html", **context), 400
    except InvalidState as error:
        context["notice"] = _state_message(error, k)
        return render_template("analyst/results.html", **context)

    form.bootstrap.data = result.bootstrap  # the replicates used (a default when none asked)
    digits = _digits([i["score"] for i in result.items])
    fmt = _formatter(digits)
    context.update(
        result=result,
        fmt=fmt,
        pct=_percent,
        stat=_formatter(3),
        charts=_charts(result, rtl, fmt),
    )
    return render_template("analyst/results.html", **context)


def _compute(
    session: Any, consultation: Consultation, parameters: Mapping[str, Any]
) -> priorities.QuestionResults:
    """The results for the parameters the page (or its background job) chose."""
    filters = parameters["filters"]
    return priorities.question_results(
        session,
        consultation,
        parameters["question"],
        method=parameters["method"],
        weighting=parameters["weighting"],
        filters=priorities.Filters(
            groups=tuple(filters["groups"]),
            districts=tuple(filters["districts"]),
            languages=tuple(filters["languages"]),
            sources=tuple(filters["sources"]),
        ),
        bootstrap=parameters["bootstrap"],
        seed=parameters["seed"],
        top_k=parameters["top_k"],
        language=parameters["language"],
        round_number=parameters["round"],
    )


def _is_heavy(
    consultation: Consultation, chosen: priorities.QuestionChoice, parameters: Mapping[str, Any]
) -> bool:
    """Whether computing these results may take more than a few seconds: a method that fits a
    model per bootstrap replicate, or many respondents times many replicates."""
    replicates = parameters["bootstrap"]
    if replicates is None:
        replicates = priorities.default_bootstrap(chosen.kind, parameters["method"])
    if replicates == 0:
        return False
    if (chosen.kind, parameters["method"]) in priorities.SLOW_METHODS:
        return True
    respondents = results_service.submitted_count(
        db.session, consultation.id, parameters["round"] or chosen.round_number
    )
    return respondents * replicates >= HEAVY_WORK


def _background(
    consultation: Consultation, chosen: priorities.QuestionChoice, parameters: dict[str, Any]
) -> priorities.QuestionResults | ResponseReturnValue | None:
    """Long computations run as a background job: the page sends the analyst to the job's
    progress page, which comes back here with ``?job=`` when the results are ready. Returns the
    job's results, a redirect, or None to compute inside the request."""
    public_id = request.args.get("job")
    if public_id:
        found = jobs.find_job(db.session, current_user, public_id, consultation)
        if found.kind == "results" and found.parameters.get("page") == parameters:
            if found.state == JobState.DONE:
                content, _name, _type = jobs.result(found)
                return priorities.QuestionResults(**json.loads(content))
            if found.state != JobState.FAILED:
                return redirect(url_for(".job", slug=consultation.slug, public_id=public_id))
    if not _is_heavy(consultation, chosen, parameters):
        return None
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "job"])
    job = jobs.create_job(
        db.session,
        current_user,
        consultation,
        "results",
        {"page": parameters, "query": query},
    )
    public_id = job.public_id
    db.session.commit()
    runner.start(current_app._get_current_object(), public_id)  # type: ignore[attr-defined]
    return redirect(url_for(".job", slug=consultation.slug, public_id=public_id))


def _load_results(session: Any, parameters: dict[str, Any], _progress: jobs.Progress) -> bytes:
    """Job: compute the results (reads only) and keep them as JSON."""
    page = parameters["page"]
    consultation = session.get(Consultation, page["consultation"])
    if consultation is None:
        raise InvalidState("the consultation no longer exists")
    with force_locale(page["language"]):
        result = _compute(session, consultation, page)
    return json.dumps(result.as_dict(), ensure_ascii=False).encode()


def _make_results(loaded: bytes, _progress: jobs.Progress) -> jobs.Made:
    return loaded, "results.json", "application/json"


jobs.register("results", _load_results, _make_results, read_only=True)


@bp.get("/action-plan")
def action_plan(slug: str) -> ResponseReturnValue:
    """The action-plan draft: top actions per objective, challenges, participation."""
    consultation = load(slug)
    language = current_language()
    rtl = text_direction(language) == "rtl"
    questions = priorities.priority_questions(db.session, consultation, language=language)
    latest: dict[str, priorities.QuestionChoice] = {}
    for q in questions:
        latest[q.code] = q
    form = ActionPlanForm(request.args)
    form.question.choices = [(code, q.text) for code, q in latest.items()]
    form.weighting.choices = _weighting_choices()
    context: dict[str, Any] = {
        "consultation": _consultation(consultation),
        "form": form,
        "methods": [],
        "plan": None,
        "notice": None,
        "k": consultation.min_group_size,
    }
    code = form.question.data or None
    method = form.method.data or None
    chosen = latest.get(code) if code else None
    valid = form.validate()  # (resets every field's errors)
    if code is not None and chosen is None:
        form.question.errors = [_("Choose one of the priority questions.")]
        valid = False
    if not valid:
        return render_template("analyst/action_plan.html", **context), 400
    try:
        plan = priorities.action_plan(
            db.session,
            consultation,
            actor=current_user,
            language=language,
            question_code=code,
            method=method if chosen is None or method in {m.name for m in chosen.methods} else None,
            weighting=form.weighting.data or "respondent",
            top_n=form.top_n.data or 3,
        )
    except priorities.InvalidParameter as error:
        field = getattr(form, error.field, None) or form.question
        field.errors = [*field.errors, _parameter_message(error)]
        return render_template("analyst/action_plan.html", **context), 400
    except InvalidState as error:
        context["notice"] = _state_message(error, consultation.min_group_size)
        return render_template("analyst/action_plan.html", **context)
    if plan.priorities is not None:
        question_code = plan.priorities["question"]["code"]
        form.question.data = question_code
        context["methods"] = latest[question_code].methods if question_code in latest else []
        form.method.choices = [(m.name, m.name) for m in context["methods"]]
        if plan.priorities["method"] is not None:
            form.method.data = plan.priorities["method"]["name"]
    scores = [a["score"] for o in plan.objectives for a in o["actions"]]
    fmt = _formatter(_digits(scores))
    severity_chart = None
    severity_fmt = fmt
    if plan.challenges and plan.challenges["items"]:
        severity_fmt = _formatter(_digits([i["score"] for i in plan.challenges["items"]]))
        severity_chart = charts.dot_whisker(
            _chart_rows(plan.challenges["items"]),
            title=_("Severity of the challenges"),
            description=_(
                "Each challenge's average severity (dot) and its interval (line), most severe "
                "first. The table “Challenges” holds the same numbers."
            ),
            chart_id="chart-severity",
            axis_label=_axis_label(plan.challenges["method"]),
            rtl=rtl,
            number_format=severity_fmt,
        )
    context.update(
        plan=plan, fmt=fmt, severity_fmt=severity_fmt, pct=_percent, chart=severity_chart
    )
    return render_template("analyst/action_plan.html", **context)
