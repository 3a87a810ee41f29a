"""The audit log: recording, reading (admins only), and rows that cannot change."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, select, update

from consult.models import AuditEvent, Invitation
from consult.services.audit import AppendOnlyViolation, list_events, record
from consult.services.errors import Forbidden

pytestmark = pytest.mark.db


class Colour(enum.StrEnum):
    RED = "red"


def test_record_keeps_actor_object_consultation_and_plain_details(session, staff, action_plan):
    invitation = Invitation(consultation=action_plan, token_hash="1" * 64, language="ar")
    session.add(invitation)
    session.flush()
    event = record(
        session,
        staff.facilitator,
        "invitation.revoke",
        invitation,
        when=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        day=date(2026, 1, 2),
        colour=Colour.RED,
        codes=("a", "b"),
        tags={"y", "x"},
    )
    assert event.id is not None
    assert (event.actor_id, event.consultation_id) == (staff.facilitator.id, action_plan.id)
    assert (event.object_type, event.object_id) == ("invitation", invitation.id)
    assert event.occurred_at.tzinfo is not None
    session.expire_all()
    stored = session.get(AuditEvent, event.id)
    assert stored.details == {
        "when": "2026-01-02T03:04:00+00:00",
        "day": "2026-01-02",
        "colour": "red",
        "codes": ["a", "b"],
        "tags": ["x", "y"],
    }


def test_a_consultation_is_its_own_consultation_and_the_system_has_no_actor(
    session, action_plan, question_types
):
    event = record(session, None, "consultation.export", action_plan)
    assert (event.actor_id, event.consultation_id, event.object_type) == (
        None,
        action_plan.id,
        "consultation",
    )
    other = record(session, None, "note", consultation=question_types)
    assert (other.consultation_id, other.object_type, other.object_id) == (
        question_types.id,
        None,
        None,
    )


def test_admins_list_events_newest_first_by_consultation_and_page(
    session, staff, action_plan, question_types
):
    ids = [record(session, staff.facilitator, f"a.{i}", action_plan).id for i in range(3)] + [
        record(session, staff.other_facilitator, "b.0", question_types).id
    ]
    events = list_events(session, staff.admin)
    assert [e.id for e in events] == ids[::-1]
    assert events[0].consultation_slug == "question-types"
    assert events[0].actor_email == "fac-b@example.org"
    only_a = list_events(session, staff.admin, consultation=action_plan, limit=2)
    assert [e.action for e in only_a] == ["a.2", "a.1"]
    rest = list_events(session, staff.admin, consultation=action_plan, before=only_a[-1].id)
    assert [e.action for e in rest] == ["a.0"]


def test_only_admins_read_the_log(session, staff):
    for user in (staff.facilitator, staff.analyst, staff.inactive, None):
        with pytest.raises(Forbidden):
            list_events(session, user)


def test_an_event_cannot_be_changed(session, action_plan):
    event = record(session, None, "consultation.open", action_plan)
    event.action = "consultation.close"
    with pytest.raises(AppendOnlyViolation, match="cannot be changed"):
        session.flush()
    session.rollback()


def test_an_event_cannot_be_deleted(session, action_plan):
    event = record(session, None, "consultation.open", action_plan)
    session.delete(event)
    with pytest.raises(AppendOnlyViolation, match="cannot be deleted"):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).values(action="x"),
        delete(AuditEvent),
        delete(AuditEvent).where(AuditEvent.id > 0),
    ],
)
def test_no_bulk_update_or_delete(session, action_plan, statement):
    record(session, None, "consultation.open", action_plan)
    with pytest.raises(AppendOnlyViolation, match="no bulk UPDATE or DELETE"):
        session.execute(statement)
    with pytest.raises(AppendOnlyViolation):
        session.query(AuditEvent).delete()
    session.rollback()


def test_other_rows_still_change_freely(session, action_plan):
    record(session, None, "consultation.open", action_plan)
    action_plan.min_group_size = 3
    session.flush()
    session.execute(update(Invitation).values(language="tr"))
    assert session.scalar(select(AuditEvent.action)) == "consultation.open"
