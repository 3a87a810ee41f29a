"""``consult purge``: invitation data goes N days after closing; answers and results stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import (
    AuditEvent,
    ConsultationState,
    Invitation,
    Job,
    JobState,
    Participation,
    Response,
)
from consult.services.retention import purge_due, retention_status
from consult.services.tokens import hash_token
from tests.dataops.conftest import CLOSED, answers_checksum, by_slug, results, table_counts

pytestmark = pytest.mark.db


def _set_retention(days: int | None) -> None:
    by_slug().retention_days = days
    db.session.commit()


def _personal() -> dict[str, int]:
    """How much personal data the demo consultation still holds."""
    c = by_slug()
    count = lambda q: int(db.session.scalar(q) or 0)  # noqa: E731
    return {
        "emails": count(
            select(func.count(Invitation.email)).where(Invitation.consultation_id == c.id)
        ),
        "names": count(select(func.count(Invitation.name))),
        "organisations": count(select(func.count(Invitation.organisation))),
        "sent": count(select(func.count(Invitation.sent_at))),
        "participations": count(select(func.count()).select_from(Participation)),
        "linked": count(select(func.count(Response.invitation_id))),
        "resume": count(select(func.count(Response.resume_token_hash))),
    }


def test_dry_run_says_what_would_go_and_changes_nothing(closed, runner) -> None:
    _set_retention(30)
    before = (table_counts(), answers_checksum(), _personal())
    done = runner.invoke(args=["purge", "--dry-run", "--now", "2027-02-10T12:00"])
    assert done.exit_code == 0, done.output
    assert done.output == (
        "migration-action-plan: would remove contact details and tokens of 31 invitation(s), "
        "30 participation record(s), 30 response-invitation link(s), 10 resume token(s), "
        "2 stored download(s).\n"
    )
    db.session.expire_all()
    assert (table_counts(), answers_checksum(), _personal()) == before
    assert before[2] == {
        "emails": 31,
        "names": 30,
        "organisations": 30,
        "sent": 30,
        "participations": 30,
        "linked": 30,
        "resume": 10,
    }


def test_purge_removes_personal_data_and_keeps_answers_and_results(closed, runner) -> None:
    _set_retention(30)
    ranking, severity = results(runner), results(runner, "challenge_severity")
    checksum = answers_checksum()
    invited = db.session.execute(
        select(Invitation.stakeholder_group_id, Invitation.language, Invitation.status).order_by(
            Invitation.id
        )
    ).all()
    done = runner.invoke(args=["purge", "--now", "2027-02-10T12:00"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("migration-action-plan: removed contact details and tokens of 31")
    db.session.expire_all()
    assert _personal() == {
        "emails": 0,
        "names": 0,
        "organisations": 0,
        "sent": 0,
        "participations": 0,
        "linked": 0,
        "resume": 0,
    }
    # the links no longer work: no token hashes to a stored value any more
    hashes = set(db.session.scalars(select(Invitation.token_hash)))
    assert len(hashes) == 31
    assert all(h.startswith("x") for h in hashes)
    assert not {hash_token(t) for t in closed.tokens} & hashes
    # answers, profile and results are untouched; the participation numbers keep their counts
    assert answers_checksum() == checksum
    assert results(runner) == ranking
    assert results(runner, "challenge_severity") == severity
    assert (
        db.session.execute(
            select(
                Invitation.stakeholder_group_id, Invitation.language, Invitation.status
            ).order_by(Invitation.id)
        ).all()
        == invited
    )
    # one audit row with counts only
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.purge")
    ).all()
    assert len(events) == 1
    assert events[0].actor_id is None
    assert events[0].consultation_id == closed.consultation_id
    assert events[0].details == {
        "retention_days": 30,
        "invitations": 31,
        "participations": 30,
        "responses_unlinked": 30,
        "resume_tokens": 10,
        "downloads": 2,
    }
    assert "example.org" not in repr(events[0].details)
    # finished jobs and their stored files are gone; a running one is left to finish
    assert db.session.execute(select(Job.public_id, Job.state)).all() == [
        ("job2", JobState.RUNNING)
    ]
    # idempotent: a second run finds nothing and records nothing
    again = runner.invoke(args=["purge", "--now", "2027-03-10T12:00"])
    assert again.exit_code == 0, again.output
    assert again.output == "migration-action-plan: nothing left to delete (purged before).\n"
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "consultation.purge")
        )
        == 1
    )
    status = retention_status(db.session, by_slug())
    assert status.closed_at == CLOSED
    assert status.due_at == CLOSED + timedelta(days=30)
    assert status.purged_at == events[0].occurred_at


def test_not_purged_before_the_retention_period_ends(closed, runner) -> None:
    _set_retention(30)
    before = _personal()
    done = runner.invoke(args=["purge", "--now", "2027-02-09T11:59"])  # 29 days, 23:59 later
    assert done.exit_code == 0, done.output
    assert done.output == "No consultation is past its retention period.\n"
    db.session.expire_all()
    assert _personal() == before
    assert [r.slug for r in purge_due(db.session, CLOSED + timedelta(days=30))] == [
        "migration-action-plan"
    ]
    db.session.rollback()


def test_never_purged_without_a_retention_period_or_while_open(closed, runner) -> None:
    before = _personal()
    far = "2037-01-01T00:00"
    assert runner.invoke(args=["purge", "--now", far]).output == (
        "No consultation is past its retention period.\n"
    )
    consultation = by_slug()
    consultation.retention_days = 1
    consultation.state = ConsultationState.OPEN  # reopened after it closed
    db.session.commit()
    assert runner.invoke(args=["purge", "--now", far]).output == (
        "No consultation is past its retention period.\n"
    )
    db.session.expire_all()
    assert _personal() == before


def test_archived_consultations_are_purged_too(closed, runner) -> None:
    consultation = by_slug()
    consultation.retention_days = 1
    consultation.state = ConsultationState.ARCHIVED
    db.session.commit()
    done = runner.invoke(args=["purge", "--now", "2027-01-11T12:00"])
    assert done.exit_code == 0, done.output
    assert "removed contact details and tokens of 31 invitation(s)" in done.output
    db.session.expire_all()
    assert _personal()["emails"] == 0


def test_bad_now_is_one_line_and_exit_2(closed, runner) -> None:
    done = runner.invoke(args=["purge", "--now", "next tuesday"])
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [
        "Error: --now 'next tuesday' is not an ISO time like 2027-01-31T02:00"
    ]


def test_a_failed_purge_changes_nothing(closed, runner, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT INTO audit_events", {}, Exception("disk I/O error"))

    _set_retention(30)
    before = (table_counts(), answers_checksum(), _personal())
    monkeypatch.setattr("consult.services.retention.record", broken)
    done = runner.invoke(args=["purge", "--now", "2027-02-10T12:00"])
    assert done.exit_code == 2
    lines = done.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: database error (")
    assert lines[0].endswith("): disk I/O error")
    db.session.expire_all()
    assert (table_counts(), answers_checksum(), _personal()) == before
