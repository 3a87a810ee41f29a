"""Publishing reports: versions, fingerprints, and regenerating to the same numbers."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from sqlalchemy import select

from consult.extensions import db
from consult.models import AuditEvent, Report
from consult.services import priorities, publishing
from consult.services.errors import Forbidden
from tests.facilitator.conftest import Staff
from tests.publishing.conftest import copy_response, submitted, withdraw

pytestmark = pytest.mark.db

BOOTSTRAP = 40


def publish(staff: Staff, **kwargs: object) -> Report:
    arguments: dict[str, object] = {
        "question_code": "action_priority",
        "bootstrap": BOOTSTRAP,
        "seed": 11,
        "language": "en",
    }
    arguments.update(kwargs)
    report = publishing.publish_report(db.session, staff.analyst, staff.a, **arguments)
    db.session.commit()
    return report


def as_json(value: object) -> object:
    return json.loads(json.dumps(value, sort_keys=True, allow_nan=False))


# --- the fingerprint -----------------------------------------------------------------------


def test_fingerprint_is_the_documented_canonical_text() -> None:
    frame = pd.DataFrame(
        {
            "respondent": ["2", "1", "1"],
            "value": [4.0, 2.5, None],
            "item": ["b", "a", "ç"],
            "rank": pd.array([1, 2, 3], dtype="int64"),
        }
    )
    text = publishing.canonical_text(frame)
    assert text == (
        "consult-frame-v1\n"
        '["item","rank","respondent","value"]\n'
        '["a",2,"1",2.5]\n'
        '["b",1,"2",4]\n'
        '["ç",3,"1",null]\n'
    )
    assert publishing.fingerprint(frame) == hashlib.sha256(text.encode()).hexdigest()
    # row order, column order and the dtype of whole numbers do not matter
    shuffled = frame.iloc[[2, 0, 1], [3, 1, 0, 2]]
    as_float = frame.astype({"rank": "float64"})
    assert publishing.fingerprint(shuffled) == publishing.fingerprint(frame)
    assert publishing.fingerprint(as_float) == publishing.fingerprint(frame)
    # any value does
    changed = frame.copy()
    changed.loc[0, "value"] = 4.000001
    assert publishing.fingerprint(changed) != publishing.fingerprint(frame)
    assert publishing.canonical_text(changed).splitlines()[3] == '["b",1,"2",4.000001]'


def test_pseudonyms_keep_the_order_of_respondents() -> None:
    frame = pd.DataFrame({"respondent": ["10", "9", "10", "100"], "x": [1, 2, 3, 4]})
    assert publishing.pseudonymise(frame)["respondent"].tolist() == [
        "00000001",
        "00000003",
        "00000001",
        "00000002",
    ]


# --- publishing and regenerating ----------------------------------------------------------


def test_publish_stores_everything_needed(staff: Staff) -> None:
    report = publish(staff, weighting="equal-groups")

    assert report.version == 1
    assert report.round_id == staff.a.rounds[0].id
    assert report.language == "en"
    assert len(report.data_fingerprint) == 64
    assert int(report.data_fingerprint, 16) >= 0
    assert report.software_version.startswith("consult ")
    p = report.parameters
    assert p["question_code"] == "action_priority"
    assert p["round_number"] == 1
    assert (p["kind"], p["method"], p["weighting"]) == ("rating", "mean", "equal-groups")
    assert (p["bootstrap"], p["seed"], p["top_k"]) == (BOOTSTRAP, 11, None)
    assert p["filters"] == {"groups": [], "districts": [], "languages": [], "sources": []}
    assert p["exclusions"] == []
    assert p["min_group_size"] == staff.a.min_group_size
    assert p["fingerprint_scheme"] == "consult-frame-v1"
    assert p["n_respondents"] == len(submitted(staff.a))
    assert set(p["software"]) == {"consult", "analysis", "python", "numpy", "pandas", "scipy"}
    assert p["software"]["pandas"] == pd.__version__
    assert p["analysis_options"]["weights"] == "equal-groups"

    # the stored results are those of the results page, with the same parameters
    page = priorities.question_results(
        db.session,
        staff.a,
        "action_priority",
        weighting="equal-groups",
        bootstrap=BOOTSTRAP,
        seed=11,
        language="en",
    )
    assert report.results["results"] == as_json(page.as_dict())
    # and the stored frame is the exact input (response ids replaced by ordered pseudonyms)
    data = priorities.analysis_frame(
        db.session, staff.a, "action_priority", bootstrap=BOOTSTRAP, seed=11
    )
    stored = publishing.FrameSnapshot.from_json(report.results["input"]).frame()
    pd.testing.assert_frame_equal(
        stored, publishing.pseudonymise(data.respondents.reset_index(drop=True))
    )
    assert publishing.fingerprint(stored) == report.data_fingerprint

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.publish"))
    assert event.actor_id == staff.analyst.id
    assert event.object_id == report.id
    assert event.details["version"] == 1
    assert event.details["fingerprint"] == report.data_fingerprint


def test_unchanged_data_regenerates_identical_numbers(staff: Staff) -> None:
    report = publish(staff, question_code="top5_actions", method="schulze", bootstrap=60)

    check = publishing.regenerate_report(db.session, staff.analyst, report)

    assert check.same_data
    assert check.same_numbers
    assert check.snapshot_intact
    assert check.snapshot_numbers
    assert check.fingerprint_now == check.fingerprint_then == report.data_fingerprint
    assert check.respondents_difference == 0
    assert check.current_error is None
    assert check.same_software
    assert check.results == report.results["results"]
    # computed afresh with the stored parameters, the whole JSON is identical
    p = report.parameters
    again = priorities.question_results(
        db.session,
        staff.a,
        p["question_code"],
        method=p["method"],
        weighting=p["weighting"],
        bootstrap=p["bootstrap"],
        seed=p["seed"],
        top_k=p["top_k"],
        round_number=p["round_number"],
        language=report.language,
    )
    assert as_json(again.as_dict()) == report.results["results"]


def test_changed_data_is_detected_and_the_published_numbers_stay(staff: Staff) -> None:
    report = publish(staff)
    published = json.dumps(report.results["results"], sort_keys=True)

    copy_response(staff.a)
    db.session.commit()
    more = publishing.regenerate_report(db.session, staff.analyst, report)
    assert not more.same_data
    assert more.fingerprint_now != report.data_fingerprint
    assert more.respondents_difference == 1
    assert not more.same_numbers
    assert more.results is not None
    assert more.results["n_respondents"] == report.results["results"]["n_respondents"] + 1
    # the published version is regenerated from its stored answers to the same numbers
    assert more.snapshot_intact
    assert more.snapshot_numbers
    db.session.refresh(report)
    assert json.dumps(report.results["results"], sort_keys=True) == published

    for response in submitted(staff.a)[:3]:
        withdraw(response)
    db.session.commit()
    fewer = publishing.regenerate_report(db.session, staff.analyst, report)
    assert not fewer.same_data
    assert fewer.respondents_difference == -2
    assert fewer.snapshot_numbers


def test_a_changed_answer_with_the_same_respondents_is_detected(staff: Staff) -> None:
    report = publish(staff)
    question = next(q for q in staff.a.rounds[0].questions if q.code == "action_priority")
    answer = next(
        a
        for a in submitted(staff.a)[0].answers
        if a.question_id == question.id and a.number is not None
    )
    answer.number = 1.0 if answer.number != 1.0 else 2.0
    db.session.commit()
    check = publishing.regenerate_report(db.session, staff.analyst, report)
    assert not check.same_data
    assert check.respondents_difference == 0
    assert check.snapshot_numbers


def test_a_changed_threshold_is_reported(staff: Staff) -> None:
    report = publish(staff)
    staff.a.min_group_size = 8
    db.session.commit()
    check = publishing.regenerate_report(db.session, staff.analyst, report)
    assert check.same_data  # the answers did not change
    assert (check.min_group_size_then, check.min_group_size_now) == (5, 8)
    assert check.snapshot_numbers  # the published version used 5 and still gives its numbers


def test_versions_increment_and_are_listed(staff: Staff) -> None:
    first = publish(staff)
    second = publish(staff, question_code="top5_actions")
    third = publish(staff, weighting="equal-groups")
    assert [first.version, second.version, third.version] == [1, 2, 3]
    listed = publishing.list_reports(db.session, staff.analyst, staff.a)
    assert [r.version for r in listed] == [3, 2, 1]
    assert listed[1].question_code == "top5_actions"
    assert listed[1].method == "borda"
    assert listed[0].created_by == staff.analyst.email
    assert listed[0].fingerprint_prefix == third.data_fingerprint[:12]
    assert first.data_fingerprint == third.data_fingerprint  # same answers, other weighting
    assert publishing.get_report(db.session, staff.analyst, staff.a, 2).id == second.id
    # versions count per consultation
    assert publishing.list_reports(db.session, staff.admin, staff.b) == []


def test_filters_are_applied_stored_and_reused(staff: Staff) -> None:
    everybody = publish(staff)
    k = staff.a.min_group_size
    counts = (
        pd.Series([r.stakeholder_group_id for r in submitted(staff.a)]).value_counts().to_dict()
    )
    group = next(g for g in staff.a.stakeholder_groups if counts.get(g.id, 0) >= k)
    small = next(g for g in staff.a.stakeholder_groups if 0 < counts.get(g.id, 0) < k)

    some = publish(staff, filters=priorities.Filters(groups=(group.code,)))
    assert some.parameters["filters"]["groups"] == [group.code]
    assert some.parameters["n_respondents"] == counts[group.id]
    assert some.data_fingerprint != everybody.data_fingerprint
    check = publishing.regenerate_report(db.session, staff.analyst, some)
    assert check.same_data
    assert check.same_numbers

    with pytest.raises(priorities.TooFewRespondents):
        publish(staff, filters=priorities.Filters(groups=(small.code,)))
    with pytest.raises(priorities.InvalidParameter) as refused:
        publish(staff, exclusions=["12"])
    assert refused.value.field == "exclusions"
    with pytest.raises(priorities.InvalidParameter) as refused:
        publish(staff, method="borda")  # a ranking method for a rating question
    assert refused.value.field == "method"
    with pytest.raises(priorities.InvalidParameter) as refused:
        publish(staff, language="fr")
    assert refused.value.field == "language"
    assert [r.version for r in publishing.list_reports(db.session, staff.analyst, staff.a)] == [
        2,
        1,
    ]


@pytest.mark.parametrize("role", ["outside_analyst", "other_facilitator"])
def test_only_members_may_publish_or_check(staff: Staff, role: str) -> None:
    report = publish(staff)
    user = staff.user(role)
    with pytest.raises(Forbidden):
        publishing.publish_report(db.session, user, staff.a, question_code="action_priority")
    with pytest.raises(Forbidden):
        publishing.regenerate_report(db.session, user, report)
    with pytest.raises(Forbidden):
        publishing.list_reports(db.session, user, staff.a)
