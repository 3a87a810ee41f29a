"""The participant's side: start or resume a response, save pages, submit once, withdraw.

A participant reaches a response either through a personal invitation token (``/i/<token>``)
or through the resume token of an open-link response (``/r/<token>``); tokens are stored only
as hashes. Every function takes explicit arguments, flushes and never commits.

Delphi rounds (``consult.services.delphi``): a round created from an earlier one names its
*feedback questions* (``Round.feedback["questions"]``). On those, a panelist may give a reason
per item (form fields ``q-<code>-reason`` for a rating, ``q-<code>-<item>-reason`` for a matrix
row), stored on the answer row (``Answer.reason``); and a panelist coming through an invitation
starts with their own answers of the previous round already chosen — unless the consultation
is anonymous, where nothing links a submitted response to its invitation.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.datastructures import MultiDict

from consult.models import (
    ANSWER_VALUES,
    AnonymityMode,
    Answer,
    Consultation,
    ConsultationState,
    Invitation,
    InvitationStatus,
    Participation,
    Question,
    QuestionItem,
    Response,
    ResponseSource,
    ResponseState,
    Round,
    RoundState,
    Section,
    StakeholderGroup,
)
from consult.questions import AnswerRow, FieldError, Parsed, QuestionSpec, get_type
from consult.questions.base import ItemSpec, OptionSpec
from consult.services import survey_cache
from consult.services.consultations import localized
from consult.services.errors import Conflict, InvalidState, NotFound
from consult.services.tokens import hash_token, new_receipt_code, new_token, normalise_receipt

PROFILE_FIELD = "profile_field"  # question setting: "stakeholder_group" or "district"


# --- plain data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSpec:
    """One page of the survey: a section and its questions, in the participant's language."""

    index: int
    code: str
    title: str
    description: str
    questions: tuple[QuestionSpec, ...]
    display_condition: dict[str, Any] | None = None


@dataclass(frozen=True)
class Survey:
    """A round's questionnaire in one language, as plain data."""

    consultation_id: int
    slug: str
    round_id: int
    round_number: int
    language: str
    title: str
    organiser: str
    description: str
    privacy_notice: str
    anonymity: str
    pages: tuple[PageSpec, ...]
    feedback: tuple[str, ...] = ()  # Delphi: codes of the questions showing earlier results
    previous_round_number: int | None = None  # Delphi: the round whose results are shown

    def question(self, code: str) -> QuestionSpec | None:
        return next((q for p in self.pages for q in p.questions if q.code == code), None)


@dataclass
class PageResult:
    """What saving a page did: values now stored, errors, and what was typed."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    raw: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Access:
    """A participant's way in: the response and how it was reached."""

    response: Response
    consultation: Consultation
    round: Round
    invitation: Invitation | None = None
    resume_token: str | None = None  # only right after an open-link response was created
    locked: bool = False  # the response row was loaded under a row lock (``FOR UPDATE``)


# --- reading the questionnaire -------------------------------------------------------------------


def current_round(consultation: Consultation) -> Round | None:
    """The open round with the highest number (Delphi: the latest), else None."""
    open_rounds = [r for r in consultation.rounds if r.state == RoundState.OPEN]
    return max(open_rounds, key=lambda r: r.number, default=None)


def question_spec(q: Question, language: str, fallback: str) -> QuestionSpec:
    """One question as plain data in ``language`` (``fallback``: the consultation's default)."""

    def text(value: dict[str, str] | None) -> str:
        return localized(value or {}, language, fallback)

    return QuestionSpec(
        id=q.id,
        code=q.code,
        type=q.type,
        text=text(q.text),
        required=q.required,
        help=text(q.help),
        settings=dict(q.settings or {}),
        options=tuple(OptionSpec(o.id, o.code, text(o.label), o.value) for o in q.options),
        items=tuple(
            ItemSpec(qi.item.id, qi.item.code, text(qi.item.label)) for qi in q.question_items
        ),
        display_condition=q.display_condition,
    )


def build_survey(session: Session, round_: Round, language: str) -> Survey:
    """The round's questionnaire as plain data in ``language`` (fallback: the default).

    Served from the app's survey cache (``consult.services.survey_cache``) when the round's
    revision and the consultation's version are unchanged.
    """
    cache = survey_cache.current()
    if cache is None or round_.id is None:
        return _build_survey(session, round_, language)
    if session.new or session.dirty or session.deleted:
        if not session.autoflush:
            return _build_survey(session, round_, language)
        session.flush()  # as the queries would: pending edits bump the revision first
    consultation = round_.consultation
    key = (  # the cache is the app's, so of one database
        round_.id,
        round_.created_at,
        round_.revision,
        consultation.id,
        consultation.version,
        language,
    )
    survey: Survey = cache.get_or_build(key, lambda: _build_survey(session, round_, language))
    return survey


def _build_survey(session: Session, round_: Round, language: str) -> Survey:
    consultation = round_.consultation
    fallback = consultation.default_language
    sections = session.scalars(
        select(Section)
        .where(Section.round_id == round_.id)
        .order_by(Section.position, Section.id)
        .options(
            selectinload(Section.questions).selectinload(Question.options),
            selectinload(Section.questions)  # with the items: no query per item row
            .selectinload(Question.question_items)
            .selectinload(QuestionItem.item),
        )
    ).all()

    def text(value: dict[str, str] | None) -> str:
        return localized(value or {}, language, fallback)

    pages = tuple(
        PageSpec(
            index=i,
            code=s.code,
            title=text(s.title),
            description=text(s.description),
            questions=tuple(
                question_spec(q, language, fallback)
                for q in sorted(s.questions, key=lambda q: (q.position, q.id))
            ),
            display_condition=s.display_condition,
        )
        for i, s in enumerate(sections)
    )
    return Survey(
        consultation_id=consultation.id,
        slug=consultation.slug,
        round_id=round_.id,
        round_number=round_.number,
        language=language,
        title=text(consultation.title),
        organiser=text(consultation.organiser),
        description=text(consultation.description),
        privacy_notice=text(consultation.privacy_notice),
        anonymity=consultation.anonymity.value,
        pages=pages,
        feedback=tuple(sorted(feedback_codes(round_))),
        previous_round_number=_previous_round_number(round_),
    )


def _previous_round_number(round_: Round) -> int | None:
    if round_.previous_round_id is None:
        return None
    previous = next(
        (r for r in round_.consultation.rounds if r.id == round_.previous_round_id), None
    )
    return previous.number if previous is not None else None


# --- Delphi: feedback questions, reasons, the previous round's answers ---------------------------

FEEDBACK_TYPES = frozenset({"rating", "matrix"})  # types that can show a round's results
MAX_REASON = 2000  # characters in one reason for an answer


def feedback_codes(round_: Round) -> frozenset[str]:
    """Codes of the round's questions that show the previous round's results (Delphi)."""
    if round_.previous_round_id is None:
        return frozenset()
    codes = (round_.feedback or {}).get("questions") or []
    return frozenset(str(c) for c in codes if isinstance(c, str))


def reason_fields(q: QuestionSpec) -> list[tuple[str, ItemSpec | None]]:
    """The reason fields of a feedback question and the item each belongs to.

    A rating asks one reason (``q-<code>-reason``); a matrix one per row
    (``q-<code>-<item>-reason``: codes have no hyphen, so the names cannot collide).
    """
    if q.type == "matrix":
        return [(f"{q.field}-{item.code}-reason", item) for item in q.items]
    if q.type == "rating":
        return [(f"{q.field}-reason", q.items[0] if q.items else None)]
    return []


def stored_reasons(session: Session, survey: Survey, response: Response) -> dict[str, str]:
    """The reasons stored on a response's feedback answers, by reason field name."""
    if not survey.feedback:
        return {}
    by_question: dict[int, dict[int | None, str]] = {}
    for question_id, item_id, text in session.execute(
        select(Answer.question_id, Answer.item_id, Answer.reason).where(
            Answer.response_id == response.id, Answer.reason.is_not(None)
        )
    ):
        by_question.setdefault(question_id, {})[item_id] = text or ""
    out = {}
    for code in survey.feedback:
        q = survey.question(code)
        if q is None or q.id not in by_question:
            continue
        for name, item in reason_fields(q):
            reason = by_question[q.id].get(item.id if item else None)
            if reason:
                out[name] = reason
    return out


def _parse_reasons(
    q: QuestionSpec, form: MultiDict[str, str], rows: list[AnswerRow], result: PageResult
) -> dict[int | None, str]:
    """The reasons typed for a feedback question's answers, by item id; errors go to
    ``result`` (too long, or a reason for an item left without an answer)."""
    answered = {row.item_id for row in rows}
    reasons: dict[int | None, str] = {}
    for name, item in reason_fields(q):
        typed = form.get(name, "")
        result.raw[name] = [typed]
        text = typed.strip()
        if not text:
            continue
        item_id = item.id if item else None
        label = item.label if item else q.text
        if len(text) > MAX_REASON:
            result.errors.append(
                FieldError(
                    name,
                    _(
                        "Keep your reason for “%(item)s” to %(max)s characters.",
                        item=label,
                        max=format_decimal(MAX_REASON),
                    ),
                )
            )
        elif item_id not in answered:
            result.errors.append(
                FieldError(
                    name,
                    _(
                        "Choose an answer for “%(item)s”, or leave its reason empty.",
                        item=label,
                    ),
                )
            )
        else:
            reasons[item_id] = text
    return reasons


def previous_response(session: Session, round_: Round, invitation: Invitation) -> Response | None:
    """The invitation's submitted response in the round before ``round_`` (Delphi), if any.

    Always None in anonymous mode: a submitted response keeps no invitation there.
    """
    if round_.previous_round_id is None:
        return None
    return session.scalar(
        select(Response).where(
            Response.invitation_id == invitation.id,
            Response.round_id == round_.previous_round_id,
            Response.state == ResponseState.SUBMITTED,
        )
    )


def _carry_forward(
    session: Session, response: Response, round_: Round, invitation: Invitation
) -> None:
    """Start a Delphi round with the panelist's previous answers to its feedback questions."""
    codes = feedback_codes(round_)
    previous = previous_response(session, round_, invitation) if codes else None
    if previous is None:
        return
    earlier = {
        q.code: q
        for q in session.scalars(
            select(Question)
            .where(Question.round_id == previous.round_id, Question.code.in_(codes))
            .options(selectinload(Question.options))
        )
    }
    for question in round_.questions:
        old = earlier.get(question.code)
        if question.code not in codes or old is None or old.type != question.type:
            continue
        option_code = {o.id: o.code for o in old.options}
        option_id = {o.code: o.id for o in question.options}
        items = {qi.item_id for qi in question.question_items}
        for a in session.scalars(
            select(Answer)
            .where(Answer.response_id == previous.id, Answer.question_id == old.id)
            .order_by(Answer.id)
        ):
            if a.item_id is not None and a.item_id not in items:
                continue
            new_option = None
            if a.option_id is not None:
                new_option = option_id.get(option_code.get(a.option_id, ""))
                if new_option is None:
                    continue  # the point is no longer offered
            session.add(
                Answer(
                    response_id=response.id,
                    round_id=round_.id,
                    question_id=question.id,
                    item_id=a.item_id,
                    option_id=new_option,
                    number=a.number,
                    flag=a.flag,
                )
            )


def default_language_for(session: Session, invitation_token: str) -> str | None:
    """The default language of the consultation an invitation link belongs to (None if unknown).

    The interface falls back to it when neither ``?lang``, the session nor Accept-Language
    chose a language. (Open-link and resume-link pages read their consultation anyway and take
    it from there.)
    """
    if not invitation_token:
        return None
    return session.scalar(
        select(Consultation.default_language)
        .join(Invitation)
        .where(Invitation.token_hash == hash_token(invitation_token))
        .limit(1)
    )


def response_language(consultation: Consultation, ui_language: str) -> str:
    """The consultation language to show: the interface language if offered, else the default."""
    return ui_language if ui_language in consultation.languages else consultation.default_language


# --- reaching a response -------------------------------------------------------------------------


_BY_SLUG = (
    select(Consultation)
    .where(Consultation.slug == bindparam("slug"))
    .options(joinedload(Consultation.rounds))
)


def consultation_by_slug(session: Session, slug: str) -> Consultation | None:
    """The consultation with its rounds (one query), or None."""
    found: Consultation | None = (
        session.execute(_BY_SLUG, {"slug": slug}).unique().scalar_one_or_none()
    )
    return found


def open_consultation_for_link(
    session: Session, slug: str, now: datetime, *, loaded: Consultation | None = None
) -> Consultation:
    """The consultation behind an open link ``/c/<slug>`` (``loaded``: already read in this
    transaction by :func:`consultation_by_slug`, so not read again).

    Raises ``NotFound`` when there is no such consultation, it is a draft, or it takes no open
    participation; ``InvalidState`` when it is not accepting answers now (closed, archived,
    outside its schedule, or without an open round).
    """
    consultation = (
        loaded
        if loaded is not None and loaded.slug == slug
        else consultation_by_slug(session, slug)
    )
    if consultation is None or consultation.state == ConsultationState.DRAFT:
        raise NotFound("no such consultation")
    if not consultation.open_link:
        raise NotFound("this consultation takes answers by personal invitation only")
    ensure_accepting(consultation, now)
    return consultation


def ensure_accepting(consultation: Consultation, now: datetime) -> Round:
    """The round taking answers now; ``InvalidState`` if the consultation is not accepting."""
    if not is_accepting(consultation, now):
        raise InvalidState("this consultation is closed")
    round_ = current_round(consultation)
    if round_ is None:
        raise InvalidState("this consultation is closed")
    return round_


def is_accepting(consultation: Consultation, now: datetime) -> bool:
    """Whether the consultation is open and within its schedule at ``now``."""
    return (
        consultation.state == ConsultationState.OPEN
        and (consultation.opens_at is None or consultation.opens_at <= now)
        and (consultation.closes_at is None or now < consultation.closes_at)
        and current_round(consultation) is not None
    )


def start_open_response(
    session: Session,
    consultation: Consultation,
    language: str,
    now: datetime,
    source: ResponseSource = ResponseSource.ONLINE,
) -> Access:
    """Create an in-progress open-link response; the returned access carries its resume token."""
    round_ = ensure_accepting(consultation, now)
    token = new_token()
    response = Response(
        round_id=round_.id,
        language=language,
        source=source,
        state=ResponseState.IN_PROGRESS,
        receipt_code=new_receipt_code(),
        resume_token_hash=hash_token(token),
        started_at=stamp(consultation, now),
        updated_at=stamp(consultation, now),
    )
    session.add(response)
    session.flush()
    return Access(response, consultation, round_, resume_token=token)


# Hot statements are built once: building a statement and its cache key costs more than
# running it on a page that needs one or two.
_BY_RESUME_TOKEN = (
    select(Response, Round, Consultation)
    .join(Round, Response.round_id == Round.id)
    .join(Consultation, Round.consultation_id == Consultation.id)
    .where(Response.resume_token_hash == bindparam("token_hash"))
    .options(joinedload(Consultation.rounds))
)
_BY_RESUME_TOKEN_LOCKED = _BY_RESUME_TOKEN.with_for_update(of=Response).execution_options(
    populate_existing=True
)


def access_by_resume_token(session: Session, token: str, *, for_update: bool = False) -> Access:
    """The open-link response behind a resume token (``NotFound`` otherwise).

    One query loads the response, its round and the consultation with its rounds. With
    ``for_update`` it also locks the response row (PostgreSQL ``FOR UPDATE OF responses``), as
    saving a page or submitting would: they then need no second query to lock it.
    """
    if not token:
        raise NotFound("this link is not valid")
    query = _BY_RESUME_TOKEN_LOCKED if for_update else _BY_RESUME_TOKEN
    row = session.execute(query, {"token_hash": hash_token(token)}).unique().first()
    if row is None:
        raise NotFound("this link is not valid")
    response, round_, consultation = row
    return Access(response, consultation, round_, locked=for_update)


def access_by_invitation(session: Session, token: str, language: str, now: datetime) -> Access:
    """Resume (or begin) the invitation's response in the current round.

    Raises ``NotFound`` for an unknown or revoked token, ``InvalidState`` when the consultation
    is not accepting answers, and ``Conflict`` when this invitation already answered the round.
    A group or district that the invitation states is recorded on the response at once.
    """
    invitation = (
        session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
        if token
        else None
    )
    if invitation is None or invitation.status == InvitationStatus.REVOKED:
        raise NotFound("this invitation link is not valid")
    consultation = invitation.consultation
    if consultation.state == ConsultationState.DRAFT:
        raise NotFound("this invitation link is not valid")
    round_ = ensure_accepting(consultation, now)
    # The in-progress response is looked up before the participation: a submission committed
    # by another browser in between then shows as a participation (409) rather than as a
    # missing response that would be begun afresh.
    response = session.scalar(
        select(Response)
        .where(
            Response.invitation_id == invitation.id,
            Response.round_id == round_.id,
            Response.state == ResponseState.IN_PROGRESS,
        )
        .order_by(Response.id)
    )
    if (
        session.scalar(
            select(Participation.id).where(
                Participation.invitation_id == invitation.id, Participation.round_id == round_.id
            )
        )
        is not None
    ):
        raise Conflict("this invitation has already been used to answer")
    if response is None:
        response = Response(
            round_id=round_.id,
            invitation_id=invitation.id,
            language=language,
            stakeholder_group_id=invitation.stakeholder_group_id,
            district=invitation.district,
            state=ResponseState.IN_PROGRESS,
            receipt_code=new_receipt_code(),
            started_at=stamp(consultation, now),
            updated_at=stamp(consultation, now),
        )
        session.add(response)
        session.flush()
        _record_profile_answers(session, response, round_, invitation)
        _carry_forward(session, response, round_, invitation)
    if invitation.status in (InvitationStatus.PENDING, InvitationStatus.SENT):
        invitation.status = InvitationStatus.OPENED
        invitation.opened_at = stamp(consultation, now)  # anonymous: the day only
    session.flush()
    return Access(response, consultation, round_, invitation)


def _record_profile_answers(
    session: Session, response: Response, round_: Round, invitation: Invitation
) -> None:
    """Store the profile answers an invitation already states, so analysis sees them."""
    known = {
        "stakeholder_group": invitation.stakeholder_group.code
        if invitation.stakeholder_group
        else None,
        "district": invitation.district,
    }
    for question in round_.questions:
        code = known.get(str((question.settings or {}).get(PROFILE_FIELD)))
        option = next((o for o in question.options if o.code == code), None) if code else None
        if option is not None:
            session.add(
                Answer(
                    response_id=response.id,
                    round_id=round_.id,
                    question_id=question.id,
                    option_id=option.id,
                )
            )


def prefilled_questions(access: Access) -> set[str]:
    """Codes of profile questions the invitation answered already (not asked again)."""
    invitation = access.invitation
    if invitation is None:
        return set()
    stated = {
        "stakeholder_group": invitation.stakeholder_group_id is not None,
        "district": bool(invitation.district),
    }
    return {
        q.code
        for q in access.round.questions
        if stated.get(str((q.settings or {}).get(PROFILE_FIELD)), False)
    }


# --- answers -------------------------------------------------------------------------------------


_STORED_ANSWERS = (
    select(
        Answer.question_id,
        *ANSWER_VALUES,
    )
    .where(Answer.response_id == bindparam("response_id"))
    .order_by(Answer.id)
)


def stored_values(session: Session, survey: Survey, response: Response) -> dict[str, Any]:
    """Every stored answer of the response, as each question type's value, by question code."""
    rows: dict[int, list[AnswerRow]] = {}
    for r in session.execute(_STORED_ANSWERS, {"response_id": response.id}):
        rows.setdefault(r.question_id, []).append(
            AnswerRow(r.item_id, r.other_item_id, r.option_id, r.task, r.number, r.text, r.flag)
        )
    values = {}
    for page in survey.pages:
        for q in page.questions:
            if q.id in rows:
                values[q.code] = get_type(q.type).from_rows(q, rows[q.id], response.id)
    return values


def condition_met(condition: Mapping[str, Any] | None, values: Mapping[str, Any]) -> bool:
    """Whether a display condition holds for the answers given so far.

    Conditions: ``{"question": code, "equals": x}``, ``{"question": code, "in": [x, ...]}``,
    ``{"question": code, "answered": true}``, ``{"question": code, "gte": n}`` / ``"lte"``.
    A list answer (multiple choice) matches ``equals``/``in`` when it contains the value.
    """
    if not condition:
        return True
    value = values.get(str(condition.get("question")))
    if "answered" in condition:
        return (value not in (None, "", [], {})) == bool(condition["answered"])
    if value is None:
        return False
    chosen = value if isinstance(value, list) else [value]
    if "equals" in condition:
        return condition["equals"] in chosen
    if "in" in condition:
        return any(v in condition["in"] for v in chosen)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    if "gte" in condition and number < float(condition["gte"]):
        return False
    return not ("lte" in condition and number > float(condition["lte"]))


def visible_questions(page: PageSpec, values: dict[str, Any], skip: set[str]) -> list[QuestionSpec]:
    """The page's questions shown given earlier answers (none if the page itself is hidden)."""
    if not condition_met(page.display_condition, values):
        return []
    return [
        q
        for q in page.questions
        if q.code not in skip and condition_met(q.display_condition, values)
    ]


def visible_pages(survey: Survey, values: dict[str, Any], skip: set[str]) -> list[PageSpec]:
    """Pages with at least one question to show."""
    return [p for p in survey.pages if visible_questions(p, values, skip)]


def save_page(
    session: Session,
    access: Access,
    survey: Survey,
    page: PageSpec,
    form: MultiDict[str, str],
    now: datetime,
    *,
    enforce_required: bool,
) -> PageResult:
    """Parse a submitted page and store every valid answer on it.

    Invalid answers keep what was stored before (and what was typed comes back in ``raw``); a
    question left empty loses its stored answer. Required questions are enforced only when
    ``enforce_required`` (moving forward); going back saves without enforcing.
    Raises ``InvalidState`` when the response was already submitted or withdrawn.
    """
    response = access.response
    _lock(session, access)
    _ensure_in_progress(response)
    values = stored_values(session, survey, response)
    answered = set(values)  # questions with stored answers: only theirs need deleting
    skip = prefilled_questions(access)
    result = PageResult()
    replaced: list[Replacement] = []
    for q in visible_questions(page, values, skip):
        qtype = get_type(q.type)
        parsed: Parsed = qtype.parse(q, form, response.id)
        result.raw.update(parsed.raw)
        if parsed.errors:
            result.errors.extend(parsed.errors)
            if q.code in survey.feedback:
                result.raw.update({name: form.getlist(name) for name, _item in reason_fields(q)})
            continue
        rows = [] if parsed.value is None else qtype.to_rows(q, parsed.value, response.id)
        reasons = _parse_reasons(q, form, rows, result) if q.code in survey.feedback else {}
        replaced.append((q, rows, reasons))
        values[q.code] = parsed.value
        apply_profile(session, response, q, parsed.value)
        if enforce_required and q.required:
            result.errors.extend(qtype.required_errors(q, parsed.value))
    replace_answers(session, response, replaced, answered)
    result.values = values
    if result.ok and enforce_required:
        response.last_page = max(response.last_page, page.index + 1)
    response.updated_at = stamp(access.consultation, now)
    session.flush()
    return result


Replacement = tuple[QuestionSpec, list[AnswerRow], Mapping[int | None, str] | None]


def replace_answers(
    session: Session,
    response: Response,
    replaced: list[Replacement],
    answered: Collection[str] | None = None,
) -> None:
    """Store ``rows`` (with their reasons by item) as the answers to each question: one DELETE
    and one INSERT for all of them. ``answered``: the codes of the questions that have stored
    answers, when the caller read them under the row lock (the others need no DELETE)."""
    stale = [q.id for q, _rows, _reasons in replaced if answered is None or q.code in answered]
    if stale:
        session.execute(
            delete(Answer).where(Answer.response_id == response.id, Answer.question_id.in_(stale))
        )
    answers = [
        {
            "response_id": response.id,
            "round_id": response.round_id,
            "question_id": q.id,
            "reason": (reasons or {}).get(row.item_id),
            **row.as_dict(),
        }
        for q, rows, reasons in replaced
        for row in rows
    ]
    if answers:
        # every column given (NULLs rendered): one batch rather than one per set of keys
        session.execute(insert(Answer).execution_options(render_nulls=True), answers)


def apply_profile(session: Session, response: Response, q: QuestionSpec, value: Any) -> None:
    """Keep the response's stakeholder group and district in step with the profile answers."""
    profile = q.settings.get(PROFILE_FIELD)
    if profile == "district":
        response.district = value if isinstance(value, str) else None
    elif profile == "stakeholder_group":
        round_ = response.round
        group = (
            session.scalar(
                select(StakeholderGroup).where(
                    StakeholderGroup.consultation_id == round_.consultation_id,
                    StakeholderGroup.code == value,
                )
            )
            if isinstance(value, str)
            else None
        )
        response.stakeholder_group_id = group.id if group else None


def missing_required(
    survey: Survey, values: dict[str, Any], skip: set[str]
) -> tuple[PageSpec, QuestionSpec] | None:
    """The first visible required question without an answer, with its page."""
    for page in survey.pages:
        for q in visible_questions(page, values, skip):
            if q.required and not get_type(q.type).is_answered(q, values.get(q.code)):
                return page, q
    return None


# --- submitting and withdrawing ------------------------------------------------------------------


def submit_response(
    session: Session,
    access: Access,
    survey: Survey,
    now: datetime,
    values: dict[str, Any] | None = None,
) -> str:
    """Submit the response once and return its receipt code.

    ``values`` are the stored answers if the caller read them after loading the access under
    the row lock (``access.locked``); otherwise they are read here, under the lock.

    Submitting again (a double-click, a re-POST) returns the same receipt and changes nothing.
    Raises ``InvalidState`` when the consultation no longer accepts answers (saved answers stay)
    or a required answer is missing, and ``Conflict`` when the invitation was used meanwhile
    (another browser submitted first). Answers to questions hidden by display conditions are
    dropped. In anonymous mode the response is unlinked from its invitation.
    """
    response = access.response
    _lock(session, access)
    if response.state == ResponseState.SUBMITTED:
        return response.receipt_code
    _ensure_in_progress(response)
    if not is_accepting(access.consultation, now) or access.round.state != RoundState.OPEN:
        raise InvalidState(
            "this consultation is closed: your saved answers are kept, but it "
            "no longer accepts submissions"
        )
    if values is None or not access.locked:
        values = stored_values(session, survey, response)
    skip = prefilled_questions(access)
    if missing_required(survey, values, skip) is not None:
        raise InvalidState("some required questions are not answered yet")
    shown = {q.id for p in survey.pages for q in visible_questions(p, values, skip)}
    shown |= {q.id for p in survey.pages for q in p.questions if q.code in skip}
    if any(q.id not in shown for p in survey.pages for q in p.questions if q.code in values):
        session.execute(
            delete(Answer).where(
                Answer.response_id == response.id, Answer.question_id.not_in(shown)
            )
        )
    if access.invitation is not None:
        try:
            with session.begin_nested():
                session.add(
                    Participation(
                        invitation_id=access.invitation.id,
                        round_id=access.round.id,
                        submitted_on=now.date(),
                    )
                )
        except IntegrityError:
            raise Conflict("this invitation has already been used to answer") from None
        access.invitation.status = InvitationStatus.SUBMITTED
    response.state = ResponseState.SUBMITTED
    response.submitted_at = stamp(access.consultation, now)
    response.updated_at = response.submitted_at
    if access.consultation.anonymity == AnonymityMode.ANONYMOUS:
        response.invitation_id = None
    session.flush()
    return response.receipt_code


def withdraw_response(session: Session, slug: str, receipt_code: str, now: datetime) -> None:
    """Erase a submitted response's answers, by its receipt code, while the consultation is open.

    The response stays as a withdrawn shell (so a receipt cannot be reused and counts stay
    honest); its answers are deleted. Raises ``NotFound`` for an unknown code and
    ``InvalidState`` once the consultation has closed.
    """
    code = normalise_receipt(receipt_code)  # as typed: any case, spaces or hyphens
    response = (
        session.scalar(
            select(Response)
            .join(Round)
            .join(Consultation)
            .where(
                Consultation.slug == slug,
                Response.receipt_code == code,
                Response.state == ResponseState.SUBMITTED,
            )
            .with_for_update(of=Response)
        )
        if code
        else None
    )
    if response is None:
        raise NotFound("no submitted response has this receipt code")
    round_ = response.round
    consultation = round_.consultation
    if consultation.state != ConsultationState.OPEN or (
        consultation.closes_at is not None and now >= consultation.closes_at
    ):
        raise InvalidState("the consultation has closed: responses can no longer be withdrawn")
    erase_answers(session, consultation, response, now)


def erase_answers(
    session: Session, consultation: Consultation, response: Response, now: datetime
) -> int:
    """Delete a submitted response's answers and keep it as a withdrawn shell (no profile).

    Shared by the participant's withdrawal and staff erasure (``consult.services.erasure``);
    returns how many answer rows were deleted. The caller has checked the response's state.
    """
    deleted = session.execute(delete(Answer).where(Answer.response_id == response.id))
    response.state = ResponseState.WITHDRAWN
    response.withdrawn_at = stamp(consultation, now)
    response.updated_at = response.withdrawn_at
    response.stakeholder_group_id = None
    response.district = None
    session.flush()
    return int(getattr(deleted, "rowcount", 0) or 0)


def _lock(session: Session, access: Access) -> None:
    """Reload the response under a row lock (PostgreSQL ``FOR UPDATE``), so a page saved in one
    tab cannot change a response that another tab is submitting; nothing to do when the access
    was loaded under the lock. SQLite transactions already hold the write lock (``BEGIN
    IMMEDIATE``)."""
    if not access.locked:
        session.refresh(access.response, with_for_update=True)


def _ensure_in_progress(response: Response) -> None:
    if response.state == ResponseState.SUBMITTED:
        raise InvalidState("this response has already been submitted")
    if response.state == ResponseState.WITHDRAWN:
        raise InvalidState("this response has been withdrawn")


def stamp(consultation: Consultation, now: datetime) -> datetime:
    """A timestamp to store: the day only in anonymous mode (times could link to invitations)."""
    if consultation.anonymity == AnonymityMode.ANONYMOUS:
        return datetime(now.year, now.month, now.day, tzinfo=UTC)
    return now
