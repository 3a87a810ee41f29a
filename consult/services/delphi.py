"""Delphi rounds: create round N+1 from round N, show panelists the panel's round-N result, and
tell analysts and facilitators where consensus stands and whether to stop.

Every number comes from ``analysis.delphi`` (median and interquartile range by linear
interpolation, share agreeing, consensus, stability with the Wilcoxon signed-rank test); this
module picks the submitted answers, hands them over as one long DataFrame per question and
shapes plain, JSON-ready data. Functions flush, never commit, and raise the typed errors of
``consult.services.errors``.

**Rounds.** :func:`create_next_round` copies the latest round's questionnaire (sections,
questions, options, items — through ``transfer``'s document, so a copy and an export agree)
into a draft round N+1 whose ``previous_round_id`` is round N and whose
``feedback = {"questions": [codes]}`` names the questions that show round N's results.
Invitations belong to the consultation, so every panelist's personal link works in every round
(``Participation`` allows one submission per invitation *per round*). :func:`open_next_round`
closes round N and opens round N+1 after the checks of opening a consultation.

**Feedback** (:func:`page_feedback`): per item of a rating or matrix question, the round-N
panel's number of answers, median, quartiles, interquartile range and a histogram over the scale
points ("don't know" counted apart). These overall figures are shown whatever the panel's size:
they reveal no individual answer and no breakdown by group (the consultation's
``min_group_size`` protects breakdowns, and there are none here). Panelists never see who
answered what.

**Own previous answers**: a panelist who comes through their invitation sees (and starts
with) their own round-N answer — in *named* and *confidential* consultations, where a submitted
response keeps its invitation. In *anonymous* consultations nothing links a submitted response
to its invitation, so the own answer cannot be shown (the page says so), and stability between
rounds cannot be measured either (no pairs of answers).

**Summary** (:func:`delphi_summary`) for analysts and facilitators: per question, item and
round: n, median, quartiles, IQR, share agreeing (top ``agree_points`` points of the scale),
share disagreeing (bottom ``agree_points`` points), consensus and its direction; the first round
with consensus; stability between consecutive rounds (share of panelists who changed, Wilcoxon
p, stable or not); the reasons panelists gave; and a stop-or-continue recommendation: stop when
every item is in consensus or stable in the latest round with answers. Defaults and their
sources are in :data:`SOURCES` (and ``analysis/delphi.py``).

``delphi_summary(...).as_dict()`` is the JSON-ready shape (the PDF report's Delphi section reads
it)::

    consultation, language, anonymity, paired (stability measurable), is_delphi
    thresholds {iqr_max, agree_share, agree_points, stable_share, significance}
    sources [{key, citation, used_for}]
    rounds [{number, state, responses, feedback_questions}]
    based_on_round                        latest round with answers (None: no answers yet)
    questions [{code, text, type, scale {points, agree_min, disagree_max}, items [
        {code, label, rounds [{round, n, dont_know, median, q1, q3, iqr, share_agree,
                               share_disagree, consensus, direction}],
         first_consensus_round, transitions [{from_round, to_round, share_changed,
                                              wilcoxon_p, n_paired, stable}],
         round, consensus, direction, stable, settled, reasons [text]}]}]
    consensus_by_round [{round, items [{question, item, label, direction}]}]   first reached
    recommendation {decision: "stop"|"continue"|"no_data", n_items, n_consensus, n_stable,
                    n_settled, unsettled [{question, item, label}]}
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

import analysis
from analysis.delphi import AGREE_SHARE, IQR_MAX, SIGNIFICANCE, STABLE_SHARE
from consult.models import (
    ANSWER_VALUES,
    AnonymityMode,
    Answer,
    Consultation,
    ConsultationState,
    Question,
    Response,
    ResponseState,
    Round,
    RoundState,
    User,
)
from consult.questions import AnswerRow, QuestionSpec, get_type
from consult.questions.scale import DONT_KNOW, ScalePoint, scale_points
from consult.services import lifecycle, transfer
from consult.services.audit import record
from consult.services.errors import Conflict, InvalidState, ServiceError
from consult.services.participation import (
    FEEDBACK_TYPES,
    Access,
    Survey,
    build_survey,
    feedback_codes,
    previous_response,
    reason_fields,
)
from consult.services.permissions import Action, require

__all__ = [
    "AGREE_POINTS",
    "AGREE_SHARE",
    "FEEDBACK_TYPES",
    "IQR_MAX",
    "SIGNIFICANCE",
    "SOURCES",
    "STABLE_SHARE",
    "Bar",
    "DelphiSummary",
    "FeedbackChoice",
    "InvalidParameter",
    "ItemFeedback",
    "QuestionFeedback",
    "RoundPlan",
    "create_next_round",
    "delphi_summary",
    "is_delphi",
    "open_next_round",
    "own_previous_answers",
    "page_feedback",
    "panel_feedback",
    "round_plan",
]

#: "Agreeing" = the top two points of the scale (4–5 on 1–5); "disagreeing" the bottom two.
AGREE_POINTS = 2

#: Where the default thresholds come from.
SOURCES: tuple[dict[str, str], ...] = (
    {
        "key": "von-der-gracht-2012",
        "citation": "von der Gracht, H. A. (2012). Consensus measurement in Delphi studies: "
        "review and implications for future quality assurance. Technological Forecasting and "
        "Social Change 79(8), 1525–1536.",
        "used_for": "iqr_max",
    },
    {
        "key": "diamond-2014",
        "citation": "Diamond, I. R. et al. (2014). Defining consensus: a systematic review "
        "recommends methodologic criteria for reporting of Delphi studies. Journal of "
        "Clinical Epidemiology 67(4), 401–409.",
        "used_for": "agree_share",
    },
    {
        "key": "scheibe-1975",
        "citation": "Scheibe, M., Skutsch, M. & Schofer, J. (1975). Experiments in Delphi "
        "methodology. In H. A. Linstone & M. Turoff (eds.), The Delphi Method: Techniques and "
        "Applications, 262–287. Addison-Wesley.",
        "used_for": "stable_share",
    },
    {
        "key": "dajani-1979",
        "citation": "Dajani, J. S., Sincoff, M. Z. & Talley, W. K. (1979). Stability and "
        "agreement criteria for the termination of Delphi studies. Technological Forecasting "
        "and Social Change 13(1), 83–90.",
        "used_for": "decision",
    },
)


class InvalidParameter(ServiceError):
    """A threshold or a feedback question given is not acceptable."""


# --- plain data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackChoice:
    """A question of round N that can show its results in round N+1."""

    code: str
    type: str
    text: str
    n_items: int


@dataclass(frozen=True)
class RoundInfo:
    """One round as the Delphi pages show it."""

    number: int
    state: str
    responses: int
    feedback_questions: list[str]


@dataclass(frozen=True)
class RoundPlan:
    """What the facilitator can do next.

    ``blocked`` says why no round can be created now: ``"not_started"`` (a draft
    consultation), ``"archived"``, ``"draft_round"`` (round ``draft`` waits to be opened) or
    ``None``. ``choices`` are round ``source``'s questions that can carry feedback.
    """

    rounds: list[RoundInfo]
    source: int | None
    next_number: int | None
    draft: int | None
    blocked: str | None
    choices: list[FeedbackChoice]
    version: int


@dataclass(frozen=True)
class Bar:
    """One scale point of the feedback histogram."""

    code: str
    label: str
    value: float
    count: int
    percent: int  # of the item's answers on the scale (rounded; bar length)
    own: bool  # the panelist's own answer in the previous round


@dataclass(frozen=True)
class ItemFeedback:
    """The panel's previous-round result for one item, and the panelist's own answer."""

    code: str
    label: str
    n: int
    dont_know: int
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    bars: list[Bar]
    own_code: str | None
    own_label: str | None
    reason_field: str


@dataclass(frozen=True)
class QuestionFeedback:
    """A feedback question's previous-round results for one panelist.

    ``own``: ``"shown"`` (the own answers are given per item), ``"not_answered"`` (the
    panelist sent no answer to this question in that round), ``"anonymous"`` (cannot be shown:
    nothing links answers to invitations) or ``"unknown"`` (no invitation: an open link).
    """

    code: str
    previous_round: int
    items: list[ItemFeedback]
    own: str

    def item(self, code: str) -> ItemFeedback | None:
        return next((i for i in self.items if i.code == code), None)


@dataclass(frozen=True)
class ItemRound:
    round: int
    n: int
    dont_know: int
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    share_agree: float | None
    share_disagree: float | None
    consensus: bool
    direction: str | None


@dataclass(frozen=True)
class Transition:
    from_round: int
    to_round: int
    share_changed: float | None
    wilcoxon_p: float | None
    n_paired: int
    stable: bool | None


@dataclass(frozen=True)
class ItemSummary:
    code: str
    label: str
    rounds: list[ItemRound]
    first_consensus_round: int | None
    transitions: list[Transition]
    round: int | None  # the latest round with answers to this item
    consensus: bool
    direction: str | None
    stable: bool | None
    settled: bool
    reasons: list[str]


@dataclass(frozen=True)
class QuestionSummary:
    code: str
    text: str
    type: str
    scale: dict[str, Any]
    items: list[ItemSummary]


@dataclass(frozen=True)
class DelphiSummary:
    """Where a Delphi consultation stands (see the module docstring for the shape)."""

    consultation: str
    language: str
    anonymity: str
    paired: bool
    is_delphi: bool
    thresholds: dict[str, float]
    sources: list[dict[str, str]]
    rounds: list[RoundInfo]
    based_on_round: int | None
    questions: list[QuestionSummary]
    consensus_by_round: list[dict[str, Any]]
    recommendation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dicts and lists of str, int, float, bool and None."""
        return asdict(self)


# --- rounds --------------------------------------------------------------------------------------


def is_delphi(consultation: Consultation) -> bool:
    """Whether the consultation has more than one round or a round showing feedback."""
    return len(consultation.rounds) > 1 or any(feedback_codes(r) for r in consultation.rounds)


def _latest(consultation: Consultation) -> Round | None:
    return max(consultation.rounds, key=lambda r: r.number, default=None)


def _responses_by_round(session: Session, consultation: Consultation) -> dict[int, int]:
    """Submitted responses per round id."""
    rows = session.execute(
        select(Response.round_id, func.count(Response.id))
        .join(Round, Round.id == Response.round_id)
        .where(Round.consultation_id == consultation.id, Response.state == ResponseState.SUBMITTED)
        .group_by(Response.round_id)
    )
    return {round_id: int(n) for round_id, n in rows}


def _round_infos(session: Session, consultation: Consultation) -> list[RoundInfo]:
    counts = _responses_by_round(session, consultation)
    return [
        RoundInfo(
            number=r.number,
            state=RoundState(r.state).value,
            responses=counts.get(r.id, 0),
            feedback_questions=sorted(feedback_codes(r)),
        )
        for r in sorted(consultation.rounds, key=lambda r: r.number)
    ]


def round_plan(session: Session, consultation: Consultation, language: str) -> RoundPlan:
    """The rounds so far, and whether (and from which questions) round N+1 can be created."""
    latest = _latest(consultation)
    state = ConsultationState(consultation.state)
    blocked = None
    if state == ConsultationState.ARCHIVED:
        blocked = "archived"
    elif latest is None or state == ConsultationState.DRAFT:
        blocked = "not_started"
    elif latest.state == RoundState.DRAFT:
        blocked = "draft_round"
    choices: list[FeedbackChoice] = []
    if latest is not None:
        survey = build_survey(session, latest, language)
        choices = [
            FeedbackChoice(q.code, q.type, q.text, len(q.items))
            for page in survey.pages
            for q in page.questions
            if q.type in FEEDBACK_TYPES
        ]
    draft = (
        latest.number
        if latest is not None and latest.state == RoundState.DRAFT and latest.previous_round_id
        else None
    )
    return RoundPlan(
        rounds=_round_infos(session, consultation),
        source=latest.number if latest is not None and blocked is None else None,
        next_number=latest.number + 1 if latest is not None and blocked is None else None,
        draft=draft,
        blocked=blocked,
        choices=choices,
        version=consultation.version,
    )


def _check_version(consultation: Consultation, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != consultation.version:
        raise Conflict(
            "someone else changed this consultation since you opened it "
            f"(version {consultation.version}, yours {expected_version}): reload it"
        )


def create_next_round(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    feedback_questions: Iterable[str] = (),
    expected_version: int | None = None,
) -> Round:
    """Create draft round N+1 from the latest round N (open or closed).

    The new round has round N's sections, questions, options and items (copied through
    ``transfer.consultation_document``), no schedule, ``previous_round_id`` = round N and
    ``feedback = {"questions": [codes]}``: the rating and matrix questions that show round N's
    results. Invitations are the consultation's and stay valid. Raises ``Forbidden`` unless
    ``actor`` may edit the consultation; ``InvalidState`` for a draft or archived consultation
    or when round N is itself a draft; ``InvalidParameter`` for a code that is not a rating or
    matrix question of round N; ``Conflict`` when someone created the round at the same time
    or ``expected_version`` (the consultation's version the form was built from) is stale.
    """
    require(actor, Action.EDIT, consultation)
    _check_version(consultation, expected_version)
    state = ConsultationState(consultation.state)
    if state == ConsultationState.ARCHIVED:
        raise InvalidState("an archived consultation cannot change")
    latest = _latest(consultation)
    if state == ConsultationState.DRAFT or latest is None:
        raise InvalidState(
            "the consultation has not opened yet: round 1 must take answers before a next "
            "round can show them"
        )
    if latest.state == RoundState.DRAFT:
        raise InvalidState(
            f"round {latest.number} is still a draft: open it before creating another round"
        )
    codes = list(dict.fromkeys(feedback_questions))
    eligible = {q.code for q in latest.questions if q.type in FEEDBACK_TYPES}
    wrong = [c for c in codes if c not in eligible]
    if wrong:
        raise InvalidParameter(
            f"these questions cannot show feedback (only rating and matrix questions of round "
            f"{latest.number} can): {', '.join(wrong)}"
        )
    document = transfer.consultation_document(consultation)
    source = next(r for r in document["rounds"] if r["number"] == latest.number)
    items = {item.code: item for item in consultation.items}
    new = Round(
        consultation_id=consultation.id,
        number=latest.number + 1,
        state=RoundState.DRAFT,
        previous_round_id=latest.id,
        title=dict(latest.title or {}),
        feedback={"questions": codes},
    )
    # the same builder as importing a consultation document (sections, questions, options, items)
    transfer._build_sections(new, source["sections"], items)
    try:
        with session.begin_nested():
            session.add(new)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"round {latest.number + 1} was created by someone else at the same time"
        ) from None
    session.expire(consultation, ["rounds"])
    record(
        session,
        actor,
        "round.create",
        new,
        consultation=consultation,
        number=new.number,
        previous=latest.number,
        feedback=codes,
    )
    return new


def open_next_round(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    now: datetime,
    expected_version: int | None = None,
) -> Round:
    """Open the draft Delphi round and close the rounds open before it.

    A closed consultation opens again. Raises ``Forbidden`` unless ``actor`` may edit the
    consultation; ``InvalidState`` when there is no draft round created by
    :func:`create_next_round` or the consultation is a draft or archived;
    ``lifecycle.OpeningRefused`` (an ``InvalidState``) with every problem of opening (missing
    translations, schedule); ``Conflict`` when ``expected_version`` is stale.
    """
    require(actor, Action.EDIT, consultation)
    _check_version(consultation, expected_version)
    state = ConsultationState(consultation.state)
    if state not in (ConsultationState.OPEN, ConsultationState.CLOSED):
        raise InvalidState(f"a {state.value} consultation cannot open a new round")
    latest = _latest(consultation)
    if latest is None or latest.state != RoundState.DRAFT or latest.previous_round_id is None:
        raise InvalidState("there is no new round to open: create it first")
    problems, missing = lifecycle.opening_problems(consultation, latest, now)
    if problems:
        raise lifecycle.OpeningRefused(problems, missing)
    closed = []
    for round_ in sorted(consultation.rounds, key=lambda r: r.number):
        if round_.state == RoundState.OPEN:
            round_.state = RoundState.CLOSED
            closed.append(round_.number)
    latest.state = RoundState.OPEN
    consultation.state = ConsultationState.OPEN
    flag_modified(consultation, "state")  # a new round is a new version (optimistic locking)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "someone else changed this consultation at the same time: reload it and try again"
        ) from None
    record(
        session,
        actor,
        "round.open",
        latest,
        consultation=consultation,
        number=latest.number,
        closed=closed,
        previous_state=state,
    )
    return latest


# --- collecting answers --------------------------------------------------------------------------


def _item_key(q: QuestionSpec, item_id: int | None) -> tuple[str, str] | None:
    """The analysis item code of an answer row, and its label."""
    if q.type == "matrix":
        item = q.item_by_id(item_id)
        return (item.code, item.label) if item else None
    if q.items:
        return q.items[0].code, q.items[0].label
    return q.code, q.text


def _items_of(q: QuestionSpec) -> list[tuple[str, str]]:
    """The question's items as (analysis code, label), in order."""
    if q.type == "matrix":
        return [(i.code, i.label) for i in q.items]
    key = _item_key(q, None)
    return [key] if key else []


@dataclass
class _Collected:
    """One question's submitted answers across rounds."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    dont_know: Counter[tuple[int, str]] = field(default_factory=Counter)
    reasons: dict[tuple[int, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    rounds: set[int] = field(default_factory=set)


def _collect(
    session: Session, rounds: Sequence[Round], specs: Mapping[tuple[int, str], QuestionSpec]
) -> dict[str, _Collected]:
    """Submitted answers to the questions ``specs`` ((round number, code) → spec) by code.

    Respondents are their invitation (``i<id>``: the same panelist in every round) when the
    response keeps one, else the response (``r<id>``: never paired across rounds).
    """
    number = {r.id: r.number for r in rounds}
    codes = {code for _n, code in specs}
    if not rounds or not codes:
        return {}
    result = session.execute(
        select(
            Answer.round_id,
            Question.code,
            Response.id,
            Response.invitation_id,
            *ANSWER_VALUES,
            Answer.reason,
        )
        .join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Answer.round_id.in_(list(number)),
            Question.code.in_(sorted(codes)),
            Response.state == ResponseState.SUBMITTED,
        )
        .order_by(Answer.round_id, Response.id, Answer.id)
    ).all()
    grouped: dict[tuple[int, str, int, int | None], list[Any]] = defaultdict(list)
    for row in result:
        grouped[(number[row[0]], row[1], row[2], row[3])].append(row)
    out: dict[str, _Collected] = defaultdict(_Collected)
    for (round_number, code, response_id, invitation_id), answer_rows in grouped.items():
        spec = specs.get((round_number, code))
        if spec is None:
            continue
        qtype = get_type(spec.type)
        collected = out[code]
        respondent = f"i{invitation_id}" if invitation_id is not None else f"r{response_id}"
        rows = [AnswerRow(*r[4:11]) for r in answer_rows]
        for obs in qtype.analysis_rows(spec, rows):
            collected.rows.append({"respondent": respondent, "round": round_number, **obs})
            collected.rounds.add(round_number)
        for r in answer_rows:
            key = _item_key(spec, r[4])
            if key is None:
                continue
            if r[10] == DONT_KNOW:
                collected.dont_know[(round_number, key[0])] += 1
                collected.rounds.add(round_number)
            if r[11]:
                collected.reasons[(round_number, key[0])].append(r[11])
    return dict(out)


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if np.isnan(value) else value


def _flag(value: Any) -> bool | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    return bool(value)


def _scale(q: QuestionSpec, agree_points: int) -> dict[str, Any]:
    """The scale's numeric points and the thresholds of agreeing and disagreeing on it."""
    values = sorted({p.value for p in scale_points(q) if p.value is not None})
    if not values:
        return {"points": [], "agree_min": None, "disagree_max": None}
    k = min(agree_points, len(values))
    return {
        "points": values,
        "agree_min": values[-k],
        "disagree_max": values[k - 1] if len(values) >= 2 * k else None,
    }


def _run(collected: _Collected, scale: Mapping[str, Any], **thresholds: float) -> Any:
    """``analysis.delphi`` on one question's answers (None without numeric answers)."""
    if not collected.rows or scale["agree_min"] is None:
        return None
    frame = pd.DataFrame(collected.rows, columns=["respondent", "round", "item", "value"])
    return analysis.delphi(
        frame,
        agree_min=scale["agree_min"],
        disagree_max=scale["disagree_max"],
        **thresholds,
    )


# --- the panelist's feedback ---------------------------------------------------------------------


def _previous_round(round_: Round) -> Round | None:
    if round_.previous_round_id is None:
        return None
    return next((r for r in round_.consultation.rounds if r.id == round_.previous_round_id), None)


def own_previous_answers(
    session: Session, access: Access, previous: Survey | None = None
) -> dict[str, Any] | None:
    """The panelist's own answers in the previous round, as each type's value, by code.

    ``None`` when they cannot be known: no previous round, an open link (no invitation), or an
    anonymous consultation (a submitted response keeps no invitation there). ``{}`` when the
    invitation sent nothing in the previous round.
    """
    earlier = _previous_round(access.round)
    if (
        earlier is None
        or access.invitation is None
        or access.consultation.anonymity == AnonymityMode.ANONYMOUS
    ):
        return None
    response = previous_response(session, access.round, access.invitation)
    if response is None:
        return {}
    survey = previous or build_survey(session, earlier, access.response.language)
    by_question: dict[int, list[AnswerRow]] = defaultdict(list)
    for a in session.scalars(
        select(Answer).where(Answer.response_id == response.id).order_by(Answer.id)
    ):
        by_question[a.question_id].append(
            AnswerRow(a.item_id, a.other_item_id, a.option_id, a.task, a.number, a.text, a.flag)
        )
    values = {}
    for page in survey.pages:
        for q in page.questions:
            if q.id in by_question:
                values[q.code] = get_type(q.type).from_rows(q, by_question[q.id], response.id)
    return values


def _own_status(access: Access, own: Mapping[str, Any] | None, code: str) -> str:
    if own is None:
        if access.consultation.anonymity == AnonymityMode.ANONYMOUS:
            return "anonymous"
        return "unknown"
    return "shown" if own.get(code) not in (None, {}, "") else "not_answered"


def panel_feedback(
    session: Session,
    round_: Round,
    question: QuestionSpec,
    *,
    own_value: Any = None,
    own: str = "unknown",
    previous: Survey | None = None,
) -> QuestionFeedback | None:
    """The previous round's panel result for ``question`` (a spec of ``round_``).

    Per item: answers on the scale (``n``), "don't know" answers, median, quartiles, IQR and a
    bar per scale point; ``own_value`` (the question type's value in the previous round) marks
    the panelist's own answer. None when ``round_`` shows no feedback for this question.
    """
    earlier = _previous_round(round_)
    if (
        earlier is None
        or question.code not in feedback_codes(round_)
        or question.type not in FEEDBACK_TYPES
    ):
        return None
    survey = previous or build_survey(session, earlier, round_.consultation.default_language)
    old = survey.question(question.code)
    collected = (
        _collect(session, [earlier], {(earlier.number, question.code): old}).get(question.code)
        if old is not None and old.type == question.type
        else None
    ) or _Collected()
    scale = _scale(question, AGREE_POINTS)
    result = _run(collected, scale)
    stats: dict[str, Any] = {}
    counts: dict[str, dict[float, int]] = defaultdict(dict)
    if result is not None:
        for row in result.items.to_dict("records"):
            stats[row["item"]] = row
        for row in result.counts.to_dict("records"):
            counts[row["item"]][float(row["value"])] = int(row["count"])
    points = [p for p in scale_points(question) if p.value is not None]
    items = []
    for code, label in _items_of(question):
        row = stats.get(code, {})
        n = int(row.get("n", 0))
        own_code = own_value.get(code) if isinstance(own_value, dict) else own_value
        own_point = _point(question, own_code)
        bars = [
            Bar(
                code=p.code,
                label=p.label,
                value=float(p.value or 0),
                count=counts[code].get(float(p.value or 0), 0),
                percent=round(100 * counts[code].get(float(p.value or 0), 0) / n) if n else 0,
                own=own_point is not None and own_point.code == p.code,
            )
            for p in points
        ]
        field_name = next(
            (name for name, item in reason_fields(question) if item is None or item.code == code),
            f"{question.field}-reason",
        )
        items.append(
            ItemFeedback(
                code=code,
                label=label,
                n=n,
                dont_know=collected.dont_know.get((earlier.number, code), 0),
                median=_number(row.get("median")),
                q1=_number(row.get("q1")),
                q3=_number(row.get("q3")),
                iqr=_number(row.get("iqr")),
                bars=bars,
                own_code=own_point.code if own_point else None,
                own_label=own_point.label if own_point else None,
                reason_field=field_name,
            )
        )
    return QuestionFeedback(question.code, earlier.number, items, own)


def _point(q: QuestionSpec, code: Any) -> ScalePoint | None:
    if not isinstance(code, str):
        return None
    return next((p for p in scale_points(q) if p.code == code), None)


def page_feedback(
    session: Session, access: Access, survey: Survey, questions: Iterable[QuestionSpec]
) -> dict[str, QuestionFeedback]:
    """The feedback of every feedback question among ``questions`` (a page), by code."""
    wanted = [q for q in questions if q.code in survey.feedback and q.type in FEEDBACK_TYPES]
    earlier = _previous_round(access.round)
    if not wanted or earlier is None:
        return {}
    previous = build_survey(session, earlier, survey.language)
    own = own_previous_answers(session, access, previous)
    out = {}
    for q in wanted:
        feedback = panel_feedback(
            session,
            access.round,
            q,
            own_value=(own or {}).get(q.code),
            own=_own_status(access, own, q.code),
            previous=previous,
        )
        if feedback is not None:
            out[q.code] = feedback
    return out


# --- the analyst's summary -----------------------------------------------------------------------


def _check_thresholds(
    iqr_max: float, agree_share: float, agree_points: int, stable_share: float, significance: float
) -> None:
    if not (np.isfinite(iqr_max) and iqr_max >= 0):
        raise InvalidParameter("the largest interquartile range must be a number of at least 0")
    if not (np.isfinite(agree_share) and 0 < agree_share <= 1):
        raise InvalidParameter("the share agreeing must be between 0 and 1")
    if isinstance(agree_points, bool) or not isinstance(agree_points, int) or agree_points < 1:
        raise InvalidParameter("the number of scale points that count as agreeing must be ≥ 1")
    if not (np.isfinite(stable_share) and 0 <= stable_share <= 1):
        raise InvalidParameter("the share of panelists changing must be between 0 and 1")
    if not (np.isfinite(significance) and 0 < significance < 1):
        raise InvalidParameter("the significance level must be between 0 and 1")


def _delphi_codes(consultation: Consultation) -> list[str]:
    """The questions a Delphi summary is about: the feedback questions of every round, else
    every rating and matrix question of the latest round."""
    rounds = sorted(consultation.rounds, key=lambda r: r.number)
    if not rounds:
        return []
    wanted = {c for r in rounds for c in feedback_codes(r)}
    order = [
        q.code
        for r in reversed(rounds)
        for q in sorted(r.questions, key=lambda q: (q.position, q.id))
        if q.type in FEEDBACK_TYPES and not (q.settings or {}).get("profile_field")
    ]
    if wanted:
        return [c for c in dict.fromkeys(order) if c in wanted]
    latest = {q.code for q in rounds[-1].questions}
    return [c for c in dict.fromkeys(order) if c in latest]


def delphi_summary(
    session: Session,
    consultation: Consultation,
    *,
    language: str,
    iqr_max: float = IQR_MAX,
    agree_share: float = AGREE_SHARE,
    agree_points: int = AGREE_POINTS,
    stable_share: float = STABLE_SHARE,
    significance: float = SIGNIFICANCE,
) -> DelphiSummary:
    """Consensus, stability and a stop-or-continue recommendation, per item and round.

    Parameters: ``language`` of the labels (fallback: the consultation's default);
    ``iqr_max`` the largest interquartile range of consensus (default 1); ``agree_share`` the
    share of answers in the top (or bottom) ``agree_points`` points of the scale needed for
    consensus (defaults 0.75 and 2); ``stable_share`` the largest share of panelists changing
    their answer for an item to count as stable, with no Wilcoxon-significant shift at
    ``significance`` (defaults 0.15 and 0.05). Raises ``InvalidParameter`` for a threshold out
    of range. Callers check ``Action.ANALYSE`` (the view does); nothing is written.
    """
    _check_thresholds(iqr_max, agree_share, agree_points, stable_share, significance)
    thresholds = {
        "iqr_max": float(iqr_max),
        "agree_share": float(agree_share),
        "stable_share": float(stable_share),
        "significance": float(significance),
    }
    rounds = sorted(
        (r for r in consultation.rounds if r.state != RoundState.DRAFT), key=lambda r: r.number
    )
    codes = _delphi_codes(consultation)
    surveys = {r.number: build_survey(session, r, language) for r in rounds}
    specs = {
        (number, code): spec
        for number, survey in surveys.items()
        for code in codes
        if (spec := survey.question(code)) is not None and spec.type in FEEDBACK_TYPES
    }
    collected = _collect(session, rounds, specs)
    questions: list[QuestionSummary] = []
    for code in codes:
        # labels and scale from the latest round asking the question
        numbers = sorted((n for (n, c) in specs if c == code), reverse=True)
        if not numbers:
            continue
        spec = specs[(numbers[0], code)]
        scale = _scale(spec, agree_points)
        data = collected.get(code, _Collected())
        result = _run(
            data,
            scale,
            iqr_max=iqr_max,
            agree_share=agree_share,
            stable_share=stable_share,
            significance=significance,
        )
        questions.append(_question_summary(spec, scale, data, result))
    with_data = sorted({n for data in collected.values() for n in data.rounds})
    return DelphiSummary(
        consultation=consultation.slug,
        language=language,
        anonymity=AnonymityMode(consultation.anonymity).value,
        paired=consultation.anonymity != AnonymityMode.ANONYMOUS,
        is_delphi=is_delphi(consultation),
        thresholds={**thresholds, "agree_points": agree_points},
        sources=[dict(s) for s in SOURCES],
        rounds=_round_infos(session, consultation),
        based_on_round=with_data[-1] if with_data else None,
        questions=questions,
        consensus_by_round=_consensus_by_round(questions),
        recommendation=_recommendation(questions),
    )


def _question_summary(
    spec: QuestionSpec, scale: Mapping[str, Any], data: _Collected, result: Any
) -> QuestionSummary:
    per_round: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    transitions: dict[str, list[Transition]] = defaultdict(list)
    status: dict[str, dict[str, Any]] = {}
    first: dict[str, int | None] = {}
    if result is not None:
        for row in result.items.to_dict("records"):
            per_round[row["item"]][int(row["round"])] = row
        for row in result.transitions.to_dict("records"):
            transitions[row["item"]].append(
                Transition(
                    from_round=int(row["from_round"]),
                    to_round=int(row["to_round"]),
                    share_changed=_number(row["share_changed"]),
                    wilcoxon_p=_number(row["wilcoxon_p"]),
                    n_paired=int(row["n_paired"]),
                    stable=_flag(row["stable"]),
                )
            )
        status = {row["item"]: row for row in result.status().to_dict("records")}
        first = result.first_consensus()
    items = []
    for code, label in _items_of(spec):
        numbers = sorted(set(per_round[code]) | {n for (n, c) in data.dont_know if c == code})
        rounds = []
        for n in numbers:
            row = per_round[code].get(n, {})
            rounds.append(
                ItemRound(
                    round=n,
                    n=int(row.get("n", 0)),
                    dont_know=data.dont_know.get((n, code), 0),
                    median=_number(row.get("median")),
                    q1=_number(row.get("q1")),
                    q3=_number(row.get("q3")),
                    iqr=_number(row.get("iqr")),
                    share_agree=_number(row.get("share_agree")),
                    share_disagree=_number(row.get("share_disagree")),
                    consensus=bool(row.get("consensus", False)),
                    direction=row.get("direction") or None,
                )
            )
        state = status.get(code, {})
        last = max(per_round[code]) if per_round[code] else None
        items.append(
            ItemSummary(
                code=code,
                label=label,
                rounds=rounds,
                first_consensus_round=first.get(code),
                transitions=transitions.get(code, []),
                round=last,
                consensus=bool(state.get("consensus", False)),
                direction=state.get("direction") or None,
                stable=_flag(state.get("stable")),
                settled=bool(state.get("settled", False)),
                reasons=list(data.reasons.get((last, code), [])) if last is not None else [],
            )
        )
    return QuestionSummary(
        code=spec.code,
        text=spec.text,
        type=spec.type,
        scale={
            "points": [float(v) for v in scale["points"]],
            "agree_min": _number(scale["agree_min"]),
            "disagree_max": _number(scale["disagree_max"]),
        },
        items=items,
    )


def _consensus_by_round(questions: list[QuestionSummary]) -> list[dict[str, Any]]:
    """Which items reached consensus (for the first time) in which round."""
    by_round: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for q in questions:
        for item in q.items:
            if item.first_consensus_round is not None:
                direction = next(
                    (r.direction for r in item.rounds if r.round == item.first_consensus_round),
                    None,
                )
                by_round[item.first_consensus_round].append(
                    {
                        "question": q.code,
                        "item": item.code,
                        "label": item.label,
                        "direction": direction,
                    }
                )
    return [{"round": n, "items": by_round[n]} for n in sorted(by_round)]


def _recommendation(questions: list[QuestionSummary]) -> dict[str, Any]:
    """Stop when every answered item is in consensus or stable in its latest round."""
    items = [(q, i) for q in questions for i in q.items if i.round is not None]
    unsettled = [
        {"question": q.code, "item": i.code, "label": i.label} for q, i in items if not i.settled
    ]
    decision = "continue" if unsettled else "stop"
    if not items:
        decision = "no_data"
    return {
        "decision": decision,
        "n_items": len(items),
        "n_consensus": sum(1 for _q, i in items if i.consensus),
        "n_stable": sum(1 for _q, i in items if i.stable),
        "n_settled": sum(1 for _q, i in items if i.settled),
        "unsettled": unsettled,
    }
