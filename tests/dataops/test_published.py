"""A published report version is a record: erasure shows as a difference when it is checked,
a purge does not change its data at all."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskCliRunner

from consult.extensions import db
from consult.models import AuditEvent, Report, Response, ResponseState
from consult.services import publishing
from tests.dataops.conftest import _close, by_slug, erase
from tests.facilitator.conftest import Staff

pytestmark = pytest.mark.db


@pytest.fixture
def demo_responses() -> int:
    return 30


def _publish(staff: Staff) -> Report:
    report = publishing.publish_report(
        db.session,
        staff.analyst,
        staff.a,
        question_code="action_priority",
        bootstrap=20,
        seed=5,
        language="en",
    )
    db.session.commit()
    return report


def test_erasure_and_purge_against_a_published_version(
    staff: Staff, runner: FlaskCliRunner
) -> None:
    _close(by_slug())
    by_slug().retention_days = 1
    db.session.commit()
    report = _publish(staff)
    published = json.dumps(report.results, sort_keys=True)

    purged = runner.invoke(args=["purge", "--now", "2030-01-01T00:00"])
    assert purged.exit_code == 0, purged.output
    after_purge = publishing.regenerate_report(db.session, staff.analyst, report)
    assert after_purge.same_data
    assert after_purge.same_numbers

    receipt = (
        db.session.query(Response.receipt_code)
        .filter(Response.state == ResponseState.SUBMITTED)
        .first()[0]
    )
    erased = erase(runner, receipt, "asked by e-mail", "--as", staff.facilitator.email)
    assert erased.exit_code == 0, erased.output
    event = db.session.query(AuditEvent).filter(AuditEvent.action == "response.erase").one()
    assert event.actor_id == staff.facilitator.id
    check = publishing.regenerate_report(db.session, staff.analyst, report)
    assert not check.same_data
    assert check.respondents_difference == -1
    assert check.snapshot_intact  # the published version is not altered
    assert check.snapshot_numbers
    db.session.refresh(report)
    assert json.dumps(report.results, sort_keys=True) == published


def test_an_analyst_cannot_erase_from_the_command_line(
    staff: Staff, runner: FlaskCliRunner
) -> None:
    receipt = (
        db.session.query(Response.receipt_code)
        .filter(Response.state == ResponseState.SUBMITTED)
        .first()[0]
    )
    done = erase(runner, receipt, "asked", "--as", staff.analyst.email)
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == ["Error: you may not change this consultation"]
