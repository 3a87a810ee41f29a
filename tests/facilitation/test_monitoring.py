"""Participation numbers: invited, started, submitted per group and language; times; days."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult.models import (
    AnonymityMode,
    Invitation,
    InvitationStatus,
    Response,
    ResponseState,
    RoleName,
    StakeholderGroup,
)
from consult.services import participation as p
from consult.services.demo import load_demo
from consult.services.errors import Forbidden
from consult.services.monitoring import NOT_IN_ANONYMOUS_MODE, monitor
from consult.services.tokens import hash_token, new_token
from tests.facilitation.conftest import by_slug, make_user
from tests.services.helpers import complete

pytestmark = pytest.mark.db

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_the_demo_workshop_numbers(session):
    load_demo(session)  # 123 synthetic submitted responses
    demo = by_slug(session, "migration-action-plan")
    admin = make_user(session, "admin@example.org", RoleName.ADMIN)
    m = monitor(session, admin, demo)
    assert (m.total.invited, m.total.started, m.total.submitted) == (0, 123, 123)
    assert len(m.by_group) == 7
    assert all(g.submitted > 0 for g in m.by_group)
    assert sum(g.submitted for g in m.by_group) == 123
    expected = dict(
        session.execute(
            select(StakeholderGroup.code, func.count(Response.id))
            .join(Response, Response.stakeholder_group_id == StakeholderGroup.id)
            .group_by(StakeholderGroup.code)
        ).all()
    )
    assert {g.code: g.submitted for g in m.by_group} == expected
    assert [c.language for c in m.by_language] == ["tr", "en", "ar"]
    assert sum(c.submitted for c in m.by_language) == 123
    # the median by hand, from every submitted response
    responses = session.scalars(select(Response)).all()
    durations = sorted((r.submitted_at - r.started_at).total_seconds() for r in responses)
    assert m.median_completion_seconds == durations[61]  # the 62nd of 123
    assert m.median_completion_seconds == statistics.median(durations)
    assert m.completion_time_note is None
    assert sum(n for _day, n in m.submitted_per_day) == 123
    days = [d for d, _n in m.submitted_per_day]
    assert days == sorted(days)
    assert days[0] >= date(2019, 12, 2)
    assert m.as_dict()["total"] == {"invited": 0, "started": 123, "submitted": 123, "withdrawn": 0}


def _invite(session, consultation, group, language, status=InvitationStatus.PENDING):
    group_id = None
    if group is not None:
        group_id = next(g.id for g in consultation.stakeholder_groups if g.code == group)
    token = new_token()
    session.add(
        Invitation(
            consultation_id=consultation.id,
            token_hash=hash_token(token),
            stakeholder_group_id=group_id,
            language=language,
            status=status,
        )
    )
    session.flush()
    return token


def _submit(session, access, language, at):
    survey = p.build_survey(session, access.round, language)
    complete(session, access, survey, now=at, choices={"stakeholder_group": "national_ngo"})
    p.submit_response(session, access, survey, at)


def _scenario(session, consultation):
    """Five invitations (one revoked), two started and three submitted responses."""
    academic = _invite(session, consultation, "academic", "en")
    _invite(session, consultation, "academic", "en")
    self_org = _invite(session, consultation, "self_organization", "ar")
    _invite(session, consultation, None, "tr")
    _invite(session, consultation, "donor", "en", InvitationStatus.REVOKED)
    p.access_by_invitation(session, academic, "en", NOW)  # started, not submitted
    _submit(session, p.access_by_invitation(session, self_org, "ar", NOW), "ar", NOW + 10 * MIN)
    p.start_open_response(session, consultation, "tr", NOW)  # no group yet
    _submit(session, p.start_open_response(session, consultation, "en", NOW), "en", NOW + 20 * MIN)
    later = NOW + timedelta(days=1)
    _submit(
        session, p.start_open_response(session, consultation, "tr", later), "tr", later + 45 * MIN
    )


def test_exact_counts_after_invitations_and_started_responses(session, staff, action_plan):
    _scenario(session, action_plan)
    m = monitor(session, staff.facilitator, action_plan, action_plan.rounds[0])
    groups = {g.code: (g.invited, g.started, g.submitted) for g in m.by_group}
    assert groups == {
        "district_municipality": (0, 0, 0),
        "national_ngo": (0, 2, 2),
        "international_ngo": (0, 0, 0),
        "donor": (0, 0, 0),  # its only invitation is revoked
        "academic": (2, 1, 0),
        "self_organization": (1, 1, 1),
        "public_institution": (0, 0, 0),
        None: (1, 1, 0),  # an invitation without group; an open-link response not yet profiled
    }
    languages = {c.language: (c.invited, c.started, c.submitted) for c in m.by_language}
    assert languages == {"tr": (1, 2, 1), "en": (2, 2, 1), "ar": (1, 1, 1)}
    assert (m.total.invited, m.total.started, m.total.submitted) == (4, 5, 3)
    assert m.round_number == 1
    assert m.median_completion_seconds == 20 * 60  # of 10, 20 and 45 minutes
    assert m.submitted_per_day == [(NOW.date(), 2), ((NOW + timedelta(days=1)).date(), 1)]


def test_withdrawn_responses_are_counted_apart(session, staff, action_plan):
    access = p.start_open_response(session, action_plan, "en", NOW)
    _submit(session, access, "en", NOW + 5 * MIN)
    p.withdraw_response(session, action_plan.slug, access.response.receipt_code, NOW + 6 * MIN)
    m = monitor(session, staff.facilitator, action_plan)
    assert (m.total.started, m.total.submitted, m.total.withdrawn) == (0, 0, 1)
    assert m.median_completion_seconds is None
    assert m.submitted_per_day == []


def test_anonymous_mode_gives_no_completion_time(session, staff, action_plan):
    action_plan.anonymity = AnonymityMode.ANONYMOUS
    session.flush()
    _scenario(session, action_plan)
    m = monitor(session, staff.analyst, action_plan)
    assert m.median_completion_seconds is None
    assert m.completion_time_note == NOT_IN_ANONYMOUS_MODE
    assert (m.total.invited, m.total.started, m.total.submitted) == (4, 5, 3)
    assert m.submitted_per_day == [(NOW.date(), 2), ((NOW + timedelta(days=1)).date(), 1)]
    submitted = session.scalars(select(Response).where(Response.state == ResponseState.SUBMITTED))
    assert all(r.invitation_id is None for r in submitted)


def test_monitoring_is_for_members(session, staff, action_plan):
    for user in (staff.other_facilitator, staff.outside_analyst, staff.inactive, None):
        with pytest.raises(Forbidden):
            monitor(session, user, action_plan)
