"""One shared world for the security tests: two consultations, every kind of visitor, and
requests made as any of them.

Consultation A is the demo action plan, B the question-types demo (both open). The eight
roles of the authorization matrix (``ROLES``) are the staff accounts of
``tests.facilitator.conftest.Staff`` plus an anonymous visitor and two participants: one who
opened (and agreed to) an invitation of A, one who did the same with an invitation of B.
Building the world takes a few seconds, so a test module builds it once (``build_world``) and
every request runs in a fresh client and application context (``World.request``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from consult import jobs as runner
from consult.extensions import db
from consult.models import (
    ApiToken,
    Invitation,
    InvitationStatus,
    Objective,
    Question,
    Section,
    User,
    utcnow,
)
from consult.security import user_datastore
from consult.services import api_tokens, jobs, publishing
from consult.services.participation import start_open_response
from consult.services.tokens import hash_token, new_token
from consult.services.users import create_user
from tests.conftest import make_test_app
from tests.facilitator.conftest import (
    PASSWORD,
    Staff,
    fetch,
    make_staff,
    sign_in_as,
)
from tests.participate.helpers import csrf_token
from tests.web.catalogs import require_compiled_catalogs

# The roles of the matrix, in the order of its expectation tuples.
ROLES = (
    "anonymous",
    "participant",  # opened (and agreed to) an invitation of A
    "other_participant",  # opened (and agreed to) an invitation of B
    "facilitator",  # facilitator member of A
    "other_facilitator",  # facilitator member of B only
    "analyst",  # analyst member of A
    "outside_analyst",  # site analyst, member of nothing
    "admin",
)
PARTICIPANTS = ("participant", "other_participant")
# WeasyPrint 66 warns on import when the system lacks libharfbuzz-subset (this machine does):
# an environment matter, not ours
HARFBUZZ_SUBSET = "ignore:HarfBuzz-Subset will be required:DeprecationWarning"
STAFF_ROLES = ROLES[3:]
A_QUESTION = "top5_actions"  # a priority question of A (analyst exports, published reports)

_serial = itertools.count(1)


@dataclass
class World:
    """The app and the data every row of the matrix refers to (everything of A unless named)."""

    app: Flask
    staff: Staff
    invitation_token: dict[str, str]  # "A"/"B" -> plain invitation token
    resume_token: dict[str, str]  # "A"/"B" -> resume token of an open-link response
    api_token: dict[str, str]  # staff role -> plain API token
    participant_session: dict[str, dict[str, Any]]  # participant role -> session contents
    job_id: str  # a finished export job of A, created by A's facilitator
    report_version: str  # a published report of A ("1"; none without responses: 404s)
    extra: dict[str, Any] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        return self.staff.user(role) if role in STAFF_ROLES else None

    def token_for(self, role: str, rule: str) -> str:
        """The ``<token>`` of ``rule`` for ``role``: B's for the participant of B, else A's."""
        which = "B" if role == "other_participant" else "A"
        if rule.startswith("/i/"):
            return self.invitation_token[which]
        if rule.startswith("/r/"):
            return self.resume_token[which]
        return "not-a-token"  # Flask-Security's /account/tf-setup/<token>

    def client(self, role: str):
        """A new test client carrying ``role``'s session (none for the anonymous visitor)."""
        client = self.app.test_client()
        if role in STAFF_ROLES:
            sign_in_as(client, self.user(role))
        elif role in PARTICIPANTS:
            with client.session_transaction() as session:
                session.update(self.participant_session[role])
        return client

    def request(
        self,
        role: str,
        method: str,
        url: str,
        *,
        bearer: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """``method url`` as ``role`` in a fresh client and application context; under /api/ a
        staff role also sends its bearer token (unless ``bearer`` is false)."""
        sent = dict(headers or {})
        if url.startswith("/api/") and bearer and role in self.api_token:
            sent["Authorization"] = f"Bearer {self.api_token[role]}"
        return fetch(self.app, self.client(role), method, url, headers=sent, **kwargs)


def _invite(consultation: Any) -> str:
    token = new_token()
    db.session.add(
        Invitation(
            consultation=consultation,
            token_hash=hash_token(token),
            language=consultation.default_language,
            status=InvitationStatus.PENDING,
        )
    )
    return token


def _agree(app: Flask, token: str) -> dict[str, Any]:
    """Open the invitation, agree, and return the participant's session."""
    client = app.test_client()
    landing = fetch(app, client, "GET", f"/i/{token}/")
    assert landing.status_code == 200
    form = {"consent": "y", "csrf_token": csrf_token(landing.get_data(as_text=True))}
    agreed = fetch(app, client, "POST", f"/i/{token}/", data=form)
    assert agreed.status_code == 303, agreed.status_code
    with client.session_transaction() as session:
        return dict(session)


def build_world(migrated_url: str, responses: int = 0, **overrides: Any) -> World:
    """Create the app and the data; the caller pushes nothing (an app context stays pushed
    until :func:`destroy_world`)."""
    require_compiled_catalogs()
    config: dict[str, Any] = {
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {"argon2__rounds": 1, "argon2__memory_cost": 64},
        "JOBS_INLINE": True,
        "RATELIMIT_ENABLED": False,  # thousands of requests from one address
        "API_RATE_LIMIT": "100000/minute",
        "API_ADDRESS_RATE_LIMIT": "100000/minute",
        **overrides,
    }
    app = make_test_app(migrated_url, **config)
    context = app.app_context()
    context.push()
    staff = make_staff(responses)
    a, b = staff.a, staff.b
    invitation_token = {"A": _invite(a), "B": _invite(b)}
    now = utcnow()
    resume_token = {
        "A": start_open_response(db.session, a, a.default_language, now).resume_token or "",
        "B": start_open_response(db.session, b, b.default_language, now).resume_token or "",
    }
    api_token = {}
    for role in STAFF_ROLES:
        _row, plain = api_tokens.create_token(db.session, staff.user(role), f"{role} laptop")
        api_token[role] = plain
    parameters = {
        "consultation": a.id,
        "actor": staff.facilitator.id,
        "shape": "wide",
        "fmt": "csv",
        "round": None,
        "language": a.default_language,
    }
    job_id = jobs.create_job(db.session, staff.facilitator, a, "export-responses", parameters)
    job_id = job_id.public_id
    report_version = "1"
    if responses:
        publishing.publish_report(db.session, staff.facilitator, a, question_code=A_QUESTION)
    db.session.commit()
    runner.run(app, job_id)
    sessions = {
        "participant": _agree(app, invitation_token["A"]),
        "other_participant": _agree(app, invitation_token["B"]),
    }
    return World(
        app=app,
        staff=staff,
        invitation_token=invitation_token,
        resume_token=resume_token,
        api_token=api_token,
        participant_session=sessions,
        job_id=job_id,
        report_version=report_version,
        extra={"context": context},
    )


def destroy_world(world: World) -> None:
    """Empty every table and close the app's connections and context."""
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    db.engine.dispose()
    world.extra["context"].pop()


# --- disposable rows: what a request may delete, revoke or deactivate ----------------------------


def _a_round(world: World) -> Any:
    a = db.session.merge(world.staff.a)
    return max(a.rounds, key=lambda r: r.number)


def _texts(world: World, text: str) -> dict[str, str]:
    a = db.session.merge(world.staff.a)
    return dict.fromkeys(a.languages, text)


def _new_section(world: World) -> Section:
    round_ = _a_round(world)
    n = next(_serial)
    position = max((s.position for s in round_.sections), default=-1) + 1
    section = Section(
        round=round_, code=f"zz_matrix_{n}", position=position, title=_texts(world, "x")
    )
    db.session.add(section)
    db.session.flush()
    return section


@contextmanager
def fresh_section(world: World) -> Iterator[str]:
    section = _new_section(world)
    section_id = section.id
    db.session.commit()
    yield str(section_id)
    _delete(Question, Question.section_id == section_id)
    _delete(Section, Section.id == section_id)


@contextmanager
def fresh_question(world: World) -> Iterator[str]:
    section = _new_section(world)
    section_id = section.id
    question = Question(
        round=section.round,
        section=section,
        code=f"zz_matrix_q{next(_serial)}",
        type="text",
        position=0,
        text=_texts(world, "x?"),
    )
    db.session.add(question)
    db.session.flush()
    question_id = question.id
    db.session.commit()
    yield str(question_id)
    _delete(Question, Question.section_id == section_id)
    _delete(Section, Section.id == section_id)


@contextmanager
def fresh_objective(world: World) -> Iterator[str]:
    a = db.session.merge(world.staff.a)
    entry = Objective(
        consultation=a, code=f"zz_matrix_o{next(_serial)}", position=99, title=_texts(world, "x")
    )
    db.session.add(entry)
    db.session.flush()
    entry_id = entry.id
    db.session.commit()
    yield str(entry_id)
    _delete(Objective, Objective.id == entry_id)


@contextmanager
def fresh_invitation(world: World) -> Iterator[str]:
    a = db.session.merge(world.staff.a)
    _invite(a)
    db.session.flush()
    invitation_id = db.session.scalar(sa.select(sa.func.max(Invitation.id)))
    db.session.commit()
    yield str(invitation_id)


@contextmanager
def fresh_account(world: World) -> Iterator[str]:
    n = next(_serial)
    user = create_user(db.session, user_datastore, f"spare{n}@example.org", "analyst", PASSWORD)
    db.session.commit()
    yield str(user.id)


@contextmanager
def fresh_api_token(world: World) -> Iterator[str]:
    """A token of A's facilitator (its owner may revoke it; nobody else sees it)."""
    owner = db.session.merge(world.staff.facilitator)
    row, _plain = api_tokens.create_token(db.session, owner, f"spare {next(_serial)}")
    db.session.commit()
    yield str(row.id)
    db.session.execute(sa.delete(ApiToken).where(ApiToken.id == row.id))
    db.session.commit()


@contextmanager
def _running_live_session(world: World) -> Iterator[Any]:
    """A live workshop of A, started by A's facilitator and ended afterwards (one may run at
    a time, so every request gets its own)."""
    from consult.services import live

    a = db.session.merge(world.staff.a)
    owner = db.session.merge(world.staff.facilitator)
    running = live.start_session(db.session, owner, a, a.default_language, utcnow())
    db.session.commit()
    yield running
    db.session.rollback()
    running = db.session.merge(running)
    live.end_session(db.session, owner, a, running, utcnow())
    db.session.commit()


@contextmanager
def fresh_live_code(world: World) -> Iterator[str]:
    with _running_live_session(world) as running:
        yield running.join_code


@contextmanager
def fresh_live_session(world: World) -> Iterator[str]:
    with _running_live_session(world) as running:
        yield str(running.id)


def _delete(model: Any, condition: Any) -> None:
    db.session.rollback()
    db.session.execute(sa.delete(model).where(condition))
    db.session.commit()
