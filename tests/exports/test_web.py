"""Export downloads in the analyst workspace: who may download, what the files are, the audit."""

from __future__ import annotations

import io

import pandas as pd
import pyreadstat
import pytest
from sqlalchemy import select

from consult.analyst import exports as export_views
from consult.extensions import db
from consult.models import AuditEvent
from tests.facilitator.conftest import (  # noqa: F401  (fixtures)
    FS_TUPLE_CHOICES,
    app,
    fetch,
    sign_in_as,
    staff,
)

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

BASE = "/manage/consultations/migration-action-plan/exports"


@pytest.fixture
def demo_responses() -> int:
    return 30


def get(app, user, url):  # noqa: F811
    client = app.test_client()
    sign_in_as(client, user)
    return fetch(app, client, "GET", url)


def test_the_page_lists_every_download(app, staff) -> None:  # noqa: F811
    response = get(app, staff.analyst, BASE + "?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for shape in ("wide", "long"):
        for fmt in ("csv", "xlsx", "sav"):
            assert f'href="{BASE}/{shape}.{fmt}?round=1&amp;labels=tr"' in html
    assert f'href="{BASE}/codebook.xlsx?round=1&amp;labels=tr"' in html
    for code in ("challenge_severity", "action_priority", "top5_actions"):
        assert f'href="{BASE}/results/{code}.csv?round=1&amp;labels=tr"' in html
    assert "comments.csv" not in html  # not a priority question
    assert "Round 1 — submitted responses: 30" in html
    assert "E-mail addresses are never exported" not in html  # not a named consultation
    arabic = get(app, staff.analyst, BASE + "?lang=en&round=1&labels=ar").get_data(as_text=True)
    assert "labels=ar" in arabic


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("wide.csv", "text/csv; charset=utf-8"),
        ("long.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("wide.sav", "application/x-spss-sav"),
        ("codebook.csv", "text/csv; charset=utf-8"),
        (
            "results/top5_actions.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_downloads_are_attachments_and_audited(app, staff, path, mimetype) -> None:  # noqa: F811
    response = get(app, staff.analyst, f"{BASE}/{path}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == mimetype
    name = path.replace("results/", "").replace(".", "-results." if "results" in path else ".")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=migration-action-plan-round1-")
    assert disposition.endswith(name)
    assert response.headers["Cache-Control"] == "no-store"
    if path == "wide.csv":
        assert response.data.startswith(b"\xef\xbb\xbf")
        assert len(pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig")) == 30
    db.session.rollback()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.startswith("export."))
    ).all()
    assert [(e.actor_id, e.consultation_id) for e in events] == [(staff.analyst.id, staff.a.id)]


@pytest.mark.parametrize("path", ["", "/wide.csv", "/long.sav", "/results/top5_actions.csv"])
def test_only_members_and_admins_may_export(app, staff, path) -> None:  # noqa: F811
    url = BASE + path
    assert get(app, staff.outside_analyst, url).status_code == 403
    assert get(app, staff.other_facilitator, url).status_code == 403
    anonymous = get(app, None, url)
    assert anonymous.status_code == 302
    assert anonymous.location.startswith("/account/login")
    assert get(app, staff.facilitator, url).status_code == 200
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("export.")))
    assert {e.actor_id for e in events} <= {staff.facilitator.id}


def test_bad_requests(app, staff, monkeypatch) -> None:  # noqa: F811
    assert get(app, staff.analyst, f"{BASE}/wide.pdf").status_code == 404
    assert get(app, staff.analyst, f"{BASE}/tall.csv").status_code == 404
    assert get(app, staff.analyst, f"{BASE}/results/top5_actions.sav").status_code == 404
    assert get(app, staff.analyst, f"{BASE}/results/nope.csv").status_code == 404
    assert get(app, staff.analyst, f"{BASE}/wide.csv?round=7").status_code == 404
    assert get(app, staff.analyst, "/manage/consultations/nope/exports").status_code == 404
    refused = get(app, staff.analyst, f"{BASE}/results/top5_actions.csv?method=coin")
    assert refused.status_code == 409
    assert "unknown method" in refused.get_data(as_text=True)
    monkeypatch.setattr(export_views, "BROWSER_XLSX_CELLS", 100)
    too_large = get(app, staff.analyst, f"{BASE}/long.xlsx")
    assert too_large.status_code == 409
    assert "use the command line" in too_large.get_data(as_text=True)
    assert get(app, staff.analyst, f"{BASE}/long.csv").status_code == 200  # CSV has no limit
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("export.")))
    assert [e.details["format"] for e in events] == ["csv"]  # refused exports are not recorded


def test_labels_follow_the_chosen_language(app, staff, tmp_path) -> None:  # noqa: F811
    response = get(app, staff.analyst, f"{BASE}/wide.sav?labels=ar&lang=en")
    assert response.status_code == 200
    path = tmp_path / "wide.sav"
    path.write_bytes(response.data)
    _data, meta = pyreadstat.read_sav(str(path))
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    question = next(q for q in staff.a.rounds[0].questions if q.code == "top5_actions")
    assert labels["top5_actions_district_data"].startswith(question.text["ar"])
    assert labels["response_id"] == "رقم الإجابة"
    refused = get(app, staff.analyst, f"{BASE}/wide.sav?labels=fr&lang=en")
    assert refused.status_code == 409
    assert "is not offered in &#39;fr&#39;" in refused.get_data(as_text=True)


def test_a_large_xlsx_is_prepared_in_the_background(app, staff, monkeypatch) -> None:  # noqa: F811
    """Too large for the request: the page offers a background job, whose file is the same."""
    import openpyxl

    from consult.models import Job, JobState

    app.config["JOBS_INLINE"] = True  # the job runs at once (its thread is tested in tests/jobs)
    monkeypatch.setattr(export_views, "BROWSER_XLSX_CELLS", 100)
    refused = get(app, staff.analyst, f"{BASE}/wide.xlsx?labels=tr&lang=en")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    action = f"{BASE}/wide.xlsx/background?labels=tr"
    assert f'action="{action}"' in html.replace("&amp;", "&")
    client = app.test_client()
    sign_in_as(client, staff.analyst)
    started = fetch(app, client, "POST", action)
    assert started.status_code == 302
    job = db.session.scalar(select(Job))
    assert (job.state, job.created_by, job.kind) == (
        JobState.DONE,
        staff.analyst.id,
        "export-responses",
    )
    assert started.location.endswith(f"/jobs/{job.public_id}")
    page = fetch(app, client, "GET", started.location + "?lang=en").get_data(as_text=True)
    assert "Ready" in page
    download = fetch(app, client, "GET", started.location + "/download")
    assert download.headers["Content-Disposition"].endswith('-round1-wide.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(download.get_data()), read_only=True)["data"]
    assert len(list(sheet.iter_rows())) == 31  # a header and the 30 demo responses
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.responses"))
    assert [e.details.get("background") for e in events] == [True]


def test_a_large_csv_is_prepared_in_the_background_too(app, staff, monkeypatch) -> None:  # noqa: F811
    from consult.models import Job, JobState

    app.config["JOBS_INLINE"] = True
    monkeypatch.setattr(export_views, "BROWSER_CELLS", 100)
    refused = get(app, staff.analyst, f"{BASE}/long.csv?lang=en")
    assert refused.status_code == 409
    assert f'action="{BASE}/long.csv/background"' in refused.get_data(as_text=True)
    client = app.test_client()
    sign_in_as(client, staff.analyst)
    started = fetch(app, client, "POST", f"{BASE}/long.csv/background")
    job = db.session.scalar(select(Job))
    assert job.state == JobState.DONE
    download = fetch(app, client, "GET", started.location + "/download")
    frame = pd.read_csv(io.BytesIO(download.get_data()), encoding="utf-8-sig")
    assert frame["response_id"].nunique() == 30
