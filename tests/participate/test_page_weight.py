"""Page weight: every participant page with its CSS and JavaScript is at most 60 KB gzipped."""

from __future__ import annotations

import gzip
import re

import pytest

from consult.models import ConsultationState
from tests.participate.helpers import (
    fill,
    location,
    start_open_link,
    token_of,
)

pytestmark = pytest.mark.db

LIMIT = 60 * 1024


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def weight(client, path: str, method: str = "get", data: dict | None = None) -> int:
    """The gzipped size of a page plus every stylesheet and script it links."""
    response = getattr(client, method)(path, data=data)
    assert response.status_code < 500
    html = response.get_data(as_text=True)
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assets += re.findall(r'<script src="([^"]+)"', html)
    assert assets, path
    total = gzipped(response.data)
    for asset in assets:
        static = client.get(asset)
        assert static.status_code == 200, asset
        total += gzipped(static.data)
        static.close()
    return total


def survey_pages(client, slug: str, language: str) -> dict[str, int]:
    sizes = {f"landing {slug}": weight(client, f"/c/{slug}?lang={language}")}
    url = start_open_link(client, slug, language)
    token = token_of(url)
    sizes["errors"] = weight(client, url, "post", {"action": "continue"})
    while "/page/" in url:
        sizes[url.rsplit("/", 1)[1]] = weight(client, url)
        html = client.get(url).text
        url = location(client.post(url, data={**fill(html), "action": "continue"}))
    sizes["review"] = weight(client, url)
    client.post(url)
    sizes["done"] = weight(client, f"/r/{token}/done")
    sizes["withdraw"] = weight(client, f"/c/{slug}/withdraw")
    sizes["withdrawn"] = weight(client, f"/c/{slug}/withdrawn")
    return sizes


@pytest.mark.parametrize("language", ["en", "ar"])
def test_demo_pages_weigh_at_most_60_kb(client, demo, consultation, session, language) -> None:
    sizes = survey_pages(client, demo, language)
    row = consultation(demo)
    row.state = ConsultationState.CLOSED
    session.commit()
    sizes["closed"] = weight(client, f"/c/{demo}?lang={language}")

    print(f"\npage weights, demo, {language} (bytes gzipped):", sizes)
    assert {name: size for name, size in sizes.items() if size > LIMIT} == {}


def test_question_types_pages_weigh_at_most_60_kb(client, question_types) -> None:
    sizes = survey_pages(client, question_types, "ar")
    print("\npage weights, question types, ar (bytes gzipped):", sizes)
    assert {name: size for name, size in sizes.items() if size > LIMIT} == {}
