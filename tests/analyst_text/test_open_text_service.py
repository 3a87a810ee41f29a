"""The open-text service: listing and filtering open answers, and quotes for the report."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import (
    AnonymityMode,
    Answer,
    AuditEvent,
    Question,
    Quote,
    Response,
    ResponseState,
)
from consult.services import open_text
from consult.services.errors import Conflict, Forbidden, NotFound
from tests.analyst_text.conftest import add_text_answer, group_sizes
from tests.facilitator.conftest import Staff

pytestmark = pytest.mark.db


def submitted_comment_texts(staff: Staff) -> list[str]:
    return list(
        db.session.scalars(
            select(Answer.text)
            .join(Response, Response.id == Answer.response_id)
            .join(Question, Question.id == Answer.question_id)
            .where(
                Question.code == "comments",
                Question.round_id == staff.a.rounds[0].id,
                Response.state == ResponseState.SUBMITTED,
            )
            .order_by(Response.submitted_at, Response.id, Answer.id)
        )
    )


def every_answer(staff: Staff, **filters: object) -> list[open_text.OpenAnswer]:
    page = open_text.list_open_answers(
        db.session, staff.analyst, staff.a, per_page=open_text.MAX_PER_PAGE, **filters
    )
    assert page.pages == 1
    return page.answers


def test_lists_submitted_open_answers_only(staff: Staff) -> None:
    add_text_answer(staff.a, "half written, not sent", state=ResponseState.IN_PROGRESS)
    add_text_answer(staff.a, "taken back by its author", state=ResponseState.WITHDRAWN)
    kept = add_text_answer(staff.a, "sent and kept")
    expected = submitted_comment_texts(staff)
    assert "sent and kept" in expected
    assert len(expected) > 10

    page = open_text.list_open_answers(db.session, staff.analyst, staff.a, label_language="en")
    texts = [a.text for a in every_answer(staff)]

    assert texts == expected
    assert "half written, not sent" not in texts
    assert "taken back by its author" not in texts
    assert page.total == len(expected)
    assert [q.code for q in page.questions] == ["comments"]
    assert page.questions[0].text == "Is there anything else the municipality should know?"
    assert every_answer(staff)[-1].answer_id == kept.id


def test_filters_question_language_group_and_text(staff: Staff) -> None:
    add_text_answer(staff.a, "İLÇE düzeyinde VERİ lazım", language="tr")
    add_text_answer(staff.a, "نحتاجُ إلى مترجمين في المراكز", language="ar", group_code=None)
    sizes = group_sizes(staff.a)
    big = max(sizes, key=lambda code: sizes[code])

    arabic = every_answer(staff, language="ar")
    assert arabic
    assert {a.language for a in arabic} == {"ar"}
    assert {a.direction for a in arabic} == {"rtl"}
    assert {a.direction for a in every_answer(staff, language="tr")} == {"ltr"}

    in_group = every_answer(staff, group=big)
    assert in_group
    assert {a.group for a in in_group} == {big}
    assert len(in_group) < len(every_answer(staff))

    assert [a.text for a in every_answer(staff, question_code="comments")] == [
        a.text for a in every_answer(staff)
    ]
    # tolerant matching: Turkish dotted capital İ, case, Arabic short vowels
    found = [a.text for a in every_answer(staff, contains="ilçe")]
    assert "İLÇE düzeyinde VERİ lazım" in found
    assert all("ilce" in open_text.fold(t) for t in found)
    assert [a.text for a in every_answer(staff, contains="veri lazim")] == [
        "İLÇE düzeyinde VERİ lazım"
    ]
    assert [a.text for a in every_answer(staff, contains="نحتاج إلى مترجمين")] == [
        "نحتاجُ إلى مترجمين في المراكز"
    ]
    assert every_answer(staff, contains="no answer says this") == []


def test_unknown_filters_are_refused(staff: Staff) -> None:
    for filters, field in [
        ({"question_code": "action_priority"}, "question"),
        ({"question_code": "nope"}, "question"),
        ({"language": "fr"}, "language"),
        ({"group": "nope"}, "group"),
        ({"round_number": 9}, "round"),
    ]:
        with pytest.raises(open_text.InvalidFilter) as refused:
            open_text.list_open_answers(db.session, staff.analyst, staff.a, **filters)
        assert refused.value.field == field


def test_small_group_filter_is_refused_and_its_name_hidden(staff: Staff) -> None:
    k = staff.a.min_group_size
    sizes = group_sizes(staff.a)
    small = next(code for code, n in sizes.items() if n < k)
    add_text_answer(staff.a, "from a small group", group_code=small)

    with pytest.raises(open_text.SmallGroup) as refused:
        open_text.list_open_answers(db.session, staff.analyst, staff.a, group=small)
    assert refused.value.k == k
    assert open_text.filterable_groups(db.session, staff.a)[small] is False

    shown = next(a for a in every_answer(staff) if a.text == "from a small group")
    assert shown.group_hidden
    assert shown.group is None
    assert shown.group_name is None
    # a group of k or more may be filtered
    big = next(code for code, n in sizes.items() if n >= k)
    assert open_text.filterable_groups(db.session, staff.a)[big] is True
    # raising the threshold refuses a group that was allowed
    staff.a.min_group_size = sizes[big] + 1
    db.session.flush()
    with pytest.raises(open_text.SmallGroup):
        open_text.list_open_answers(db.session, staff.analyst, staff.a, group=big)


def test_nothing_identifies_the_respondent(staff: Staff) -> None:
    staff.a.anonymity = AnonymityMode.NAMED
    answer = add_text_answer(staff.a, "we run the clinic", organisation="Kardeşlik Derneği")
    shown = next(a for a in every_answer(staff) if a.answer_id == answer.id)
    fields = set(vars(shown))
    assert fields == {
        "answer_id",
        "question_code",
        "question_text",
        "text",
        "language",
        "direction",
        "group",
        "group_name",
        "group_hidden",
        "quote",
    }
    assert "Kardeşlik" not in repr(shown)


def test_pages(staff: Staff) -> None:
    everything = every_answer(staff)
    first = open_text.list_open_answers(db.session, staff.analyst, staff.a, per_page=5)
    assert first.total == len(everything)
    assert first.pages == -(-len(everything) // 5)
    assert [a.answer_id for a in first.answers] == [a.answer_id for a in everything[:5]]
    second = open_text.list_open_answers(db.session, staff.analyst, staff.a, per_page=5, page=2)
    assert [a.answer_id for a in second.answers] == [a.answer_id for a in everything[5:10]]
    beyond = open_text.list_open_answers(db.session, staff.analyst, staff.a, per_page=5, page=999)
    assert beyond.page == first.pages
    assert [a.answer_id for a in beyond.answers] == [
        a.answer_id for a in everything[(first.pages - 1) * 5 :]
    ]


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_select_edit_and_unselect_a_quote(staff: Staff) -> None:
    answer = add_text_answer(
        staff.a, "Ben Ayşe, Fatih'teki derneğimizde tercüman yok.", language="tr"
    )
    arabic = add_text_answer(staff.a, "نحتاج إلى معلومات بلغتنا.", language="ar")
    original = answer.text

    quote = open_text.select_quote(
        db.session, staff.analyst, staff.a, answer.id, "  Derneğimizde tercüman yok.  "
    )
    assert quote.text == "Derneğimizde tercüman yok."
    assert quote.language == "tr"
    assert quote.selected_by == staff.analyst.id
    db.session.refresh(answer)
    assert answer.text == original
    [selected] = events("quote.select")
    assert selected.actor_id == staff.analyst.id
    assert selected.object_id == quote.id
    assert selected.details["answer_id"] == answer.id
    assert selected.details["edited"] is True
    assert "tercüman" not in str(selected.details)  # the audit log keeps no texts

    with pytest.raises(Conflict):
        open_text.select_quote(db.session, staff.analyst, staff.a, answer.id, "again")
    for empty in ("", "   \n "):
        with pytest.raises(open_text.InvalidQuote) as refused:
            open_text.select_quote(db.session, staff.analyst, staff.a, arabic.id, empty)
        assert refused.value.reason == "empty"
    with pytest.raises(open_text.InvalidQuote) as refused:
        open_text.select_quote(db.session, staff.analyst, staff.a, arabic.id, "x" * 10_001)
    assert refused.value.reason == "too_long"

    open_text.select_quote(db.session, staff.analyst, staff.a, arabic.id, arabic.text)
    quotes = open_text.selected_quotes(db.session, staff.a, label_language="en")
    assert [(q.answer_id, q.language, q.direction) for q in quotes] == [
        (answer.id, "tr", "ltr"),
        (arabic.id, "ar", "rtl"),
    ]
    assert quotes[0].question_text == "Is there anything else the municipality should know?"
    assert quotes[0].question_texts["ar"] == "هل هناك أي شيء آخر ينبغي أن تعرفه البلدية؟"
    assert [q.answer_id for q in open_text.selected_quotes(db.session, staff.a, "ar")] == [
        arabic.id
    ]
    shown = next(a for a in every_answer(staff) if a.answer_id == answer.id)
    assert shown.quote is not None
    assert shown.quote.text == "Derneğimizde tercüman yok."

    open_text.edit_quote(db.session, staff.analyst, staff.a, answer.id, "Tercüman yok.")
    assert db.session.get(Quote, quote.id).text == "Tercüman yok."
    assert len(events("quote.edit")) == 1
    open_text.edit_quote(db.session, staff.analyst, staff.a, answer.id, "Tercüman yok.")
    assert len(events("quote.edit")) == 1  # no change, no event

    open_text.unselect_quote(db.session, staff.analyst, staff.a, answer.id)
    assert db.session.scalar(select(func.count(Quote.id)).where(Quote.answer_id == answer.id)) == 0
    [removed] = events("quote.unselect")
    assert removed.object_id == quote.id
    db.session.refresh(answer)
    assert answer.text == original
    with pytest.raises(NotFound):
        open_text.unselect_quote(db.session, staff.analyst, staff.a, answer.id)
    with pytest.raises(NotFound):
        open_text.edit_quote(db.session, staff.analyst, staff.a, answer.id, "x")


def test_quotes_only_of_submitted_open_answers_of_this_consultation(staff: Staff) -> None:
    pending = add_text_answer(staff.a, "not sent yet", state=ResponseState.IN_PROGRESS)
    gone = add_text_answer(staff.a, "withdrawn", state=ResponseState.WITHDRAWN)
    rating = db.session.scalars(
        select(Answer).join(Question).where(Question.code == "action_priority")
    ).first()
    assert rating is not None
    for answer_id in (pending.id, gone.id, rating.id, 10**9):
        with pytest.raises(NotFound):
            open_text.select_quote(db.session, staff.analyst, staff.a, answer_id, "x")
    answer = add_text_answer(staff.a, "a view")
    with pytest.raises(NotFound):  # answer of A, quote asked for B
        open_text.select_quote(db.session, staff.admin, staff.b, answer.id, "x")


def test_quote_of_a_response_no_longer_submitted_is_left_out(staff: Staff) -> None:
    answer = add_text_answer(staff.a, "kept for the report")
    open_text.select_quote(db.session, staff.analyst, staff.a, answer.id, "kept")
    assert len(open_text.selected_quotes(db.session, staff.a)) == 1
    response = db.session.get(Response, answer.response_id)
    response.state = ResponseState.WITHDRAWN
    response.withdrawn_at = response.submitted_at
    db.session.flush()
    assert open_text.selected_quotes(db.session, staff.a) == []


@pytest.mark.parametrize("role", ["outside_analyst", "other_facilitator"])
def test_only_members_may_read_or_quote(staff: Staff, role: str) -> None:
    answer = add_text_answer(staff.a, "a view")
    user = staff.user(role)
    with pytest.raises(Forbidden):
        open_text.list_open_answers(db.session, user, staff.a)
    with pytest.raises(Forbidden):
        open_text.select_quote(db.session, user, staff.a, answer.id, "x")
    with pytest.raises(Forbidden):
        open_text.unselect_quote(db.session, user, staff.a, answer.id)
