"""Background jobs: run outside the request, progress in the database, the file when done."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from consult import jobs as runner
from consult.extensions import db
from consult.models import Consultation, Job, JobState, utcnow
from consult.services import jobs
from consult.services.errors import InvalidState
from tests.facilitator.conftest import FS_TUPLE_CHOICES, Staff, fetch, sign_in_as

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

release = threading.Event()


def _load(session, parameters, progress):  # type: ignore[no-untyped-def]
    consultation = session.get(Consultation, parameters["consultation"])
    return {"title": consultation.title["en"], "steps": parameters["steps"]}


def _make(loaded, progress):  # type: ignore[no-untyped-def]
    for step in range(loaded["steps"]):
        progress(step / loaded["steps"], f"step {step}")
        if loaded["steps"] > 5:
            release.wait(10)  # the test looks at the running job first
    return loaded["title"].encode(), "title.txt", "text/plain"


def _broken(loaded, progress):  # type: ignore[no-untyped-def]
    progress(0.5, "halfway")
    raise InvalidState("the data cannot be drawn")


jobs.register("test-title", _load, _make)
jobs.register("test-broken", _load, _broken)


def submit(staff: Staff, kind: str, steps: int = 3) -> str:
    job = jobs.create_job(
        db.session, staff.analyst, staff.a, kind, {"consultation": staff.a.id, "steps": steps}
    )
    public_id = job.public_id
    db.session.commit()
    return public_id


def wait_for(public_id: str, state: JobState, seconds: float = 15) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.scalar(select(Job).where(Job.public_id == public_id))
        reached = job.state == state
        db.session.expunge(job)  # read after the commit without a new transaction
        db.session.commit()
        if reached:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {public_id} never reached {state}")


def test_job_runs_in_the_background_and_its_file_downloads(app: Flask, staff: Staff) -> None:
    app.config["JOBS_INLINE"] = False  # a worker thread, as in production
    release.clear()
    public_id = submit(staff, "test-title", steps=8)
    runner.start(app, public_id)
    running = wait_for(public_id, JobState.RUNNING)
    assert running.started_at is not None
    client = app.test_client()
    sign_in_as(client, staff.analyst)
    url = f"/manage/consultations/{staff.a.slug}/jobs/{public_id}"
    page = fetch(app, client, "GET", url + "?lang=en").get_data(as_text=True)
    assert "Working on it" in page
    assert '<meta http-equiv="refresh" content="2">' in page  # updates itself, no JavaScript
    assert '<progress id="job-progress" max="100"' in page
    assert fetch(app, client, "GET", url + "/download").status_code == 404  # not ready yet
    release.set()
    done = wait_for(public_id, JobState.DONE)
    assert done.progress == 1.0
    page = fetch(app, client, "GET", url + "?lang=en").get_data(as_text=True)
    assert "Ready" in page
    assert "http-equiv" not in page
    download = fetch(app, client, "GET", url + "/download")
    assert download.status_code == 200
    assert download.get_data() == staff.a.title["en"].encode()
    assert download.headers["Content-Disposition"] == 'attachment; filename="title.txt"'


def test_a_failing_job_says_why(app: Flask, staff: Staff) -> None:
    app.config["JOBS_INLINE"] = True
    public_id = submit(staff, "test-broken")
    runner.start(app, public_id)
    job = wait_for(public_id, JobState.FAILED, seconds=1)
    assert job.error == "the data cannot be drawn"
    client = app.test_client()
    sign_in_as(client, staff.analyst)
    url = f"/manage/consultations/{staff.a.slug}/jobs/{public_id}?lang=en"
    page = fetch(app, client, "GET", url).get_data(as_text=True)
    assert "It did not work" in page
    assert "the data cannot be drawn" in page


def test_jobs_are_seen_by_their_creator_and_admins_only(app: Flask, staff: Staff) -> None:
    app.config["JOBS_INLINE"] = True
    public_id = submit(staff, "test-title")
    runner.start(app, public_id)
    url = f"/manage/consultations/{staff.a.slug}/jobs/{public_id}"
    expected = {
        staff.analyst: 200,
        staff.admin: 200,
        staff.facilitator: 404,  # may analyse A, but did not start this job
        staff.other_facilitator: 403,
        staff.outside_analyst: 403,
    }
    for user, status in expected.items():
        client = app.test_client()
        sign_in_as(client, user)
        assert fetch(app, client, "GET", url).status_code == status, user.email
    # the job of A through B's address is not found
    client = app.test_client()
    sign_in_as(client, staff.admin)
    other = f"/manage/consultations/{staff.b.slug}/jobs/{public_id}"
    assert fetch(app, client, "GET", other).status_code == 404


def test_a_job_without_news_is_shown_as_failed(app: Flask, staff: Staff) -> None:
    public_id = submit(staff, "test-title")
    job = jobs.claim(db.session, public_id, utcnow() - timedelta(minutes=10))
    assert job is not None
    assert jobs.claim(db.session, public_id, utcnow()) is None  # taken once only
    shown = jobs.view(job, utcnow())
    assert (shown.state, shown.finished) == ("failed", True)
    assert "stopped" in (shown.error or "")
    assert jobs.view(job, job.started_at + timedelta(minutes=1)).state == "running"


def test_unknown_kind_is_refused(app: Flask, staff: Staff) -> None:
    with pytest.raises(InvalidState, match="unknown job kind"):
        jobs.create_job(db.session, staff.analyst, staff.a, "nothing", {})


reading = threading.Event()
finish_reading = threading.Event()


def _slow_reader(session, parameters, progress):  # type: ignore[no-untyped-def]
    title = session.get(Consultation, parameters["consultation"]).title["en"]
    reading.set()
    finish_reading.wait(10)  # "computing" while the read transaction is still open
    return title


def _title_file(loaded, progress):  # type: ignore[no-untyped-def]
    return loaded.encode(), "title.txt", "text/plain"


jobs.register("test-reader", _slow_reader, _title_file, read_only=True)


def test_a_read_only_job_leaves_the_database_writable(app: Flask, staff: Staff) -> None:
    """While a read-only job computes, others can write at once (SQLite: no write lock)."""
    app.config["JOBS_INLINE"] = False
    reading.clear()
    finish_reading.clear()
    public_id = submit(staff, "test-reader")
    runner.start(app, public_id)
    assert reading.wait(10)
    started = time.monotonic()
    db.session.get(Consultation, staff.b.id).min_group_size = 6  # a write meanwhile
    db.session.commit()
    assert time.monotonic() - started < 2  # not waiting for the job's transaction
    finish_reading.set()
    assert wait_for(public_id, JobState.DONE).result == staff.a.title["en"].encode()
