"""Test helpers for the participant pages: read a page's form, fill it in, walk the survey."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


@dataclass
class Control:
    """A form control as the page renders it."""

    tag: str
    type: str
    name: str
    value: str
    id: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)  # <select>: the option values
    selected: str = ""  # <select>: the selected value
    classes: str = ""
    budget: int | None = None  # points inputs: the budget of their question


class FormParser(HTMLParser):
    """Collects the controls of a page (inputs, selects, textareas) and every id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[Control] = []
        self.ids: set[str] = set()
        self._select: Control | None = None
        self._textarea: Control | None = None
        self._budget: list[int | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "div":
            self._budget.append(int(a["data-budget"]) if "data-budget" in a else None)
        budget = next((b for b in reversed(self._budget) if b is not None), None)
        if tag == "input":
            self.controls.append(
                Control(
                    "input",
                    a.get("type", "text"),
                    a.get("name", ""),
                    a.get("value", ""),
                    a.get("id", ""),
                    "checked" in a,
                    classes=a.get("class", ""),
                    budget=budget,
                )
            )
        elif tag == "select":
            self._select = Control("select", "select", a.get("name", ""), "", a.get("id", ""))
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.selected = a.get("value", "")
        elif tag == "textarea":
            self._textarea = Control("textarea", "textarea", a.get("name", ""), "", a.get("id", ""))
            self.controls.append(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "div" and self._budget:
            self._budget.pop()

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data


def parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return match.group(1) if match else ""


def answer_fields(html: str) -> list[Control]:
    """The answer controls (``q-...``) of a page."""
    return [c for c in parse(html).controls if c.name.startswith("q-")]


def current_values(html: str) -> dict[str, list[str]]:
    """What the page shows in each answer field (checked radios, selected options, text)."""
    out: dict[str, list[str]] = {}
    for c in answer_fields(html):
        if c.type in ("radio", "checkbox"):
            if c.checked:
                out.setdefault(c.name, []).append(c.value)
        elif c.tag == "select":
            if c.selected:
                out.setdefault(c.name, []).append(c.selected)
        elif c.value:
            out.setdefault(c.name, []).append(c.value)
    return out


def fill(html: str) -> dict[str, Any]:
    """Valid answers for every question on a page (first choices, ranks 1..k, full budget)."""
    data: dict[str, Any] = {}
    controls = answer_fields(html)
    groups: dict[str, list[Control]] = {}
    for c in controls:
        groups.setdefault(c.name, []).append(c)
    rank_groups: dict[str, list[Control]] = {}
    budgets: set[str] = set()
    for name, members in groups.items():
        first = members[0]
        if first.type == "radio":
            # best-worst: "most" is the first item of the set, "least" the last
            pick = members[-1] if name.endswith("-worst") else members[0]
            data[name] = pick.value
        elif first.type == "checkbox":
            data[name] = [first.value]
        elif first.tag == "select":
            rank_groups.setdefault(name.rsplit("-", 1)[0], []).append(first)
        elif "input--points" in first.classes:
            base = name.rsplit("-", 1)[0]
            data[name] = str(first.budget) if base not in budgets else "0"
            budgets.add(base)
        elif "input--number" in first.classes:
            data[name] = "42"
        else:
            data[name] = "Answer to " + name
    for selects in rank_groups.values():
        k = len([o for o in selects[0].options if o])
        for rank, select in enumerate(selects, start=1):
            data[select.name] = str(rank) if rank <= k else ""
    return data


def location(response: TestResponse) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    return response.headers["Location"]


def walk_to_review(client: FlaskClient, first_page: str, *, extra: dict | None = None) -> str:
    """Fill in every page from ``first_page`` on with valid answers; the review page's URL."""
    url = first_page
    for _ in range(30):
        if "/page/" not in url:
            return url
        html = client.get(url).get_data(as_text=True)
        data = {**fill(html), "action": "continue", "csrf_token": csrf_token(html)}
        if extra:
            data.update(
                {k: v for k, v in extra.items() if any(k == c.name for c in answer_fields(html))}
            )
        url = location(client.post(url, data=data))
    raise AssertionError("the survey did not end")


def start_open_link(client: FlaskClient, slug: str, language: str = "en") -> str:
    """Agree on the landing page; the first page's URL (``/r/<token>/page/1``)."""
    html = client.get(f"/c/{slug}?lang={language}").get_data(as_text=True)
    response = client.post(f"/c/{slug}", data={"consent": "y", "csrf_token": csrf_token(html)})
    return location(response)


def token_of(url: str) -> str:
    return url.split("/")[2]


def error_links(html: str) -> list[str]:
    """The hrefs of the error summary's links."""
    match = re.search(r'<div class="error-summary".*?</div>', html, flags=re.S)
    return re.findall(r'href="([^"]+)"', match.group(0)) if match else []


def receipt_of(html: str) -> str:
    """The receipt code on the thank-you page."""
    match = re.search(r'<strong class="receipt" dir="ltr">([^<]+)</strong>', html)
    assert match is not None, html[:300]
    return match.group(1)
