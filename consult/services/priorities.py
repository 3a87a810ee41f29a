"""Priority results for analysts: one question's ranking, and the action-plan draft.

Every number comes from ``analysis`` (``analysis.rank``); this module only picks the answers
(``results.analysis_input``), filters them, resolves item labels and objectives in a language,
hides small groups (``analysis.privacy``) and shapes plain, JSON-ready data for the results page,
the PDF report (``consult.reports``) and the command line. Callers check ``Action.ANALYSE``
before calling :func:`question_results` (the analyst views do, through ``load(slug)``);
:func:`action_plan` checks it itself. Nothing here flushes or writes.

Small-cell protection: ``k`` is the consultation's ``min_group_size`` (default 5). Every
breakdown by stakeholder group or by district hides a group with fewer than ``k`` respondents
(no figures, no size) and lists it in ``suppressed_groups`` / ``suppressed_districts``; a
filtered result (any filter set, or any response excluded) with fewer than ``k`` respondents is
refused (:class:`TooFewRespondents`), since it would itself be such a breakdown.

Exclusions: ``exclude`` leaves out given responses (their ids, as the frame's ``respondent``
column holds them: the response id as text; ints and strings of digits are accepted). Their
rows are dropped before filtering and ranking, exactly as if they were not in the frame; an id
that is not among the question's submitted respondents is refused (``InvalidParameter`` on
``exclude``). ``exclusions`` and ``n_excluded`` of the result say what was left out.

Returned structures (``as_dict()`` gives plain dicts/lists of str, int, float, bool, None):

``question_results(...)`` → :class:`QuestionResults`::

    consultation, round_number, language        slug, round, language of the labels
    question: {code, type, kind, text}
    method: {name, summary, explanation, higher_is_better}
    weighting, filters {groups, districts, languages, sources}, min_group_size
    bootstrap, seed, confidence, top_k
    n_respondents, n_effective, n_groups, n_respondents_total (before filters and exclusions)
    items: [{code, label, objective, objective_title, score, rank, ci_low, ci_high,
             rank_ci_low, rank_ci_high, p_top_k}]         by rank, as analysis orders them
    unanswered_items: [{code, label}]                     asked, but nobody answered
    agreement: {kendall_w, chi2, df, p_value} | None      overall
    consistency: {lambda_max, ci, cr} | None              AHP only
    groups: [{code, name, n, suppressed, agreement, ranks {item: rank}, scores {item: score}}]
    suppressed_groups: [name]                             hidden (< k respondents)
    group_differences: [{code, label, statistic, p_value, q_value, differs, consensus,
                         polarising}] | None              sorted by q-value
    consensus_items, polarising_items: [code]
    group_correlations: [{group_a, group_b, name_a, name_b, tau, p_value}] | None
    counts: {by_group, by_district, by_language, by_source: [{code, label, n, suppressed}]}
    suppressed_districts: [label]
    analysis: dict            ``analysis.rank(frame, ..., bootstrap=N).to_dict()`` as is (overall)
    analysis_groups: dict     ``analysis.rank(frame, ..., by_group=True, min_group_size=k,
                              bootstrap=0).to_dict()``: the per-group rankings, agreement and
                              correlations above come from this second call (group intervals
                              are not shown, and bootstrapping every group would cost as much
                              again per group)
    exclusions: [response id]  the responses left out (sorted by id), n_excluded: their number

``action_plan(...)`` → :class:`ActionPlan`::

    consultation, title, language, min_group_size, top_n
    priorities: {question, method, weighting, n_respondents, bootstrap, ...} | None
    objectives: [{code, title, n_actions, actions: [item as above]}]   (code None: no objective)
    challenges: {question, method, n_respondents, items: [item as above]} | None
    participation: {total {invited, started, submitted, withdrawn},
                    by_group [{code, name, invited, started, submitted, withdrawn, suppressed}],
                    by_language [{language, invited, started, submitted, withdrawn}],
                    suppressed_groups [name]}

Item labels, group names and method explanations are given in ``language`` (fallback: the
consultation's default language).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from babel import Locale
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

import analysis
from analysis.privacy import split_by_size
from consult.models import (
    Answer,
    Consultation,
    Item,
    ItemKind,
    Question,
    QuestionItem,
    Response,
    ResponseSource,
    Round,
    User,
)
from consult.questions import get_type
from consult.services import monitoring
from consult.services.consultations import localized
from consult.services.errors import InvalidState
from consult.services.permissions import Action, require
from consult.services.results import KIND_COLUMNS, analysis_input

__all__ = [
    "DEFAULT_BOOTSTRAP",
    "DEFAULT_SEED",
    "MAX_BOOTSTRAP",
    "SIGNIFICANCE",
    "SLOW_METHODS",
    "UNKNOWN_GROUP",
    "WEIGHTINGS",
    "ActionPlan",
    "AnalysisFrame",
    "Filters",
    "InvalidParameter",
    "MethodChoice",
    "NoAnswers",
    "QuestionChoice",
    "QuestionResults",
    "TooFewRespondents",
    "action_plan",
    "analysis_frame",
    "available_methods",
    "clear_frame_cache",
    "default_bootstrap",
    "filter_choices",
    "max_bootstrap",
    "method_explanation",
    "priority_questions",
    "question_results",
]

#: Weighting schemes offered: everybody counts once / every stakeholder group the same voice.
WEIGHTINGS = ("respondent", "equal-groups")
DEFAULT_BOOTSTRAP = 1000
#: Methods that fit a model per replicate get fewer replicates by default (page time), and
#: at most five times as many.
SLOW_METHODS = {("ranking", "plackett-luce"): 200, ("bestworst", "mnl"): 100}
MAX_BOOTSTRAP = 2000
DEFAULT_SEED = 1
MAX_SEED = 2**32 - 1
MAX_TOP_N = 20
#: An item "differs between groups" when its Benjamini-Hochberg q-value is below this.
SIGNIFICANCE = 0.05
#: The ``group`` of respondents who stated no stakeholder group (``results.analysis_input``).
UNKNOWN_GROUP = "unknown"
SOURCES = tuple(s.value for s in ResponseSource)
#: ``progress(done, total)``: bootstrap replicates done and in all (``analysis.rank``).
Progress = Callable[[int, int], None]


class InvalidParameter(InvalidState):
    """A parameter the caller chose is not valid (``field`` names it: question, method, ...;
    ``values``: the offending values when there are several, e.g. unknown response ids)."""

    def __init__(self, field: str, message: str, values: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.values = tuple(values)


class NoAnswers(InvalidState):
    """Nobody has answered the question yet (with the filters, if any)."""


class TooFewRespondents(InvalidState):
    """The filtered answers come from fewer than ``k`` respondents: withheld (small cells)."""

    def __init__(self, message: str, k: int) -> None:
        super().__init__(message)
        self.k = k


# --------------------------------------------------------------------------------------------
# Plain data


@dataclass(frozen=True)
class Filters:
    """Which respondents to keep (an empty tuple keeps everybody)."""

    groups: tuple[str, ...] = ()  # stakeholder group codes ("unknown": no group stated)
    districts: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # "online", "workshop"

    @property
    def active(self) -> bool:
        return bool(self.groups or self.districts or self.languages or self.sources)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "groups": list(self.groups),
            "districts": list(self.districts),
            "languages": list(self.languages),
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class MethodChoice:
    """A registered analysis method, with its plain-language explanation in a language."""

    name: str
    summary: str  # the registry's one-line summary (English, technical)
    explanation: str  # for analysts, translated
    higher_is_better: bool


@dataclass(frozen=True)
class QuestionChoice:
    """A priority question an analyst can choose."""

    round_number: int
    code: str
    type: str
    kind: str
    text: str
    methods: list[MethodChoice]

    @property
    def default_method(self) -> str:
        return self.methods[0].name


@dataclass
class QuestionResults:
    """One priority question's results (see the module docstring for every field)."""

    consultation: str
    round_number: int
    language: str
    question: dict[str, str]
    method: dict[str, Any]
    weighting: str
    filters: dict[str, list[str]]
    min_group_size: int
    bootstrap: int
    seed: int | None
    confidence: float
    top_k: int
    n_respondents: int
    n_effective: float
    n_groups: int
    n_respondents_total: int
    items: list[dict[str, Any]]
    unanswered_items: list[dict[str, str]]
    agreement: dict[str, Any] | None
    consistency: dict[str, Any] | None
    groups: list[dict[str, Any]]
    suppressed_groups: list[str]
    group_differences: list[dict[str, Any]] | None
    consensus_items: list[str]
    polarising_items: list[str]
    group_correlations: list[dict[str, Any]] | None
    counts: dict[str, list[dict[str, Any]]]
    suppressed_districts: list[str]
    analysis: dict[str, Any] = field(repr=False)
    analysis_groups: dict[str, Any] = field(repr=False)
    exclusions: list[str] = field(default_factory=list)
    n_excluded: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready plain data."""
        return asdict(self)

    @property
    def shown_groups(self) -> list[dict[str, Any]]:
        """The groups with figures (not suppressed)."""
        return [g for g in self.groups if not g["suppressed"]]


@dataclass
class ActionPlan:
    """The action-plan draft (see the module docstring for every field)."""

    consultation: str
    title: str
    language: str
    min_group_size: int
    top_n: int
    priorities: dict[str, Any] | None
    objectives: list[dict[str, Any]]
    challenges: dict[str, Any] | None
    participation: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready plain data."""
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Method explanations (plain language, translatable)


def _explanations() -> dict[tuple[str, str], str]:
    return {
        ("rating", "mean"): _(
            "The average rating of each item. Simple and familiar; a few extreme answers can "
            "pull it up or down."
        ),
        ("rating", "median"): _(
            "The middle rating: half of the answers are at or below it, half at or above. Not "
            "pulled by a few extreme answers, but coarse on a short scale."
        ),
        ("rating", "top-box"): _(
            "The share of answers in the top two points of the scale (for example 4 or 5 of "
            "5): how many people call the item important."
        ),
        ("ranking", "borda"): _(
            "Points by position, averaged over respondents: first place earns the most points. "
            "Items a respondent did not rank share the remaining points."
        ),
        ("ranking", "mean-rank"): _(
            "The average position of each item (lower is better). Orders items like Borda."
        ),
        ("ranking", "schulze"): _(
            "Compares items two at a time and follows the strongest chains of majorities. The "
            "score is the number of other items an item beats; an item that beats every other "
            "one head-to-head comes first."
        ),
        ("ranking", "copeland"): _(
            "The number of other items that a majority of respondents put below the item."
        ),
        ("ranking", "plackett-luce"): _(
            "A statistical model of how people choose: each item has a strength, and stronger "
            "items are picked earlier. Scores are centred on zero (0 = an average item)."
        ),
        ("pairwise", "bradley-terry"): _(
            "A statistical model of the duels: each item has a strength, and the stronger item "
            "usually wins. Scores are centred on zero (0 = an average item)."
        ),
        ("pairwise", "copeland"): _(
            "The number of other items that the item beats in a majority of their duels."
        ),
        ("pairwise", "wiki-survey"): _(
            "The estimated chance (0 to 100) that the item wins a duel against a randomly "
            "chosen other item, as in All Our Ideas."
        ),
        ("bestworst", "count"): _(
            "How often the item was picked as most important minus how often as least "
            "important, per time it was shown: from -1 to +1."
        ),
        ("bestworst", "mnl"): _(
            "A statistical model of the choices of most and least important: each item has a "
            "utility, centred on zero (0 = an average item)."
        ),
        ("ahp", "eigenvector"): _(
            "Saaty's Analytic Hierarchy Process: the judgements of how much more important one "
            "item is than another are combined into weights that add up to 1."
        ),
        ("ahp", "geometric-mean"): _(
            "Weights that add up to 1, from the geometric mean of each row of the combined "
            "judgements; close to the eigenvector method when judgements are consistent."
        ),
        ("points", "mean-share"): _(
            "The average share of each respondent's points that went to the item; the shares "
            "add up to 1 and every respondent has the same say."
        ),
    }


def method_explanation(kind: str, name: str, language: str | None = None) -> str:
    """A plain-language explanation of a method, translated (the registry's summary if none)."""
    if language is None:
        return _explanations().get((kind, name)) or analysis.get_method(kind, name).summary
    with force_locale(language):
        return method_explanation(kind, name)


def available_methods(kind: str, language: str | None = None) -> list[MethodChoice]:
    """The methods of ``analysis``'s registry for ``kind``, in registration order."""
    choices = []
    for name in analysis.methods_for(kind):
        method = analysis.get_method(kind, name)
        choices.append(
            MethodChoice(
                name=name,
                summary=method.summary,
                explanation=method_explanation(kind, name, language),
                higher_is_better=method.higher_is_better,
            )
        )
    return choices


def default_bootstrap(kind: str, method: str) -> int:
    """Bootstrap replicates used when none are asked for: ``DEFAULT_BOOTSTRAP``, fewer for the
    methods that fit a model per replicate (``SLOW_METHODS``)."""
    return SLOW_METHODS.get((kind, method), DEFAULT_BOOTSTRAP)


def max_bootstrap(kind: str, method: str) -> int:
    """The most bootstrap replicates allowed: ``MAX_BOOTSTRAP``, or five times the default of a
    slow method (one request must not occupy a worker for minutes)."""
    slow = SLOW_METHODS.get((kind, method))
    return MAX_BOOTSTRAP if slow is None else 5 * slow


# --------------------------------------------------------------------------------------------
# Choices for the form


def _text(texts: dict[str, str] | None, language: str, consultation: Consultation) -> str:
    return localized(texts or {}, language, consultation.default_language)


def _priority_questions(session: Session, consultation: Consultation) -> list[Question]:
    rows = session.scalars(
        select(Question)
        .join(Round, Round.id == Question.round_id)
        .where(Round.consultation_id == consultation.id)
        .order_by(Round.number, Question.position, Question.id)
    ).all()
    return [q for q in rows if get_type(q.type).analysis_kind is not None]


def priority_questions(
    session: Session, consultation: Consultation, *, language: str
) -> list[QuestionChoice]:
    """Every priority question of the consultation (round by round), with its methods."""
    rounds = {r.id: r.number for r in consultation.rounds}
    out = []
    for q in _priority_questions(session, consultation):
        kind = get_type(q.type).analysis_kind
        assert kind is not None
        out.append(
            QuestionChoice(
                round_number=rounds[q.round_id],
                code=q.code,
                type=q.type,
                kind=kind,
                text=_text(q.text, language, consultation),
                methods=available_methods(kind, language),
            )
        )
    return out


def _district_labels(session: Session, consultation: Consultation, language: str) -> dict[str, str]:
    """District codes → labels, from the options of the questions that record the district."""
    labels: dict[str, str] = {}
    for q in session.scalars(
        select(Question)
        .join(Round, Round.id == Question.round_id)
        .where(Round.consultation_id == consultation.id)
        .options(selectinload(Question.options))
        .order_by(Round.number, Question.position)
    ):
        if (q.settings or {}).get("profile_field") == "district":
            for option in q.options:
                labels.setdefault(option.code, _text(option.label, language, consultation))
    return labels


def _group_names(consultation: Consultation, language: str) -> dict[str, str]:
    names = {g.code: _text(g.name, language, consultation) for g in consultation.stakeholder_groups}
    with force_locale(language):
        names[UNKNOWN_GROUP] = _("No group stated")
    return names


def _source_names(language: str) -> dict[str, str]:
    with force_locale(language):
        return {"online": _("Online"), "workshop": _("Workshop")}


def _language_name(code: str, language: str) -> str:
    try:
        return Locale.parse(code).get_display_name(language) or code
    except (ValueError, LookupError):
        return code


def filter_choices(
    session: Session, consultation: Consultation, *, language: str
) -> dict[str, list[dict[str, str]]]:
    """What the filters offer: ``groups``, ``districts``, ``languages``, ``sources`` as
    ``[{code, label}]`` (labels in ``language``)."""
    groups = _group_names(consultation, language)
    return {
        "groups": [{"code": code, "label": label} for code, label in groups.items()],
        "districts": [
            {"code": code, "label": label}
            for code, label in _district_labels(session, consultation, language).items()
        ],
        "languages": [
            {"code": code, "label": _language_name(code, language)}
            for code in consultation.languages
        ],
        "sources": [
            {"code": code, "label": label} for code, label in _source_names(language).items()
        ],
    }


# --------------------------------------------------------------------------------------------
# One question


def _find_question(
    session: Session, consultation: Consultation, code: str, round_number: int | None
) -> tuple[Question, str]:
    matches = [q for q in _priority_questions(session, consultation) if q.code == code]
    if round_number is not None:
        matches = [q for q in matches if q.round.number == round_number]
    if not matches:
        raise InvalidParameter("question", f"no priority question {code!r} in this consultation")
    question = matches[-1]  # the latest round that asks it
    kind = get_type(question.type).analysis_kind
    assert kind is not None
    return question, kind


def _check_choice(name: str, value: str, choices: Iterable[str]) -> None:
    options = list(choices)
    if value not in options:
        raise InvalidParameter(name, f"unknown {name} {value!r} (choose from {', '.join(options)})")


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameter(name, f"{name} must be a whole number from {low} to {high}")
    return int(value)


_FRAME_CACHE: OrderedDict[tuple[str, int], tuple[tuple[Any, ...], pd.DataFrame]] = OrderedDict()
_FRAME_CACHE_SIZE = 8
_FRAME_CACHE_LOCK = threading.Lock()


def _answers_frame(session: Session, question: Question) -> pd.DataFrame:
    """``results.analysis_input(...).frame``, kept for the next request while the round's
    responses do not change (an analyst trying methods and filters re-reads nothing).

    The key is the database and the question; the stamp is the number, smallest and largest
    id and latest change of the round's responses (submitting, withdrawing or deleting a
    response changes it) and a fingerprint of the question's answers (count, largest id and
    sums of their values). Callers must not change the returned frame (the service only
    filters and copies it).
    """
    engine = session.get_bind().engine
    key = (engine.url.render_as_string(hide_password=True), question.id)
    responses = session.execute(
        select(
            func.count(Response.id),
            func.min(Response.id),
            func.max(Response.id),
            func.max(Response.updated_at),
            func.count(Response.submitted_at),
            func.count(Response.withdrawn_at),
        ).where(Response.round_id == question.round_id)
    ).one()
    answers = session.execute(
        select(
            func.count(Answer.id),
            func.max(Answer.id),
            func.sum(Answer.item_id),
            func.sum(Answer.other_item_id),
            func.sum(Answer.option_id),
            func.sum(Answer.task),
            func.sum(Answer.number),
        ).where(Answer.question_id == question.id)
    ).one()
    stamp = (*responses, *answers)
    with _FRAME_CACHE_LOCK:
        cached = _FRAME_CACHE.get(key)
        if cached is not None and cached[0] == stamp:
            _FRAME_CACHE.move_to_end(key)
            return cached[1]
    frame = analysis_input(session, question.id).frame
    with _FRAME_CACHE_LOCK:
        _FRAME_CACHE[key] = (stamp, frame)
        _FRAME_CACHE.move_to_end(key)
        while len(_FRAME_CACHE) > _FRAME_CACHE_SIZE:
            _FRAME_CACHE.popitem(last=False)
    return frame


def clear_frame_cache() -> None:
    """Forget every kept answer frame (tests, benchmarks)."""
    with _FRAME_CACHE_LOCK:
        _FRAME_CACHE.clear()


def _filter(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    for column, values in (
        ("group", filters.groups),
        ("district", filters.districts),
        ("language", filters.languages),
        ("source", filters.sources),
    ):
        if values:
            keep &= frame[column].isin(list(values))
    return frame[keep]


def _scale_max(question: Question, kind: str) -> float | None:
    if kind != "rating":
        return None
    settings = question.settings or {}
    values = [o.value for o in question.options if o.value is not None]
    if values:
        return float(max(values))
    if "scale_max" in settings:
        try:
            return float(settings["scale_max"])
        except (TypeError, ValueError):
            return None
    return None


@dataclass(frozen=True)
class AnalysisFrame:
    """The exact input ``question_results`` hands to ``analysis.rank``, and its options.

    ``options`` are those of the overall ranking (``by_group`` False; ``min_group_size`` is the
    consultation's k, used by any per-group call): ``rank()`` is ``question_results``'
    ``analysis``; ``rank_by_group()`` its ``analysis_groups``; ``rank(by_group=True)`` the single
    call of ``python -m analysis rank --by-group --min-group-size K`` (every group bootstrapped).
    """

    question_id: int
    question_code: str
    round_number: int
    kind: str
    method: str
    frame: pd.DataFrame  # respondent, group, then the kind's columns (filters applied)
    respondents: pd.DataFrame  # the filtered rows with every column (district, language, ...)
    n_respondents_total: int
    options: dict[str, Any]  # keyword arguments of analysis.rank besides data, kind, method
    exclusions: tuple[str, ...] = ()  # response ids left out (present in the answers), sorted

    @property
    def n_excluded(self) -> int:
        return len(self.exclusions)

    def rank(
        self, *, by_group: bool = False, progress: Progress | None = None
    ) -> analysis.RankResult:
        """``analysis.rank`` on this frame with these options (``by_group``: also rank within
        each group, small groups suppressed, every group bootstrapped; ``progress(done, total)``
        hears how far the bootstrap is)."""
        return analysis.rank(
            self.frame,
            self.kind,
            self.method,
            **{**self.options, "by_group": by_group},
            progress=progress,
        )

    def rank_by_group(self) -> analysis.RankResult:
        """Per-group rankings (small groups suppressed) without a bootstrap: cheap; the pages
        show group ranks and agreement, not group intervals."""
        return analysis.rank(
            self.frame, self.kind, self.method, **{**self.options, "by_group": True, "bootstrap": 0}
        )


def analysis_frame(
    session: Session,
    consultation: Consultation,
    question_code: str,
    *,
    method: str | None = None,
    weighting: str = "respondent",
    filters: Filters | None = None,
    bootstrap: int | None = None,
    seed: int | None = DEFAULT_SEED,
    top_k: int | None = None,
    round_number: int | None = None,
    exclude: Iterable[str | int] = (),
    ignore_unknown_exclusions: bool = False,
) -> AnalysisFrame:
    """The filtered long frame of a question and the ``analysis.rank`` options, checked.

    ``exclude``: response ids whose rows are dropped (before the filters); an id that did not
    answer is refused, or with ``ignore_unknown_exclusions`` (checking a published report whose
    excluded response has gone since) skipped. Raises ``InvalidParameter``, ``NoAnswers`` and
    ``TooFewRespondents`` (see :func:`question_results`).
    """
    filters = filters or Filters()
    wanted = _exclusion_ids(exclude)
    question, kind = _find_question(session, consultation, question_code, round_number)
    methods = analysis.methods_for(kind)
    chosen = methods[0] if method in (None, "") else str(method)
    _check_choice("method", chosen, methods)
    _check_choice("weighting", weighting, WEIGHTINGS)
    for source in filters.sources:
        _check_choice("source", source, SOURCES)
    if bootstrap is None:
        bootstrap = default_bootstrap(kind, chosen)
    replicates = _check_int("bootstrap", bootstrap, 0, max_bootstrap(kind, chosen))
    if seed is not None:
        seed = _check_int("seed", seed, 0, MAX_SEED)
    if top_k is not None:
        top_k = _check_int("top_k", top_k, 1, 100)
    k = int(consultation.min_group_size or analysis.DEFAULT_MIN_GROUP_SIZE)

    full = _answers_frame(session, question)
    n_total = int(full["respondent"].nunique())
    present = set(full["respondent"].astype(str))
    unknown = [rid for rid in wanted if rid not in present]
    if unknown and not ignore_unknown_exclusions:
        raise InvalidParameter(
            "exclude",
            f"no submitted answers to this question from response(s) {', '.join(unknown)}",
            unknown,
        )
    excluded = tuple(rid for rid in wanted if rid in present)
    if excluded:
        full = full[~full["respondent"].astype(str).isin(excluded)]
    frame = _filter(full, filters)
    n = int(frame["respondent"].nunique())
    if n == 0:
        raise NoAnswers(
            "no submitted answers to this question match"
            if filters.active
            else "nobody has answered this question yet"
        )
    if (filters.active or excluded) and split_by_size({"filtered": n}, k)[1]:
        raise TooFewRespondents(
            f"fewer than {k} respondents match these filters: results withheld", k
        )
    columns = ["respondent", "group", *KIND_COLUMNS[kind]]
    options: dict[str, Any] = {
        "weights": weighting,
        "scale_max": _scale_max(question, kind),
        "bootstrap": replicates,
        "seed": seed,
        "top_k": top_k,
        "by_group": False,
        "min_group_size": k,
    }
    return AnalysisFrame(
        question_id=question.id,
        question_code=question.code,
        round_number=question.round.number,
        kind=kind,
        method=chosen,
        frame=frame[columns].reset_index(drop=True),
        respondents=frame,
        n_respondents_total=n_total,
        options=options,
        exclusions=excluded,
    )


def _exclusion_ids(values: Iterable[str | int]) -> tuple[str, ...]:
    """Response ids as the frame writes them (``"12"``), distinct and sorted by number."""
    if isinstance(values, str | int):
        values = [values]
    ids: set[int] = set()
    for value in values:
        text = value.strip() if isinstance(value, str) else value
        if isinstance(text, bool) or not (
            (isinstance(text, int) and text > 0)
            or (isinstance(text, str) and text.isascii() and text.isdigit() and int(text) > 0)
        ):
            raise InvalidParameter(
                "exclude", f"{value!r} is not a response id (a positive whole number)", [str(value)]
            )
        ids.add(int(text))
    return tuple(str(i) for i in sorted(ids))


def _run(
    data: AnalysisFrame, progress: Progress | None = None
) -> tuple[analysis.RankResult, analysis.RankResult]:
    try:
        return data.rank(progress=progress), data.rank_by_group()
    except analysis.InputError as exc:
        raise InvalidState(f"the analysis refused these answers: {exc}") from None


@dataclass(frozen=True)
class _ItemInfo:
    code: str
    label: str
    objective: str | None
    objective_title: str | None
    kind: str | None


def _item_infos(
    session: Session, consultation: Consultation, question: Question, language: str
) -> dict[str, _ItemInfo]:
    rows = session.scalars(
        select(QuestionItem)
        .where(QuestionItem.question_id == question.id)
        .options(selectinload(QuestionItem.item).selectinload(Item.objective))
        .order_by(QuestionItem.position, QuestionItem.id)
    ).all()
    infos = {}
    for qi in rows:
        item = qi.item
        objective = item.objective
        infos[item.code] = _ItemInfo(
            code=item.code,
            label=_text(item.label, language, consultation),
            objective=objective.code if objective is not None else None,
            objective_title=_text(objective.title, language, consultation)
            if objective is not None
            else None,
            kind=ItemKind(item.kind).value,
        )
    if not infos:  # a rating question without items is analysed under its own code
        infos[question.code] = _ItemInfo(
            question.code, _text(question.text, language, consultation), None, None, None
        )
    return infos


def _item_row(entry: dict[str, Any], infos: dict[str, _ItemInfo]) -> dict[str, Any]:
    code = str(entry["item"])
    info = infos.get(code) or _ItemInfo(code, code, None, None, None)
    return {
        "code": code,
        "label": info.label,
        "objective": info.objective,
        "objective_title": info.objective_title,
        "score": entry["score"],
        "rank": entry["rank"],
        "ci_low": entry["ci_low"],
        "ci_high": entry["ci_high"],
        "rank_ci_low": entry["rank_ci_low"],
        "rank_ci_high": entry["rank_ci_high"],
        "p_top_k": entry["p_top_k"],
    }


def _counts(
    frame: pd.DataFrame, column: str, labels: dict[str, str], k: int | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Respondents per value of ``column``; values below ``k`` hidden when ``k`` is given."""
    values = frame[["respondent", column]].drop_duplicates("respondent")[column]
    sizes = {str(v): int(n) for v, n in values.dropna().value_counts().items()}
    hidden = set(split_by_size(sizes, k)[1]) if k is not None else set()
    order = [c for c in labels if c in sizes] + sorted(c for c in sizes if c not in labels)
    rows = [
        {
            "code": code,
            "label": labels.get(code, code),
            "n": None if code in hidden else sizes[code],
            "suppressed": code in hidden,
        }
        for code in order
    ]
    return rows, [labels.get(c, c) for c in order if c in hidden]


def question_results(
    session: Session,
    consultation: Consultation,
    question_code: str,
    *,
    method: str | None = None,
    weighting: str = "respondent",
    filters: Filters | None = None,
    bootstrap: int | None = None,
    seed: int | None = DEFAULT_SEED,
    top_k: int | None = None,
    language: str | None = None,
    round_number: int | None = None,
    exclude: Iterable[str | int] = (),
    ignore_unknown_exclusions: bool = False,
    progress: Progress | None = None,
) -> QuestionResults:
    """The ranking of a priority question by ``analysis.rank``, labelled and protected.

    Parameters
    ----------
    question_code, round_number
        The question (default: the latest round that asks it).
    method
        A method of ``analysis.methods_for(kind)``; default the first registered.
    weighting
        ``"respondent"`` (everybody counts once) or ``"equal-groups"`` (every stakeholder group
        the same total weight).
    filters
        Respondents to keep (stakeholder group, district, language, online/workshop).
    bootstrap, seed, top_k
        Bootstrap replicates (0 to ``MAX_BOOTSTRAP``; default :func:`default_bootstrap`), its
        seed, and k of "probability of top k".
    language
        Language of labels and explanations (default: the consultation's default language).
    exclude, ignore_unknown_exclusions
        Responses to leave out (see :func:`analysis_frame`).
    progress
        ``progress(done, total)``: how far the overall bootstrap is (``analysis.rank``).

    The caller has checked ``Action.ANALYSE``. Raises ``InvalidParameter`` (unknown question,
    method, weighting, source, excluded response; bootstrap or seed out of range),
    ``NoAnswers``, ``TooFewRespondents`` (filters or exclusions leave fewer than ``k``
    respondents) and ``InvalidState`` (the analysis refused the answers).
    """
    language = language or consultation.default_language
    filters = filters or Filters()
    data = analysis_frame(
        session,
        consultation,
        question_code,
        method=method,
        weighting=weighting,
        filters=filters,
        bootstrap=bootstrap,
        seed=seed,
        top_k=top_k,
        round_number=round_number,
        exclude=exclude,
        ignore_unknown_exclusions=ignore_unknown_exclusions,
    )
    question = session.get(Question, data.question_id)
    assert question is not None
    kind, chosen = data.kind, data.method
    overall, breakdown = _run(data, progress)
    payload = overall.to_dict()
    split = breakdown.to_dict()
    k = int(data.options["min_group_size"])
    infos = _item_infos(session, consultation, question, language)
    names = _group_names(consultation, language)
    registered = analysis.get_method(kind, chosen)

    items = [_item_row(entry, infos) for entry in payload["items"]]
    answered = {row["code"] for row in items}
    unanswered = [
        {"code": code, "label": info.label} for code, info in infos.items() if code not in answered
    ]

    groups = []
    suppressed = []
    group_order = [c for c in names if c in (split["groups"] or {})]
    group_order += sorted(c for c in (split["groups"] or {}) if c not in names)
    for code in group_order:
        entry = split["groups"][code]
        name = names.get(code, code)
        if entry["suppressed"]:
            suppressed.append(name)
        rows = entry["items"] or []
        groups.append(
            {
                "code": code,
                "name": name,
                "n": entry["n"],
                "suppressed": bool(entry["suppressed"]),
                "agreement": entry["agreement"],
                "ranks": {str(r["item"]): r["rank"] for r in rows},
                "scores": {str(r["item"]): r["score"] for r in rows},
            }
        )

    differences = None
    if payload["group_differences"] is not None:
        differences = []
        for entry in payload["group_differences"]:
            code = str(entry["item"])
            q_value = entry["q_value"]
            differences.append(
                {
                    "code": code,
                    "label": infos[code].label if code in infos else code,
                    "statistic": entry["statistic"],
                    "p_value": entry["p_value"],
                    "q_value": q_value,
                    "differs": q_value is not None and q_value < SIGNIFICANCE,
                    "consensus": entry["consensus"],
                    "polarising": entry["polarising"],
                }
            )
        differences.sort(key=lambda d: (d["q_value"] is None, d["q_value"] or 0.0, d["label"]))

    correlations = None
    if split["group_correlations"] is not None:
        correlations = [
            {
                **c,
                "name_a": names.get(c["group_a"], c["group_a"]),
                "name_b": names.get(c["group_b"], c["group_b"]),
            }
            for c in split["group_correlations"]
        ]

    filtered = data.respondents
    by_group = [
        {"code": g["code"], "label": g["name"], "n": g["n"], "suppressed": g["suppressed"]}
        for g in groups
    ]
    by_district, hidden_districts = _counts(
        filtered, "district", _district_labels(session, consultation, language), k
    )
    by_language, _ignored = _counts(
        filtered,
        "language",
        {c: _language_name(c, language) for c in consultation.languages},
        None,
    )
    by_source, _ignored = _counts(filtered, "source", _source_names(language), None)

    return QuestionResults(
        consultation=consultation.slug,
        round_number=data.round_number,
        language=language,
        question={
            "code": question.code,
            "type": question.type,
            "kind": kind,
            "text": _text(question.text, language, consultation),
        },
        method={
            "name": chosen,
            "summary": registered.summary,
            "explanation": method_explanation(kind, chosen, language),
            "higher_is_better": registered.higher_is_better,
        },
        weighting=weighting,
        filters=filters.as_dict(),
        min_group_size=k,
        bootstrap=payload["bootstrap"],
        seed=payload["seed"],
        confidence=payload["confidence"],
        top_k=payload["top_k"],
        n_respondents=payload["n_respondents"],
        n_effective=payload["n_effective"],
        n_groups=payload["n_groups"],
        n_respondents_total=data.n_respondents_total,
        items=items,
        unanswered_items=unanswered,
        agreement=payload["agreement"],
        consistency=payload["consistency"],
        groups=groups,
        suppressed_groups=suppressed,
        group_differences=differences,
        consensus_items=[d["code"] for d in differences or [] if d["consensus"]],
        polarising_items=[d["code"] for d in differences or [] if d["polarising"]],
        group_correlations=correlations,
        counts={
            "by_group": by_group,
            "by_district": by_district,
            "by_language": by_language,
            "by_source": by_source,
        },
        suppressed_districts=hidden_districts,
        analysis=payload,
        analysis_groups=split,
        exclusions=list(data.exclusions),
        n_excluded=data.n_excluded,
    )


# --------------------------------------------------------------------------------------------
# The action-plan draft


def _default_question(
    session: Session, consultation: Consultation, item_kind: ItemKind, kinds: Sequence[str] = ()
) -> Question | None:
    """The priority question asking about the most items of ``item_kind`` (first on ties)."""
    best: tuple[int, Question] | None = None
    for q in _priority_questions(session, consultation):
        kind = get_type(q.type).analysis_kind
        if kinds and kind not in kinds:
            continue
        n = sum(1 for qi in q.question_items if ItemKind(qi.item.kind) == item_kind)
        if n and (best is None or n > best[0]):
            best = (n, q)
    return best[1] if best else None


def action_plan(
    session: Session,
    consultation: Consultation,
    *,
    actor: User | None,
    language: str | None = None,
    question_code: str | None = None,
    method: str | None = None,
    weighting: str = "respondent",
    top_n: int = 3,
    bootstrap: int | None = None,
    seed: int | None = DEFAULT_SEED,
    challenge_question_code: str | None = None,
) -> ActionPlan:
    """The action-plan draft: top actions per objective, challenge severity, participation.

    ``question_code`` is the priority question ranking the actions (default: the one asking
    about the most actions); every action is ranked once over all objectives by
    :func:`question_results`, then the ``top_n`` best of each objective are listed with their
    score, interval, rank range and probability of being in the top k. The challenge summary
    ranks the challenges of ``challenge_question_code`` (default: the rating question asking
    about the most challenges) by the first rating method (the mean). Participation comes from
    ``monitoring.monitor``; stakeholder groups with fewer than ``k`` submitted responses are
    hidden. Raises ``Forbidden`` unless ``actor`` may analyse the consultation, and
    ``InvalidParameter`` for a bad choice.
    """
    require(actor, Action.ANALYSE, consultation)
    language = language or consultation.default_language
    top_n = _check_int("top_n", top_n, 1, MAX_TOP_N)
    k = int(consultation.min_group_size or analysis.DEFAULT_MIN_GROUP_SIZE)

    priorities = None
    objectives: list[dict[str, Any]] = []
    if question_code:
        _find_question(session, consultation, question_code, None)
        code: str | None = question_code
    else:
        default = _default_question(session, consultation, ItemKind.ACTION)
        code = default.code if default is not None else None
    if code is not None:
        priorities, objectives = _priorities(
            session,
            consultation,
            code,
            method=method,
            weighting=weighting,
            bootstrap=bootstrap,
            seed=seed,
            language=language,
            top_n=top_n,
        )

    challenges = None
    if challenge_question_code:
        _find_question(session, consultation, challenge_question_code, None)
        challenge_code: str | None = challenge_question_code
    else:
        found = _default_question(session, consultation, ItemKind.CHALLENGE, ("rating",))
        challenge_code = found.code if found is not None else None
    if challenge_code is not None:
        try:
            severity = question_results(
                session,
                consultation,
                challenge_code,
                weighting=weighting,
                bootstrap=bootstrap,
                seed=seed,
                language=language,
            )
        except NoAnswers:
            severity = None
        if severity is not None:
            challenges = {
                "question": severity.question,
                "method": severity.method,
                "weighting": severity.weighting,
                "n_respondents": severity.n_respondents,
                "bootstrap": severity.bootstrap,
                "confidence": severity.confidence,
                "items": severity.items,
            }
        else:
            challenges = {
                "question": _question_ref(session, consultation, challenge_code, language),
                "method": None,
                "weighting": weighting,
                "n_respondents": 0,
                "bootstrap": 0,
                "confidence": None,
                "items": [],
            }

    return ActionPlan(
        consultation=consultation.slug,
        title=_text(consultation.title, language, consultation),
        language=language,
        min_group_size=k,
        top_n=top_n,
        priorities=priorities,
        objectives=objectives,
        challenges=challenges,
        participation=_participation(session, actor, consultation, language, k),
    )


def _question_ref(
    session: Session, consultation: Consultation, code: str, language: str
) -> dict[str, str]:
    question, kind = _find_question(session, consultation, code, None)
    return {
        "code": question.code,
        "type": question.type,
        "kind": kind,
        "text": _text(question.text, language, consultation),
    }


def _priorities(
    session: Session,
    consultation: Consultation,
    code: str,
    *,
    method: str | None,
    weighting: str,
    bootstrap: int | None,
    seed: int | None,
    language: str,
    top_n: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    question, _kind = _find_question(session, consultation, code, None)
    try:
        results: QuestionResults | None = question_results(
            session,
            consultation,
            code,
            method=method,
            weighting=weighting,
            bootstrap=bootstrap,
            seed=seed,
            language=language,
        )
    except NoAnswers:
        results = None
    items = results.items if results is not None else []
    by_objective: dict[str | None, list[dict[str, Any]]] = {}
    for row in items:  # already in rank order
        by_objective.setdefault(row["objective"], []).append(row)
    asked = _item_infos(session, consultation, question, language)
    objectives = []
    for objective in consultation.objectives:
        n_actions = sum(1 for i in asked.values() if i.objective == objective.code)
        if not n_actions:
            continue
        objectives.append(
            {
                "code": objective.code,
                "title": _text(objective.title, language, consultation),
                "n_actions": n_actions,
                "actions": by_objective.get(objective.code, [])[:top_n],
            }
        )
    loose = [i for i in asked.values() if i.objective is None and i.kind == ItemKind.ACTION.value]
    if loose:
        objectives.append(
            {
                "code": None,
                "title": None,
                "n_actions": len(loose),
                "actions": by_objective.get(None, [])[:top_n],
            }
        )
    summary: dict[str, Any] = {
        "question": _question_ref(session, consultation, code, language),
        "weighting": weighting,
        "n_respondents": 0,
        "n_effective": 0.0,
        "bootstrap": 0,
        "seed": seed,
        "confidence": None,
        "top_k": None,
        "method": None,
        "min_group_size": int(consultation.min_group_size),
    }
    if results is not None:
        summary.update(
            method=results.method,
            n_respondents=results.n_respondents,
            n_effective=results.n_effective,
            bootstrap=results.bootstrap,
            confidence=results.confidence,
            top_k=results.top_k,
        )
    return summary, objectives


def _participation(
    session: Session, actor: User | None, consultation: Consultation, language: str, k: int
) -> dict[str, Any]:
    numbers = monitoring.monitor(session, actor, consultation)
    names = _group_names(consultation, language)
    sizes = {(g.code or UNKNOWN_GROUP): g.submitted for g in numbers.by_group}
    hidden = set(split_by_size(sizes, k)[1])
    by_group = []
    for g in numbers.by_group:
        code = g.code or UNKNOWN_GROUP
        small = code in hidden
        by_group.append(
            {
                "code": code,
                "name": names.get(code, code),
                "suppressed": small,
                "invited": None if small else g.invited,
                "started": None if small else g.started,
                "submitted": None if small else g.submitted,
                "withdrawn": None if small else g.withdrawn,
            }
        )
    return {
        "total": vars(numbers.total).copy(),
        "by_group": by_group,
        "by_language": [vars(c).copy() for c in numbers.by_language],
        "suppressed_groups": [row["name"] for row in by_group if row["suppressed"]],
    }
