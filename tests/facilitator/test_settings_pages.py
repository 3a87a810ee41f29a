"""Consultation pages: create, settings (with version checks), copy, members."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import (
    AnonymityMode,
    AuditEvent,
    Consultation,
    ConsultationState,
    Membership,
    MembershipRole,
)
from consult.services import lifecycle
from tests.facilitator.conftest import FS_TUPLE_CHOICES, Staff, fetch, sign_in_as

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

A = "/manage/consultations/migration-action-plan"
NEW = "/manage/consultations/new"


def client_for(app: Flask, user) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in_as(client, user)
    return client


def fresh(slug: str) -> Consultation | None:
    db.session.expire_all()
    return db.session.scalar(select(Consultation).where(Consultation.slug == slug))


@pytest.fixture
def before_test(staff: Staff) -> int:
    """The last audit event id before the test acts (the fixtures create accounts)."""
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def audit_actions(after: int, **where: Any) -> list[tuple[str, int | None]]:
    """(action, actor id) of the audit events after id ``after``, oldest first."""
    query = (
        select(AuditEvent.action, AuditEvent.actor_id)
        .where(AuditEvent.id > after)
        .order_by(AuditEvent.id)
    )
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return [tuple(row) for row in db.session.execute(query).all()]  # type: ignore[misc]


def checked(html: str, name: str, value: str) -> bool:
    """Whether the checkbox or radio button ``name`` = ``value`` is checked."""
    for tag in re.findall(r"<input [^>]*>", html):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return " checked " in tag or tag.startswith("<input checked")
    raise AssertionError(f"no input {name}={value}")


def new_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "district-needs-2026",
        "languages": ["tr", "en"],
        "default_language": "tr",
        "title_tr": "İlçe ihtiyaçları",
        "title_en": "District needs",
        "title_ar": "احتياجات الأحياء",  # Arabic is not chosen: not saved
        "organiser_tr": "Belediye",
        "anonymity": "anonymous",
        "open_link": "y",
        "opens_at": "2030-01-10T09:00",
        "closes_at": "2030-02-10T18:30",
        "min_group_size": "7",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def settings_form(c: Consultation, **overrides: Any) -> dict[str, Any]:
    """The settings form as the page would send it unchanged, with ``overrides``."""
    data: dict[str, Any] = {
        "version": str(c.version),
        "languages": list(c.languages),
        "default_language": c.default_language,
        "anonymity": AnonymityMode(c.anonymity).value,
        "min_group_size": str(c.min_group_size),
    }
    if c.open_link:
        data["open_link"] = "y"
    for name in ("title", "description", "organiser", "privacy_notice"):
        for lang, text in (getattr(c, name) or {}).items():
            data[f"{name}_{lang}"] = text
    data.update(overrides)
    return data


# --- create --------------------------------------------------------------------------------------


def test_facilitator_creates_a_consultation_and_becomes_its_facilitator(
    app: Flask, staff: Staff, before_test: int
) -> None:
    client = client_for(app, staff.facilitator)
    index = fetch(app, client, "GET", "/manage/?lang=en").get_data(as_text=True)
    assert f'href="{NEW}"' in index
    assert 'href="/manage/accounts"' not in index
    form_page = fetch(app, client, "GET", f"{NEW}?lang=en").get_data(as_text=True)
    assert 'name="csrf_token"' in form_page
    assert checked(form_page, "anonymity", "confidential")  # the default mode

    response = fetch(app, client, "POST", f"{NEW}?lang=en", data=new_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location == "/manage/consultations/district-needs-2026"

    c = fresh("district-needs-2026")
    assert c is not None
    assert c.state == ConsultationState.DRAFT
    assert c.languages == ["tr", "en"]
    assert c.title == {"tr": "İlçe ihtiyaçları", "en": "District needs"}
    assert c.organiser == {"tr": "Belediye"}
    assert c.anonymity == AnonymityMode.ANONYMOUS
    assert c.open_link is True
    assert c.min_group_size == 7
    # typed in Europe/Istanbul (UTC+3), stored in UTC
    assert c.opens_at == datetime(2030, 1, 10, 6, 0, tzinfo=UTC)
    assert c.closes_at == datetime(2030, 2, 10, 15, 30, tzinfo=UTC)
    members = [(m.user_id, m.role) for m in c.memberships]
    assert members == [(staff.facilitator.id, MembershipRole.FACILITATOR)]
    assert audit_actions(before_test, consultation_id=c.id) == [
        ("consultation.create", staff.facilitator.id)
    ]

    index = fetch(app, client, "GET", "/manage/?lang=en").get_data(as_text=True)
    assert 'href="/manage/consultations/district-needs-2026"' in index
    page = fetch(app, client, "GET", "/manage/consultations/district-needs-2026?lang=en")
    html = page.get_data(as_text=True)
    assert 'href="/manage/consultations/district-needs-2026/settings"' in html
    assert 'href="/manage/consultations/district-needs-2026/members"' in html
    assert 'href="/manage/consultations/district-needs-2026/copy"' in html


def test_links_follow_the_rights(app: Flask, staff: Staff) -> None:
    admin_index = fetch(app, client_for(app, staff.admin), "GET", "/manage/?lang=en")
    assert 'href="/manage/accounts"' in admin_index.get_data(as_text=True)
    assert f'href="{NEW}"' in admin_index.get_data(as_text=True)
    analyst = client_for(app, staff.analyst)
    index = fetch(app, analyst, "GET", "/manage/?lang=en").get_data(as_text=True)
    assert f'href="{NEW}"' not in index
    assert 'href="/manage/accounts"' not in index
    page = fetch(app, analyst, "GET", f"{A}?lang=en").get_data(as_text=True)
    assert f'href="{A}/members"' in page
    assert f'href="{A}/settings"' not in page
    assert f'href="{A}/copy"' not in page
    assert fetch(app, analyst, "POST", NEW, data=new_form()).status_code == 403
    assert fresh("district-needs-2026") is None


def test_create_errors_keep_what_was_typed(app: Flask, staff: Staff, before_test: int) -> None:
    client = client_for(app, staff.facilitator)
    data = new_form(
        slug="Bad Slug!",
        languages=["tr"],
        default_language="ar",
        title_en="Typed <title>",
        closes_at="2030-01-01T08:00",
        min_group_size="0",
    )
    response = fetch(app, client, "POST", f"{NEW}?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<div class="error-summary" role="alert">' in html
    summary = html.split('<div class="error-summary"')[1].split("</div>")[0]
    assert '<a href="#slug">Address name</a>' in summary
    assert '<a href="#closes_at">Closes at</a>' in summary
    # values as typed (escaped)
    assert 'value="Bad Slug!"' in html
    assert 'value="Typed &lt;title&gt;"' in html
    assert 'value="2030-01-01T08:00"' in html
    assert 'value="0"' in html
    # each error next to its field, announced with aria-describedby
    assert 'id="slug-error"' in html
    assert 'aria-describedby="slug-hint slug-error"' in html
    assert "Use 1 to 80 lowercase letters (a-z), digits and hyphens" in html
    assert 'id="default_language-error"' in html
    assert "The default language must be one of the languages you chose." in html
    assert "The closing time must be after the opening time." in html
    assert "Enter a whole number of at least 1." in html
    assert fresh("Bad Slug!") is None
    assert audit_actions(before_test) == []


def test_a_taken_slug_is_refused_in_the_interface_language(app: Flask, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    data = new_form(slug="question-types")
    response = fetch(app, client, "POST", f"{NEW}?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This address name is already taken." in html
    assert 'value="question-types"' in html
    turkish = fetch(app, client, "POST", f"{NEW}?lang=tr", data=data).get_data(as_text=True)
    assert "Bu adres adı zaten kullanılıyor." in turkish
    assert "already taken" not in turkish


# --- settings ------------------------------------------------------------------------------------


def test_settings_are_saved_and_recorded(app: Flask, staff: Staff) -> None:
    c = fresh("migration-action-plan")
    assert c is not None
    version = c.version
    client = client_for(app, staff.facilitator)
    page = fetch(app, client, "GET", f"{A}/settings?lang=en").get_data(as_text=True)
    (version_input,) = [t for t in re.findall(r"<input [^>]*>", page) if 'name="version"' in t]
    assert 'type="hidden"' in version_input
    assert f'value="{version}"' in version_input
    assert checked(page, "languages", "tr")

    data = settings_form(c, title_en="A better title", min_group_size="8")
    response = fetch(app, client, "POST", f"{A}/settings?lang=en", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    c = fresh("migration-action-plan")
    assert c is not None
    assert c.title["en"] == "A better title"
    assert c.min_group_size == 8
    assert c.version == version + 1
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.update")
    ).one()
    assert event.actor_id == staff.facilitator.id
    assert event.details["fields"] == ["min_group_size", "title"]


def test_a_stale_version_gives_the_conflict_page_and_changes_nothing(
    app: Flask, staff: Staff, before_test: int
) -> None:
    c = fresh("migration-action-plan")
    assert c is not None
    page_data = settings_form(c, title_en="Mine")  # built from the current version
    # someone else saves first
    lifecycle.update_consultation(
        db.session,
        staff.admin,
        c,
        c.version,
        allowed_languages=["tr", "en", "ar"],
        title={**c.title, "en": "Theirs"},
    )
    db.session.commit()
    before = fresh("migration-action-plan")
    assert before is not None
    snapshot = (dict(before.title), before.version, before.min_group_size)

    response = fetch(
        app, client_for(app, staff.facilitator), "POST", f"{A}/settings?lang=en", data=page_data
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "<h1>Someone else changed this consultation</h1>" in html
    after = fresh("migration-action-plan")
    assert after is not None
    assert (dict(after.title), after.version, after.min_group_size) == snapshot
    assert after.title["en"] == "Theirs"
    assert [a for a, _ in audit_actions(before_test)] == ["consultation.update"]


def test_open_consultation_refuses_language_and_anonymity_changes(
    app: Flask, staff: Staff, before_test: int
) -> None:
    c = fresh("migration-action-plan")
    assert c is not None
    assert c.state == ConsultationState.OPEN
    snapshot = (list(c.languages), c.anonymity, c.version)
    client = client_for(app, staff.facilitator)

    data = settings_form(c, languages=["tr", "en"])
    response = fetch(app, client, "POST", f"{A}/settings?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="languages-error"' in html
    assert "The languages cannot change while the consultation is open: close it first." in html
    assert not checked(html, "languages", "ar")  # as typed

    other = "named" if c.anonymity != AnonymityMode.NAMED else "anonymous"
    data = settings_form(c, anonymity=other)
    response = fetch(app, client, "POST", f"{A}/settings?lang=tr", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="anonymity-error"' in html
    assert "İstişare açıldıktan sonra anonimlik biçimi değiştirilemez." in html

    # an open consultation keeps every text in every language
    data = settings_form(c, organiser_ar="")
    response = fetch(app, client, "POST", f"{A}/settings?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "must keep every text in every language" in html
    assert "Organiser in العربية" in html

    c = fresh("migration-action-plan")
    assert c is not None
    assert (list(c.languages), c.anonymity, c.version) == snapshot
    assert audit_actions(before_test) == []


def test_an_archived_consultation_cannot_change(app: Flask, staff: Staff, before_test: int) -> None:
    c = fresh("migration-action-plan")
    assert c is not None
    lifecycle.close_consultation(db.session, staff.admin, c)
    lifecycle.archive_consultation(db.session, staff.admin, c)
    db.session.commit()
    c = fresh("migration-action-plan")
    assert c is not None
    version = c.version
    data = settings_form(c, title_en="Too late")
    client = client_for(app, staff.facilitator)
    response = fetch(app, client, "POST", f"{A}/settings?lang=ar", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "لا يمكن تغيير استشارة مؤرشفة." in html
    assert 'value="Too late"' in html
    c = fresh("migration-action-plan")
    assert c is not None
    assert c.version == version
    assert c.title["en"] != "Too late"
    assert [a for a, _ in audit_actions(before_test)] == [
        "consultation.close",
        "consultation.archive",
    ]


def test_settings_need_edit_rights(app: Flask, staff: Staff) -> None:
    c = fresh("migration-action-plan")
    assert c is not None
    data = settings_form(c, title_en="Not mine")
    for user in (staff.analyst, staff.other_facilitator):
        client = client_for(app, user)
        assert fetch(app, client, "POST", f"{A}/settings", data=data).status_code == 403
    c = fresh("migration-action-plan")
    assert c is not None
    assert c.title["en"] != "Not mine"


# --- copy ----------------------------------------------------------------------------------------


def question_codes(c: Consultation) -> list[tuple[int, str, str, list[str]]]:
    return [
        (r.number, q.code, q.type, [o.code for o in q.options])
        for r in sorted(c.rounds, key=lambda r: r.number)
        for q in r.questions
    ]


def test_copy_makes_a_draft_with_the_same_questionnaire(
    app: Flask, staff: Staff, before_test: int
) -> None:
    client = client_for(app, staff.facilitator)
    page = fetch(app, client, "GET", f"{A}/copy?lang=en").get_data(as_text=True)
    source = fresh("migration-action-plan")
    assert source is not None
    assert f'value="{source.title["en"]}"' in page  # titles prefilled
    title = {"tr": "Eylem planı 2027", "en": "Action plan 2027", "ar": "خطة العمل 2027"}
    data = {"slug": "action-plan-2027", **{f"title_{k}": v for k, v in title.items()}}
    response = fetch(app, client, "POST", f"{A}/copy?lang=en", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location == "/manage/consultations/action-plan-2027"

    source = fresh("migration-action-plan")
    copy = fresh("action-plan-2027")
    assert source is not None
    assert copy is not None
    assert copy.state == ConsultationState.DRAFT
    assert copy.title == title
    assert question_codes(copy) == question_codes(source)
    assert len(question_codes(copy)) > 0
    assert [i.code for i in copy.items] == [i.code for i in source.items]
    assert [(m.user_id, m.role) for m in copy.memberships] == [
        (staff.facilitator.id, MembershipRole.FACILITATOR)
    ]
    assert audit_actions(before_test, consultation_id=copy.id) == [
        ("consultation.copy", staff.facilitator.id)
    ]


def test_copy_errors_keep_what_was_typed(app: Flask, staff: Staff) -> None:
    client = client_for(app, staff.facilitator)
    data = {"slug": "question-types", "title_tr": "Yeni başlık", "title_en": "", "title_ar": ""}
    response = fetch(app, client, "POST", f"{A}/copy?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This address name is already taken." in html
    assert 'value="Yeni başlık"' in html
    data = {"slug": "fresh-copy", "title_tr": ""}
    response = fetch(app, client, "POST", f"{A}/copy?lang=en", data=data)
    assert response.status_code == 422
    assert "Enter a title in the default language." in response.get_data(as_text=True)
    assert fresh("fresh-copy") is None
    source = fresh("migration-action-plan")
    assert source is not None
    with pytest.raises(lifecycle.InvalidSettings, match="languages the consultation does not use"):
        lifecycle.copy_consultation(
            db.session, staff.facilitator, source, "fresh-copy", title={"fr": "Copie"}
        )
    db.session.rollback()
    # an analyst member may not copy
    analyst = client_for(app, staff.analyst)
    data = {"slug": "fresh-copy", "title_tr": "Başlık"}
    assert fetch(app, analyst, "POST", f"{A}/copy", data=data).status_code == 403


# --- members -------------------------------------------------------------------------------------


def test_members_are_added_and_removed(app: Flask, staff: Staff, before_test: int) -> None:
    newcomer = staff.outside_analyst
    newcomer_client = client_for(app, newcomer)
    assert fetch(app, newcomer_client, "GET", A).status_code == 403

    fac = client_for(app, staff.facilitator)
    page = fetch(app, fac, "GET", f"{A}/members?lang=en").get_data(as_text=True)
    assert "fac-a@example.org" in page
    assert "analyst-a@example.org" in page
    assert "Add a member" in page

    data = {"email": "  Analyst@Example.org ", "role": "analyst"}
    response = fetch(app, fac, "POST", f"{A}/members?lang=en", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert fetch(app, newcomer_client, "GET", A).status_code == 200
    index = fetch(app, newcomer_client, "GET", "/manage/?lang=en").get_data(as_text=True)
    assert f'href="{A}"' in index
    page = fetch(app, fac, "GET", f"{A}/members?lang=en").get_data(as_text=True)
    assert "analyst@example.org" in page

    response = fetch(
        app, fac, "POST", f"{A}/members/remove?lang=en", data={"user_id": str(newcomer.id)}
    )
    assert response.status_code == 302
    assert response.location == f"{A}/members"
    assert fetch(app, newcomer_client, "GET", A).status_code == 403
    c = fresh("migration-action-plan")
    assert c is not None
    assert audit_actions(before_test, consultation_id=c.id) == [
        ("membership.add", staff.facilitator.id),
        ("membership.remove", staff.facilitator.id),
    ]


def test_member_errors_are_explained(app: Flask, staff: Staff, before_test: int) -> None:
    fac = client_for(app, staff.facilitator)
    data = {"email": "nobody@example.org", "role": "facilitator"}
    response = fetch(app, fac, "POST", f"{A}/members?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is no staff account with this e-mail address." in html
    assert 'value="nobody@example.org"' in html
    assert 'aria-describedby="email-hint email-error"' in html

    data = {"email": "analyst-a@example.org", "role": "facilitator"}
    response = fetch(app, fac, "POST", f"{A}/members?lang=en", data=data)
    assert response.status_code == 422
    assert "analyst-a@example.org is already a member of this consultation." in (
        response.get_data(as_text=True)
    )
    staff.outside_analyst.active = False
    db.session.commit()
    data = {"email": "analyst@example.org", "role": "analyst"}
    response = fetch(app, fac, "POST", f"{A}/members?lang=en", data=data)
    assert response.status_code == 422
    assert "The account analyst@example.org is inactive." in response.get_data(as_text=True)
    data = {"email": "analyst-a@example.org", "role": "owner"}
    assert fetch(app, fac, "POST", f"{A}/members?lang=en", data=data).status_code == 422
    assert audit_actions(before_test) == []


def test_analyst_members_see_the_members_but_cannot_change_them(app: Flask, staff: Staff) -> None:
    analyst = client_for(app, staff.analyst)
    page = fetch(app, analyst, "GET", f"{A}/members?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "fac-a@example.org" in html
    assert "Add a member" not in html
    assert "/members/remove" not in html
    data = {"email": "analyst@example.org", "role": "facilitator"}
    assert fetch(app, analyst, "POST", f"{A}/members", data=data).status_code == 403
    data = {"user_id": str(staff.facilitator.id)}
    assert fetch(app, analyst, "POST", f"{A}/members/remove", data=data).status_code == 403
    assert db.session.scalar(
        select(Membership.id).where(Membership.user_id == staff.facilitator.id)
    )


def test_removing_yourself_leads_back_to_the_list(app: Flask, staff: Staff) -> None:
    fac = client_for(app, staff.facilitator)
    data = {"user_id": str(staff.facilitator.id)}
    response = fetch(app, fac, "POST", f"{A}/members/remove?lang=en", data=data)
    assert response.status_code == 302
    assert response.location == "/manage/"
    assert fetch(app, fac, "GET", A).status_code == 403
