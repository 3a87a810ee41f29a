"""Publishing reports: versions, fingerprints, and regenerating to the same numbers."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from sqlalchemy import func, select

import analysis
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
        publish(staff, exclusions=["999999"])  # no such response
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


# --- exclusions -------------------------------------------------------------------------------


def respondent_ids(staff: Staff, code: str = "action_priority") -> list[str]:
    data = priorities.analysis_frame(db.session, staff.a, code, bootstrap=0)
    return sorted(set(data.frame["respondent"]), key=int)


def test_excluding_responses_is_removing_their_rows(staff: Staff) -> None:
    ids = respondent_ids(staff)
    left_out = [ids[4], ids[0], ids[17]]
    everybody = priorities.analysis_frame(
        db.session, staff.a, "action_priority", bootstrap=BOOTSTRAP, seed=11
    )
    # ids as ints or as text with spaces, repeated: the same three responses
    fewer = priorities.analysis_frame(
        db.session,
        staff.a,
        "action_priority",
        bootstrap=BOOTSTRAP,
        seed=11,
        exclude=[int(left_out[0]), f" {left_out[1]} ", left_out[2], left_out[0]],
    )
    assert fewer.exclusions == tuple(sorted(left_out, key=int))
    assert fewer.n_excluded == 3
    assert fewer.n_respondents_total == everybody.n_respondents_total == len(ids)
    assert fewer.frame["respondent"].nunique() == len(ids) - 3
    assert not set(fewer.respondents["respondent"]) & set(left_out)

    # analysis.rank on the frame without those rows gives exactly these numbers
    frame = everybody.frame[~everybody.frame["respondent"].isin(left_out)].reset_index(drop=True)
    direct = analysis.rank(frame, everybody.kind, everybody.method, **everybody.options).to_dict()
    assert as_json(fewer.rank().to_dict()) == as_json(direct)
    assert direct != everybody.rank().to_dict()  # leaving them out changes the numbers
    assert direct["n_respondents"] == len(ids) - 3

    results = priorities.question_results(
        db.session,
        staff.a,
        "action_priority",
        bootstrap=BOOTSTRAP,
        seed=11,
        language="en",
        exclude=left_out,
    )
    assert as_json(results.analysis) == as_json(direct)
    assert (results.n_excluded, results.exclusions) == (3, sorted(left_out, key=int))
    assert results.n_respondents == len(ids) - 3
    assert results.n_respondents_total == len(ids)
    assert sum(row["n"] or 0 for row in results.counts["by_language"]) == len(ids) - 3
    plain = priorities.question_results(
        db.session, staff.a, "action_priority", bootstrap=0, language="en"
    )
    assert (plain.n_excluded, plain.exclusions) == (0, [])


def test_bad_exclusions_are_refused_by_name(staff: Staff) -> None:
    ids = respondent_ids(staff)
    for bad, values in [
        (["999999"], ("999999",)),
        ([ids[0], "abc"], ("abc",)),
        (["-3"], ("-3",)),
        ([0], ("0",)),
        ([True], ("True",)),
        (["1.5"], ("1.5",)),
    ]:
        with pytest.raises(priorities.InvalidParameter) as refused:
            priorities.analysis_frame(db.session, staff.a, "action_priority", exclude=bad)
        assert refused.value.field == "exclude", bad
        assert refused.value.values == values
    # a response of the consultation that did not answer this question (withdrawn) is unknown
    gone = submitted(staff.a)[0]
    withdraw(gone)
    db.session.commit()
    with pytest.raises(priorities.InvalidParameter) as refused:
        priorities.question_results(db.session, staff.a, "action_priority", exclude=[gone.id])
    assert refused.value.values == (str(gone.id),)
    # leaving fewer than k respondents is withheld, like a filter
    k = staff.a.min_group_size
    with pytest.raises(priorities.TooFewRespondents):
        priorities.analysis_frame(
            db.session, staff.a, "action_priority", exclude=respondent_ids(staff)[k - 1 :]
        )


def test_publish_with_exclusions_stores_and_regenerates_them(staff: Staff) -> None:
    ids = respondent_ids(staff)
    left_out = [ids[9], ids[2]]
    everybody = publish(staff)
    report = publish(staff, exclusions=[int(left_out[0]), left_out[1]])

    p = report.parameters
    assert p["exclusions"] == sorted(left_out, key=int)
    assert p["n_respondents"] == len(ids) - 2
    assert report.data_fingerprint != everybody.data_fingerprint
    stored = report.results["results"]
    assert (stored["n_excluded"], stored["exclusions"]) == (2, sorted(left_out, key=int))
    page = priorities.question_results(
        db.session,
        staff.a,
        "action_priority",
        bootstrap=BOOTSTRAP,
        seed=11,
        language="en",
        exclude=left_out,
    )
    assert stored == as_json(page.as_dict())
    assert stored["analysis"] != everybody.results["results"]["analysis"]
    snapshot = publishing.FrameSnapshot.from_json(report.results["input"]).frame()
    assert snapshot["respondent"].nunique() == len(ids) - 2
    [event] = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "report.publish", AuditEvent.object_id == report.id
        )
    )
    assert event.details["exclusions"] == 2

    # regenerating leaves the same responses out: the same data and numbers
    check = publishing.regenerate_report(db.session, staff.analyst, report)
    assert (check.same_data, check.same_numbers) == (True, True)
    assert (check.snapshot_intact, check.snapshot_numbers) == (True, True)
    assert check.results == stored
    assert check.respondents_now == len(ids) - 2

    # an excluded response withdrawn since: still left out, still the same data
    excluded = next(r for r in submitted(staff.a) if str(r.id) == left_out[0])
    withdraw(excluded)
    db.session.commit()
    again = publishing.regenerate_report(db.session, staff.analyst, report)
    assert (again.same_data, again.same_numbers, again.current_error) == (True, True, None)
    # a response that was used withdrawn since: the data changed
    used = next(r for r in submitted(staff.a) if str(r.id) not in left_out)
    withdraw(used)
    db.session.commit()
    changed = publishing.regenerate_report(db.session, staff.analyst, report)
    assert not changed.same_data
    assert changed.respondents_difference == -1
    assert changed.results is not None
    assert changed.results["exclusions"] == [left_out[1]]  # the one still there
    assert changed.snapshot_numbers


def test_refused_exclusions_write_nothing(staff: Staff) -> None:
    ids = respondent_ids(staff)
    k = staff.a.min_group_size
    for bad, error in [
        (["999999"], priorities.InvalidParameter),
        ([ids[0], "x1"], priorities.InvalidParameter),
        (ids[k - 1 :], priorities.TooFewRespondents),
    ]:
        with pytest.raises(error) as refused:
            publish(staff, exclusions=bad)
        if error is priorities.InvalidParameter:
            assert refused.value.field == "exclusions"
        db.session.rollback()
    assert publishing.list_reports(db.session, staff.analyst, staff.a) == []
    assert db.session.scalar(select(func.count(Report.id))) == 0
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "report.publish")
        )
        == 0
    )
