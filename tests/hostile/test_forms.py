"""Hostile form data against every POST route of the staff and participant pages: never a
server error, and a refused request leaves the database exactly as it was.

The routes come from the app's url_map, so a new POST route is attacked without anyone adding
it here. Each route's real form (field names, hidden values, options, file inputs) is the one
its pages show (found by ``world``'s crawl); a route whose form no page shows gets a generic
form, and must be listed in ``NO_FORM_ON_ANY_PAGE`` with the reason. Hypothesis draws, per
field: left out, a valid value, or hostile (wrong type, out of range, huge, NUL, invalid UTF-8,
right-to-left marks, injection-looking, another consultation's ids), plus repeated and unknown
fields and, sometimes, another consultation's ids in the path.

A response counts as refused when its status is 4xx or it re-renders a form with errors (200
with an error summary or message); then every row of every table must be as before. The one
planned exception: a participant's page keeps its valid answers when another answer on it is
invalid or the consultation closed meanwhile (tests/participate/test_flow.py, test_closed.py),
so there the answers and responses tables are not compared.

Participant routes go first: later staff requests may close the consultation or sign out.
"""

from __future__ import annotations

import io
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from consult import create_app
from tests.facilitator.conftest import FS_TUPLE_CHOICES
from tests.hostile.conftest import A, B, Control, World
from tests.nothing_lost.conftest import snapshot

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

EXAMPLES = 4  # per route; the whole file stays well under a minute on SQLite
FEWER = {  # routes whose success is slow (a PDF, an export): fewer examples
    "analyst.report_in_background": 1,
    "analyst.export_in_background": 3,
    "analyst.publish": 3,
    "facilitator.copy": 3,
    "facilitator.import_consultation_page": 4,
}
# POST routes whose form no page of the world shows; they get the generic form
NO_FORM_ON_ANY_PAGE = {
    "analyst.export_in_background": "the exports page starts exports with links",
    "analyst.verify_report": "no report has been published in the world",
    "builder.new_question": "the type is chosen first, on a page reached with a query string",
    "facilitator.confirm_invitations": "shown only after an upload, with its signed rows",
    "facilitator.live_end": "no live session is running in the world",
    "facilitator.live_move": "no live session is running in the world",
    "facilitator.open_round": "no next round has been prepared in the world",
    "facilitator.reactivate_account": "no account is deactivated in the world",
    "facilitator.remind_invitations": "reminders need a mail server, which the world has not",
    "live.phone": "no live session is running in the world",
    "resume.start": "the resume link only redirects; its POST exists for invitations",
    "security.tf_select": "two-factor pages of a sign-in in progress",
    "security.two_factor_rescue": "two-factor pages of a sign-in in progress",
    "security.two_factor_setup_validate": "reached with the token of a setup in progress",
    "security.two_factor_token_validation": "two-factor pages of a sign-in in progress",
}
# a participant's page keeps the valid answers on it, even when it is refused because of
# another answer (200) or because the consultation has closed meanwhile (403): on purpose
KEEPS_VALID_ANSWERS = {"resume.page", "invite.page"}
ERROR_MARKERS = ('class="error-summary"', 'class="error-message"', 'aria-invalid="true"')
GENERIC_FIELDS = [
    "csrf_token", "action", "version", "id", "name", "email", "password", "code", "step",
    "section", "language", "consent", "receipt", "confirm", "token", "question", "q-x",
]  # fmt: skip

NASTY = [
    "", " ", "0", "-1", "1e309", "NaN", "-inf", "2147483648", "9" * 40, "1.5", "٣", "0x1F",
    "true", "null", "[]", "{}", "' OR 1=1 --", '"; DROP TABLE users; --',
    "<script>alert(1)</script>",
    "{{7*7}}", "%s%s%(x)s{0}", "../../etc/passwd", "=HYPERLINK(\"http://x\")", "\x00", "a\x00b",
    "\u202e\u200f\u200e", "\ufeff", "\ufffd", "İıŞ", "ص" * 50, "\r\n\r\n", "\t", "@example.org",
    "a@b", "x" * 300, "migration-action-plan", "question-types", "admin@example.org",
]  # fmt: skip
INVALID_UTF8 = [b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"abc\x80", b"\xe2\x82"]
FILES = [
    b"",
    b"\xef\xbb\xbf",
    b"email,language\nx@example.org,en\n",
    b'email\n=HYPERLINK("http://x")\n',
    b"PK\x03\x04 not really a spreadsheet",
    b'{"format": "consult", "version": 99}',
    b"{",
    b"\x00" * 100,
    b"\xff\xfe\x00e\x00m",
    ("email,group\n" + "someone@example.org,ngo\n" * 3000).encode(),
]
FILENAMES = ["a.csv", "a.json", "a.xlsx", "../../x.csv", "", "ص.csv", "a\x00.csv", "a" * 300]
PATH_SWAPS_NUMBER = ["0", "-1", "1.5", "2147483648", "9" * 30, "%00", "x", "²", "٣"]
PATH_SWAPS_SLUG = [B, "nope", "a" * 100, "%00", "..%2F"]


def post_endpoints() -> list[str]:
    """Every POST endpoint of the pages (the JSON API has its own fuzzing: tests/api)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    return sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/")
        }
    )


PARTICIPANT_BLUEPRINTS = ("invite", "live", "participate", "resume")
ENDPOINTS = sorted(post_endpoints(), key=lambda e: (not e.startswith(PARTICIPANT_BLUEPRINTS), e))


@pytest.fixture(scope="module")
def reader(world: World) -> Iterator[sa.Engine]:
    """A connection of its own for the snapshots."""
    engine = sa.create_engine(world.url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


def huge() -> st.SearchStrategy[str]:
    return st.builds(
        lambda n, c: c * n,
        st.sampled_from([10_000, 200_000, 1_000_000]),
        st.sampled_from(["a", "ص", "\u202e", "\x00", "😀"]),
    )


def hostile_value(other_ids: list[str]) -> st.SearchStrategy[str | bytes]:
    ordinary = st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=30),
        st.integers(-(2**70), 2**70).map(str),
        st.floats().map(str),
        st.sampled_from(other_ids or ["1"]),
        st.sampled_from(INVALID_UTF8),
    )
    return st.integers(0, 15).flatmap(lambda i: huge() if i == 0 else ordinary)


def valid_values(control: Control) -> list[str]:
    values = [v for v in [control.value, *control.options] if v]
    if control.type in ("text", "textarea", "email", "password", "search"):
        values.append("Ordinary text")
    return values or ["1"]


@st.composite
def hostile_fields(
    draw: st.DrawFn, controls: list[Control], other_ids: list[str]
) -> list[tuple[str, str | bytes]]:
    """Name-value pairs for a form's text fields: each left out, valid or hostile; some
    repeated; some unknown."""
    by_name: dict[str, list[Control]] = {}
    for control in controls:
        if control.type != "file" and control.name:
            by_name.setdefault(control.name, []).append(control)
    pairs: list[tuple[str, str | bytes]] = []
    for name, group in by_name.items():
        choice = draw(st.sampled_from(["omit", "valid", "valid", "hostile", "hostile", "both"]))
        valid = [v for c in group for v in valid_values(c)]
        if choice in ("valid", "both"):
            pairs.append((name, draw(st.sampled_from(valid))))
        if choice in ("hostile", "both"):
            pairs.append((name, draw(hostile_value(other_ids))))
    extra = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["q-nonexistent", "id", "consultation_id", "", "é", "a" * 200]),
                hostile_value(other_ids),
            ),
            max_size=2,
        )
    )
    return pairs + extra


@st.composite
def hostile_url(draw: st.DrawFn, url: str, other_ids: list[str]) -> str:
    """Usually the form's own address; sometimes another consultation's ids in its path."""
    if draw(st.integers(0, 3)) != 0:
        return url
    path, sep, query = url.partition("?")
    segments = path.split("/")
    spots = [i for i, s in enumerate(segments) if s.isdigit() or s == A]
    if not spots:
        return url
    spot = draw(st.sampled_from(spots))
    swaps = PATH_SWAPS_SLUG if segments[spot] == A else PATH_SWAPS_NUMBER + other_ids
    segments[spot] = draw(st.sampled_from(swaps))
    return "/".join(segments) + sep + query


def generic_target(world: World, endpoint: str) -> tuple[str, str, list[Control]]:
    """URL, role and fields for a route whose form no page shows: the path's arguments as
    other forms of the world use them, the field names of its blueprint's forms."""
    rule = next(r for r in world.app.url_map.iter_rules() if r.endpoint == endpoint)
    blueprint = endpoint.partition(".")[0]
    known: dict[str, str] = {"number": "1", "version": "1", "kind": "objective", "token": "x"}
    adapter = world.app.url_map.bind("localhost")
    names: list[str] = []
    for found_endpoint, forms in world.forms.items():
        for form in forms:
            _, args = adapter.match(form.action.partition("?")[0], method="POST")
            same_blueprint = found_endpoint.partition(".")[0] == blueprint
            for key, value in args.items():
                if same_blueprint or key not in known:
                    known[key] = str(value)
            if same_blueprint:
                names += [c.name for c in form.controls]
    url = adapter.build(endpoint, {a: known.get(a, "1") for a in rule.arguments})
    role = (
        "anonymous"
        if url.startswith("/account/login")
        else ("participant" if url.startswith(("/c/", "/r/", "/i/", "/live", "/l/")) else "staff")
    )
    fields = sorted(set(GENERIC_FIELDS + names))[:40]
    return url, role, [Control("input", "text", name) for name in fields]


def refused(endpoint: str, response: Any) -> bool:
    """Whether the request was refused (then it must have written nothing)."""
    if response.status_code >= 400:
        return True
    if response.status_code != 200:
        return False
    html = response.get_data(as_text=True)
    return any(marker in html for marker in ERROR_MARKERS)


def compared(endpoint: str, tables: dict[str, Any]) -> dict[str, Any]:
    """The tables a refusal must leave alone: a participant's page may keep its valid answers
    (and touch its response) even when refused, everything else stays."""
    if endpoint in KEEPS_VALID_ANSWERS:
        return {k: v for k, v in tables.items() if k not in ("answers", "responses")}
    return tables


def encode(
    pairs: list[tuple[str, str | bytes]], files: list[tuple[str, bytes, str]]
) -> dict[str, Any]:
    """The request body: urlencoded (raw bytes kept, invalid UTF-8 included) or multipart."""
    if files:
        # multipart bodies stay under the size limit: Werkzeug spools big uploads to temporary
        # files and, refusing a body half-way (413), leaves them to the garbage collector
        data = MultiDict(
            [(k, (v.decode("latin-1") if isinstance(v, bytes) else v)[:100_000]) for k, v in pairs]
        )
        for name, content, filename in files:
            data.add(name, (io.BytesIO(content), filename))
        return {"data": data, "content_type": "multipart/form-data"}
    body = urllib.parse.urlencode(
        [(k, v if isinstance(v, bytes) else v.encode("utf-8", "surrogatepass")) for k, v in pairs]
    )
    return {"data": body, "content_type": "application/x-www-form-urlencoded"}


def test_every_post_route_is_attacked_with_its_own_form(world: World) -> None:
    """The crawl finds the form of every POST route except those listed (with a reason)."""
    missing = sorted(set(ENDPOINTS) - set(world.forms) - set(NO_FORM_ON_ANY_PAGE))
    assert not missing, f"no page shows a form for {missing}: list them in NO_FORM_ON_ANY_PAGE"
    stale = sorted(set(NO_FORM_ON_ANY_PAGE) - set(ENDPOINTS))
    assert not stale, f"these routes no longer exist: {stale}"
    assert len(set(world.forms) & set(ENDPOINTS)) >= 35


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_hostile_post(world: World, reader: sa.Engine, endpoint: str) -> None:
    forms = world.forms.get(endpoint) or []
    other_ids = world.ids["section"][:3] + world.ids["question"][:3]

    @settings(
        max_examples=FEWER.get(endpoint, EXAMPLES),
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure shows as drawn
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def attack(data: st.DataObject) -> None:
        if forms:
            form = data.draw(st.sampled_from(forms))
            url, role, controls = form.action, form.role, form.controls
            file_names = [c.name for c in controls if c.type == "file"]
        else:
            url, role, controls = generic_target(world, endpoint)
            file_names = []
        url = data.draw(hostile_url(url, other_ids), label="url")
        pairs = data.draw(hostile_fields(controls, other_ids), label="fields")
        files = [
            (name, data.draw(st.sampled_from(FILES)), data.draw(st.sampled_from(FILENAMES)))
            for name in file_names
            if data.draw(st.booleans())
        ]
        if file_names and not files:
            files = [(file_names[0], b"", "")]  # a file input left empty: sent empty
        before = snapshot(reader)
        response = world.request(role, "POST", url, **encode(pairs, files))
        assert response.status_code < 500, (response.status_code, url)
        if refused(endpoint, response):
            after = compared(endpoint, snapshot(reader))
            changed = {t for t in after if before[t] != after[t]}
            assert not changed, f"{response.status_code} for {url} changed {sorted(changed)}"

    attack()


def test_the_generic_form_reaches_its_route(world: World) -> None:
    """The generic target of a route without a form is that route (not a 404 for the path)."""
    for endpoint in sorted(set(NO_FORM_ON_ANY_PAGE) & set(ENDPOINTS)):
        url, _role, _controls = generic_target(world, endpoint)
        assert world.endpoint(url) == endpoint, url
        assert not re.search(r"/None(/|$)", url), url


@pytest.mark.parametrize(
    ("endpoint", "field"),
    [
        ("analyst.publish", "exclusions"),
        ("analyst.open_text_change", "answer_id"),
        ("builder.move_question_to_section", "section"),
        ("facilitator.remove_member", "user_id"),
        ("facilitator.next_round", "version"),
        ("facilitator.transition", "version"),
        ("facilitator.settings", "version"),
    ],
)
@pytest.mark.parametrize("value", ["2147483648", str(2**63), "9" * 30, "²", "-0"])
def test_ids_out_of_range_in_a_valid_form(
    world: World, reader: sa.Engine, endpoint: str, field: str, value: str
) -> None:
    """A form filled in validly except for one id beyond PostgreSQL's integer range (or not a
    plain number): refused or ignored, never a 500, nothing written when refused."""
    form = world.forms[endpoint][0]
    pairs: list[tuple[str, str | bytes]] = []
    for control in form.controls:
        if control.type == "file" or not control.name or control.name == field:
            continue
        if control.type in ("checkbox", "radio") and any(n == control.name for n, _ in pairs):
            continue
        pairs.append((control.name, valid_values(control)[0]))
    pairs.append((field, value))
    before = snapshot(reader)
    response = world.request(form.role, "POST", form.action, **encode(pairs, []))
    assert response.status_code < 500, response.status_code
    if refused(endpoint, response):
        assert snapshot(reader) == before
