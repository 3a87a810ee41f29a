"""Without ?lang, a remembered choice or an Accept-Language match, participant pages speak the
consultation's default language (then the site default)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.db


def _lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


@pytest.fixture
def arabic_default(demo, consultation, session) -> str:
    c = consultation(demo)
    c.default_language = "ar"
    session.commit()
    return demo


def test_open_link_falls_back_to_the_consultations_default(client, arabic_default):
    page = client.get(f"/c/{arabic_default}", headers={"Accept-Language": "de, fr;q=0.8"})
    assert page.status_code == 200
    assert _lang(page.get_data(as_text=True)) == "ar"
    assert 'dir="rtl"' in page.get_data(as_text=True)


def test_accept_language_still_wins_over_the_consultation_default(client, arabic_default):
    page = client.get(f"/c/{arabic_default}", headers={"Accept-Language": "en"})
    assert _lang(page.get_data(as_text=True)) == "en"


def test_invitation_link_falls_back_to_the_consultations_default(client, arabic_default, invite):
    token = invite(arabic_default)
    page = client.get(f"/i/{token}/", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert _lang(page.get_data(as_text=True)) == "ar"


def test_unknown_slug_or_token_keeps_the_site_default(client, demo):
    assert _lang(client.get("/c/nope", headers={"Accept-Language": "de"}).get_data(True)) == "tr"
    page = client.get("/r/not-a-token/", headers={"Accept-Language": "de"})
    assert _lang(page.get_data(as_text=True)) == "tr"
