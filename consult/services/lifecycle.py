"""A consultation's life: create, edit (optimistic locking), copy, members, and its states.

States: draft → open → closed → archived. A closed consultation may be reopened (a deadline
extended, a consultation closed by mistake) after the same checks as opening; archived is final.
Opening is refused, with the whole list of problems, when a participant-facing text is missing
in a consultation language, when there is no round or no question to answer, or when the
schedule is inconsistent. Every change is recorded in the audit log. Functions flush, never
commit, and raise the typed errors of ``consult.services.errors``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from consult.models import (
    AnonymityMode,
    Answer,
    Consultation,
    ConsultationState,
    Membership,
    MembershipRole,
    Question,
    Round,
    RoundState,
    User,
)
from consult.models.consultation import RETENTION_DAYS
from consult.services import transfer
from consult.services.audit import record
from consult.services.errors import Conflict, Forbidden, InvalidState, NotFound, ServiceError
from consult.services.permissions import Action, can_create_consultation, require

EDITABLE = frozenset(
    {
        "title",
        "description",
        "organiser",
        "privacy_notice",
        "languages",
        "default_language",
        "anonymity",
        "open_link",
        "opens_at",
        "closes_at",
        "min_group_size",
        "retention_days",
    }
)
TEXT_FIELDS = ("title", "description", "organiser", "privacy_notice")
DRAFT_ONLY = frozenset({"anonymity"})  # a promise made to participants once answers exist
NOT_WHILE_OPEN = frozenset({"languages", "default_language"})


class InvalidSettings(ServiceError):
    """A value given for a consultation is malformed (bad slug, unknown language, ...)."""


class OpeningRefused(InvalidState):
    """The consultation cannot open: ``problems`` lists every reason, ``missing`` the texts."""

    def __init__(self, problems: list[str], missing: list[MissingText]) -> None:
        lines = "\n".join(f"- {p}" for p in problems)
        super().__init__(f"the consultation cannot open yet:\n{lines}")
        self.problems = problems
        self.missing = missing


# --- translations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingText:
    """A participant-facing text that is missing (absent or blank) in some languages.

    ``what`` names the text (``title``, ``label``, ...), ``where`` its owner by codes
    (``round 1 / question district / option fatih``), ``languages`` the languages lacking it.
    """

    what: str
    where: str
    languages: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: {self.what} missing in {', '.join(self.languages)}"


def _missing(
    texts: Mapping[str, str] | None, languages: Sequence[str], optional: bool
) -> tuple[str, ...]:
    """Languages lacking a text; an optional text counts only once given in some language."""
    given = {k for k, v in (texts or {}).items() if isinstance(v, str) and v.strip()}
    if optional and not given & set(languages):
        return ()
    return tuple(lang for lang in languages if lang not in given)


def missing_translations(
    consultation: Consultation, rounds: Iterable[Round] | None = None
) -> list[MissingText]:
    """Every participant-facing text missing in a consultation language, in display order.

    Required in every language: the consultation's title, organiser and privacy notice,
    objective titles, item labels, stakeholder group names, section titles, question texts and
    option labels. Optional, but once written in one language needed in all: the
    consultation's description, item descriptions, round titles, section descriptions and
    question help. ``rounds`` limits the questionnaire checked (default: every round).
    """
    langs = list(consultation.languages)
    out: list[MissingText] = []

    def check(where: str, what: str, texts: Mapping[str, str] | None, optional: bool) -> None:
        missing = _missing(texts, langs, optional)
        if missing:
            out.append(MissingText(what, where, missing))

    check("consultation", "title", consultation.title, False)
    check("consultation", "description", consultation.description, True)
    check("consultation", "organiser", consultation.organiser, False)
    check("consultation", "privacy notice", consultation.privacy_notice, False)
    for objective in _ordered(consultation.objectives):
        check(f"objective {objective.code}", "title", objective.title, False)
    for item in _ordered(consultation.items):
        check(f"item {item.code}", "label", item.label, False)
        check(f"item {item.code}", "description", item.description, True)
    for group in _ordered(consultation.stakeholder_groups):
        check(f"stakeholder group {group.code}", "name", group.name, False)
    chosen = consultation.rounds if rounds is None else list(rounds)
    for round_ in sorted(chosen, key=lambda r: r.number):
        where = f"round {round_.number}"
        check(where, "title", round_.title, True)
        for section in _ordered(round_.sections):
            check(f"{where} / section {section.code}", "title", section.title, False)
            check(f"{where} / section {section.code}", "description", section.description, True)
            for question in _ordered(section.questions):
                q_where = f"{where} / question {question.code}"
                check(q_where, "text", question.text, False)
                check(q_where, "help", question.help, True)
                for option in _ordered(question.options):
                    check(f"{q_where} / option {option.code}", "label", option.label, False)
    return out


def _ordered(rows: Iterable[Any]) -> list[Any]:
    return sorted(rows, key=lambda r: (r.position, r.id or 0))


# --- state transitions ---------------------------------------------------------------------------


def round_to_open(consultation: Consultation) -> Round | None:
    """The round opening would leave open: an open one, else the first draft round."""
    rounds = sorted(consultation.rounds, key=lambda r: r.number)
    open_rounds = [r for r in rounds if r.state == RoundState.OPEN]
    if open_rounds:
        return open_rounds[-1]
    return next((r for r in rounds if r.state == RoundState.DRAFT), None)


def opening_problems(
    consultation: Consultation, round_: Round | None, now: datetime
) -> tuple[list[str], list[MissingText]]:
    """Why ``consultation`` could not take answers in ``round_`` at ``now`` (empty if it can)."""
    problems: list[str] = []
    if round_ is None:
        problems.append("there is no round to open: add a round with questions")
    elif not round_.questions:
        problems.append(f"round {round_.number} has no questions")
    problems += schedule_problems(consultation, round_, now)
    checked = [r for r in consultation.rounds if r.state == RoundState.OPEN or r is round_]
    missing = missing_translations(consultation, checked)
    problems += [f"missing translation — {m}" for m in missing]
    return problems, missing


def schedule_problems(consultation: Consultation, round_: Round | None, now: datetime) -> list[str]:
    """Inconsistencies of the consultation's (and the round's) schedule at ``now``."""
    problems: list[str] = []
    opens, closes = consultation.opens_at, consultation.closes_at
    if opens is not None and closes is not None and closes <= opens:
        problems.append("the consultation closes before it opens")
    if closes is not None and closes <= now:
        problems.append(
            f"the closing time {closes.isoformat()} has passed: move it later or remove it"
        )
    if round_ is None:
        return problems
    r_opens, r_closes = round_.opens_at, round_.closes_at
    name = f"round {round_.number}"
    if r_opens is not None and r_closes is not None and r_closes <= r_opens:
        problems.append(f"{name} closes before it opens")
    if r_closes is not None and r_closes <= now:
        problems.append(f"the closing time of {name} has passed")
    if (r_opens is not None and opens is not None and r_opens < opens) or (
        r_closes is not None and closes is not None and r_closes > closes
    ):
        problems.append(f"{name} is scheduled outside the consultation's opening and closing time")
    return problems


def open_consultation(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    now: datetime,
    expected_version: int | None = None,
) -> Round:
    """Open a draft consultation for answers, opening its first round if that is a draft.

    Raises ``Forbidden`` unless ``actor`` may edit it, ``InvalidState`` unless it is a draft,
    ``OpeningRefused`` (an ``InvalidState``) listing every problem (missing translations, no
    round or question, inconsistent schedule), ``Conflict`` when ``expected_version`` is stale.
    Returns the open round.
    """
    require(actor, Action.EDIT, consultation)
    _check_version(consultation, expected_version)
    _require_state(consultation, ConsultationState.DRAFT, "opened")
    round_ = round_to_open(consultation)
    return _open(session, actor, consultation, round_, now, "consultation.open")


def reopen_consultation(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    now: datetime,
    expected_version: int | None = None,
) -> Round:
    """Reopen a closed consultation and its last closed round, after the checks of opening.

    Raises like ``open_consultation``; a closing time in the past must be moved first.
    """
    require(actor, Action.EDIT, consultation)
    _check_version(consultation, expected_version)
    _require_state(consultation, ConsultationState.CLOSED, "reopened")
    closed = [r for r in consultation.rounds if r.state == RoundState.CLOSED]
    round_ = max(closed, key=lambda r: r.number) if closed else round_to_open(consultation)
    return _open(session, actor, consultation, round_, now, "consultation.reopen")


def _open(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    round_: Round | None,
    now: datetime,
    action: str,
) -> Round:
    problems, missing = opening_problems(consultation, round_, now)
    if problems or round_ is None:
        raise OpeningRefused(problems, missing)
    previous = consultation.state
    round_.state = RoundState.OPEN
    consultation.state = ConsultationState.OPEN
    _flush(session)
    record(session, actor, action, consultation, round=round_.number, previous=previous)
    return round_


def close_consultation(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    expected_version: int | None = None,
) -> None:
    """Close an open consultation and its open rounds: it takes no more answers."""
    require(actor, Action.EDIT, consultation)
    _check_version(consultation, expected_version)
    _require_state(consultation, ConsultationState.OPEN, "closed")
    closed = []
    for round_ in sorted(consultation.rounds, key=lambda r: r.number):
        if round_.state == RoundState.OPEN:
            round_.state = RoundState.CLOSED
            closed.append(round_.number)
    consultation.state = ConsultationState.CLOSED
    _flush(session)
    record(session, actor, "consultation.close", consultation, rounds=closed)


def archive_consultation(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    expected_version: int | None = None,
) -> None:
    """Archive a closed consultation; archived is final (it can be read and copied, not changed)."""
    require(actor, Action.EDIT, consultation)
    _check_version(consultation, expected_version)
    _require_state(consultation, ConsultationState.CLOSED, "archived")
    consultation.state = ConsultationState.ARCHIVED
    _flush(session)
    record(session, actor, "consultation.archive", consultation)


_HOW = {
    ConsultationState.DRAFT: "only a draft consultation can be {verb}",
    ConsultationState.OPEN: "only an open consultation can be {verb}",
    ConsultationState.CLOSED: "only a closed consultation can be {verb}",
}


def _require_state(consultation: Consultation, state: ConsultationState, verb: str) -> None:
    current = ConsultationState(consultation.state)
    if current != state:
        raise InvalidState(
            _HOW[state].format(verb=verb)
            + f"; this one is {current.value}"
            + (" (archived is final)" if current == ConsultationState.ARCHIVED else "")
        )


# --- questionnaire changes -----------------------------------------------------------------------


def check_question_change(
    session: Session,
    question: Question,
    new_type: str | None = None,
    removed_option_codes: Iterable[str] = (),
    removed_item_codes: Iterable[str] = (),
) -> None:
    """Refuse a change that would make stored answers meaningless.

    Once a question has answers (from any response, in progress or submitted), it may not
    change type nor lose options or items. Raises ``InvalidState`` saying why.
    """
    responses = session.scalar(
        select(func.count(distinct(Answer.response_id))).where(Answer.question_id == question.id)
    )
    if not responses:
        return
    answered = f"question {question.code!r} already has answers from {responses} response(s)"
    if new_type is not None and new_type != question.type:
        raise InvalidState(
            f"{answered}: its type cannot change from {question.type} to {new_type}; "
            "add a new question instead"
        )
    options = sorted(set(removed_option_codes) & {o.code for o in question.options})
    if options:
        raise InvalidState(f"{answered}: its options cannot be removed ({', '.join(options)})")
    item_codes = {qi.item.code for qi in question.question_items}
    items = sorted(set(removed_item_codes) & item_codes)
    if items:
        raise InvalidState(f"{answered}: its items cannot be removed ({', '.join(items)})")


# --- creating, editing, copying ------------------------------------------------------------------


def create_consultation(
    session: Session,
    actor: User | None,
    slug: str,
    languages: Sequence[str],
    default_language: str,
    title: Mapping[str, str],
    *,
    allowed_languages: Sequence[str],
    description: Mapping[str, str] | None = None,
    organiser: Mapping[str, str] | None = None,
    privacy_notice: Mapping[str, str] | None = None,
    anonymity: AnonymityMode | str = AnonymityMode.CONFIDENTIAL,
    open_link: bool = False,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    min_group_size: int = 5,
) -> Consultation:
    """Create a draft consultation with an empty draft round 1; the actor becomes facilitator.

    Parameters: ``allowed_languages`` the platform's languages (``LANGUAGES`` of the app);
    texts are keyed by language. Raises ``Forbidden`` unless ``actor`` is an admin or a site
    facilitator, ``InvalidSettings`` for a malformed slug, language or value, ``Conflict``
    when the slug is taken.
    """
    creator = _creator(actor)
    _check_slug(session, slug)
    values = _validated(
        {
            "languages": languages,
            "default_language": default_language,
            "title": title,
            "description": description or {},
            "organiser": organiser or {},
            "privacy_notice": privacy_notice or {},
            "anonymity": anonymity,
            "open_link": open_link,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "min_group_size": min_group_size,
        },
        allowed_languages,
    )
    consultation = Consultation(slug=slug, state=ConsultationState.DRAFT, is_demo=False, **values)
    consultation.rounds = [Round(number=1, state=RoundState.DRAFT, title={})]
    session.add(consultation)
    session.flush()
    _add_membership(session, consultation, creator, MembershipRole.FACILITATOR)
    record(
        session,
        actor,
        "consultation.create",
        consultation,
        slug=slug,
        languages=list(values["languages"]),
    )
    return consultation


def update_consultation(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    expected_version: int,
    *,
    allowed_languages: Sequence[str],
    **changes: Any,
) -> Consultation:
    """Change settings of a consultation, refusing to overwrite someone else's change.

    ``expected_version`` is the ``version`` the editor's form was built from; ``changes`` are
    any of ``EDITABLE``. Raises ``Forbidden``; ``Conflict`` when the consultation changed since
    (another editor saved first); ``InvalidState`` when archived, when the anonymity mode
    changes after drafting, when languages change while it is open, or when an open or closed
    consultation would lose a translation; ``InvalidSettings`` for malformed values.
    """
    require(actor, Action.EDIT, consultation)
    _check_version(consultation, expected_version)
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise InvalidSettings(f"these settings cannot be changed here: {', '.join(unknown)}")
    state = ConsultationState(consultation.state)
    if state == ConsultationState.ARCHIVED:
        raise InvalidState("an archived consultation cannot change")
    current = {name: getattr(consultation, name) for name in EDITABLE}
    asked = {name for name, value in changes.items() if value != current[name]}
    if state != ConsultationState.DRAFT and DRAFT_ONLY & asked:
        raise InvalidState("the anonymity mode cannot change once the consultation has opened")
    if state == ConsultationState.OPEN and NOT_WHILE_OPEN & asked:
        raise InvalidState(
            "the languages cannot change while the consultation is open; close it first"
        )
    values = _validated({**current, **changes}, allowed_languages)
    changed = sorted(name for name in changes if values[name] != current[name])
    if not changed:
        return consultation
    before = _consultation_texts_missing(consultation) if state != ConsultationState.DRAFT else []
    for name in changed:
        setattr(consultation, name, values[name])
    if state != ConsultationState.DRAFT:
        lost = [m for m in _consultation_texts_missing(consultation) if m not in before]
        if lost:
            raise InvalidState(
                "an open or closed consultation must keep every text in every language: "
                + "; ".join(str(m) for m in lost)
            )
    _flush(session)
    record(
        session,
        actor,
        "consultation.update",
        consultation,
        fields=changed,
        version=consultation.version,
    )
    return consultation


def _consultation_texts_missing(consultation: Consultation) -> list[MissingText]:
    return [m for m in missing_translations(consultation, rounds=()) if m.where == "consultation"]


def copy_consultation(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    new_slug: str,
    title: Mapping[str, str] | None = None,
) -> Consultation:
    """A draft copy of ``consultation`` under ``new_slug``: settings, texts, questionnaire.

    Nothing of its life is copied: no responses, invitations, members (the actor becomes the
    copy's facilitator) or round states (every round is a draft). ``title`` (texts keyed by
    the consultation's languages) replaces the copied title. Raises ``Forbidden`` unless
    ``actor`` may edit the original and create consultations; ``InvalidSettings``/``Conflict``
    for a malformed or taken slug, ``InvalidSettings`` for a title in another language.
    """
    require(actor, Action.EDIT, consultation)
    creator = _creator(actor)
    _check_slug(session, new_slug)
    document = transfer.consultation_document(consultation)
    if title is not None:
        document["consultation"]["title"] = _checked_texts("title", title, consultation.languages)
    copy, _report = transfer.build_consultation(session, document, slug=new_slug)
    _add_membership(session, copy, creator, MembershipRole.FACILITATOR)
    record(session, actor, "consultation.copy", copy, source=consultation.slug)
    return copy


# --- members -------------------------------------------------------------------------------------


def add_member(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    user: User,
    role: MembershipRole | str,
) -> Membership:
    """Make ``user`` a facilitator or analyst of ``consultation``.

    Raises ``Forbidden`` unless ``actor`` may edit it, ``InvalidSettings`` for an unknown role,
    ``InvalidState`` for an inactive account, ``Conflict`` when ``user`` is a member already.
    """
    require(actor, Action.EDIT, consultation)
    try:
        role = MembershipRole(role)
    except ValueError:
        raise InvalidSettings(f"unknown membership role {role!r}") from None
    if not user.active:
        raise InvalidState(f"the account {user.email} is inactive")
    existing = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.consultation_id == consultation.id
        )
    )
    if existing is not None:
        raise Conflict(f"{user.email} is already a {existing.role.value} of this consultation")
    membership = _add_membership(session, consultation, user, role)
    record(session, actor, "membership.add", membership, user=user.email, role=role)
    return membership


def remove_member(
    session: Session, actor: User | None, consultation: Consultation, user: User
) -> None:
    """End ``user``'s membership of ``consultation`` (``NotFound`` if not a member)."""
    require(actor, Action.EDIT, consultation)
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.consultation_id == consultation.id
        )
    )
    if membership is None:
        raise NotFound(f"{user.email} is not a member of this consultation")
    record(
        session,
        actor,
        "membership.remove",
        membership,
        user=user.email,
        role=membership.role,
    )
    session.delete(membership)
    session.flush()
    session.expire(user, ["memberships"])
    session.expire(consultation, ["memberships"])


def _add_membership(
    session: Session, consultation: Consultation, user: User, role: MembershipRole
) -> Membership:
    membership = Membership(user=user, consultation=consultation, role=role)
    session.add(membership)
    session.flush()
    return membership


# --- helpers -------------------------------------------------------------------------------------


def _creator(actor: User | None) -> User:
    if actor is None or not can_create_consultation(actor):
        raise Forbidden("only facilitators and administrators may create consultations")
    return actor


def _check_version(consultation: Consultation, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != consultation.version:
        raise Conflict(
            "someone else changed this consultation since you opened it "
            f"(version {consultation.version}, yours {expected_version}): "
            "reload it and make your change again"
        )


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "someone else changed this consultation at the same time: reload it and try again"
        ) from None


def _check_slug(session: Session, slug: str) -> None:
    if not isinstance(slug, str) or not transfer.SLUG_RE.match(slug):
        raise InvalidSettings(
            f"the address name {slug!r} is not valid: use 1-80 lowercase letters (a-z), "
            "digits and hyphens, starting and ending with a letter or digit"
        )
    if slug in transfer.RESERVED_SLUGS:
        raise InvalidSettings(f"the address name {slug!r} is reserved: choose another")
    if session.scalar(select(Consultation.id).where(Consultation.slug == slug)) is not None:
        raise Conflict(f"the address name {slug!r} is already taken")


def _checked_texts(field: str, texts: Any, languages: Sequence[str]) -> dict[str, str]:
    """``texts`` as a dict, if they are texts keyed by some of ``languages``."""
    if not isinstance(texts, Mapping) or not all(isinstance(v, str) for v in texts.values()):
        raise InvalidSettings(f"the {field.replace('_', ' ')} must be texts keyed by language")
    strays = sorted(set(texts) - set(languages))
    if strays:
        raise InvalidSettings(
            f"the {field.replace('_', ' ')} has texts in languages the consultation does "
            f"not use: {', '.join(strays)}"
        )
    return dict(texts)


def _validated(values: dict[str, Any], allowed_languages: Sequence[str]) -> dict[str, Any]:
    """``values`` checked and normalised; ``InvalidSettings`` for the first problem."""
    languages = values["languages"]
    if isinstance(languages, str) or not list(languages):
        raise InvalidSettings("choose at least one language")
    languages = list(languages)
    for lang in languages:
        if lang not in allowed_languages:
            raise InvalidSettings(
                f"{lang!r} is not offered here (languages: {', '.join(allowed_languages)})"
            )
    if len(set(languages)) != len(languages):
        raise InvalidSettings("a language is listed twice")
    if values["default_language"] not in languages:
        raise InvalidSettings("the default language must be one of the consultation's languages")
    out = dict(values, languages=languages)
    for field in TEXT_FIELDS:
        out[field] = _checked_texts(field, values[field], languages)
    try:
        out["anonymity"] = AnonymityMode(values["anonymity"])
    except ValueError:
        modes = ", ".join(m.value for m in AnonymityMode)
        raise InvalidSettings(f"the anonymity mode must be one of {modes}") from None
    if not isinstance(values["open_link"], bool):
        raise InvalidSettings("open link must be true or false")
    size = values["min_group_size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidSettings("the minimum group size must be a whole number of at least 1")
    days = values.get("retention_days")
    if days is not None and (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not RETENTION_DAYS[0] <= days <= RETENTION_DAYS[1]
    ):
        raise InvalidSettings(
            "the retention period must be empty or a whole number of days from 1 to 3650"
        )
    for name in ("opens_at", "closes_at"):
        when = values[name]
        if when is not None and (not isinstance(when, datetime) or when.tzinfo is None):
            raise InvalidSettings(f"{name} must be a time with a time zone")
    opens, closes = values["opens_at"], values["closes_at"]
    if opens is not None and closes is not None and closes <= opens:
        raise InvalidSettings("the closing time must be after the opening time")
    return out


__all__ = [
    "EDITABLE",
    "InvalidSettings",
    "MissingText",
    "OpeningRefused",
    "add_member",
    "archive_consultation",
    "check_question_change",
    "close_consultation",
    "copy_consultation",
    "create_consultation",
    "missing_translations",
    "open_consultation",
    "opening_problems",
    "remove_member",
    "reopen_consultation",
    "round_to_open",
    "schedule_problems",
    "update_consultation",
]
