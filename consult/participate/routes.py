"""Participant views: parse the request, call the participation service, commit once, then
redirect or render. Typed service errors become pages (``service_errors``); a failed CSRF check
with a token (an expired session) re-renders the same page with what was typed
(``csrf_recovery``). Every POST that changes something answers with a redirect (POST-redirect-GET),
so a reload or a double click never sends twice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as HttpResponse

from consult.errors import handle_http_exception, render_error
from consult.extensions import db
from consult.i18n import current_language, prefer_fallback_language
from consult.models import ResponseState, utcnow
from consult.participate import pages
from consult.participate.forms import ConsentForm, PageForm, WithdrawForm
from consult.questions import FieldError
from consult.services import delphi
from consult.services.consultations import list_open_consultations
from consult.services.errors import Conflict, InvalidState, NotFound
from consult.services.participation import (
    Access,
    PageSpec,
    Survey,
    access_by_invitation,
    access_by_resume_token,
    build_survey,
    consultation_by_slug,
    current_round,
    default_language_for,
    is_accepting,
    missing_required,
    open_consultation_for_link,
    prefilled_questions,
    response_language,
    save_page,
    start_open_response,
    stored_reasons,
    stored_values,
    submit_response,
    visible_questions,
    withdraw_response,
)
from consult.services.tokens import hash_token

bp = Blueprint("participate", __name__)
flow = Blueprint("flow", __name__)  # registered twice: RESUME (/r/<token>) and INVITE (/i/<token>)
RESUME, INVITE = "resume", "invite"


@bp.url_value_preprocessor
def _consultation_language_by_slug(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Without another choice, open-link pages speak the consultation's default language."""
    slug = (values or {}).get("slug")
    g.pop("participate_consultation", None)  # ``g`` may outlive a request (tests, CLI)
    if isinstance(slug, str) and _plausible_slug(slug):
        consultation = consultation_by_slug(db.session, slug)  # the landing page reuses it
        g.participate_consultation = consultation
        prefer_fallback_language(consultation.default_language if consultation else None)


@flow.url_value_preprocessor
def _consultation_language_by_token(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Without another choice, survey pages speak the consultation's default language."""
    token = (values or {}).get("token")
    g.pop("participate_resume_access", None)  # ``g`` may outlive a request (tests, CLI)
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
        return
    if request.blueprint == INVITE:
        prefer_fallback_language(default_language_for(db.session, token))
        return
    try:  # the view needs the response anyway: load it once (``_access`` reuses it), locked
        # for a POST, which saves or submits it
        access = access_by_resume_token(db.session, token, for_update=request.method == "POST")
    except NotFound:
        return  # the view shows the error page
    g.participate_resume_access = (token, access)
    prefer_fallback_language(access.consultation.default_language)


CONSENT_KEY = "consented"  # session: ids of invitation responses whose participant agreed
RECEIPTS_KEY = "receipts"  # session: receipts of invitation responses sent from this browser
REMEMBER_AT_MOST = 20
MAX_SLUG = 80  # the length of Consultation.slug
MAX_TOKEN = 128  # tokens are 43 characters; anything much longer is not one
CSRF_FAILED = "participate_csrf_failed"  # flag on g: the view re-renders, it changes nothing

NO_CONSULTATION = _l(
    "There is no consultation open to everyone at this address. Check the address, or use "
    "the personal link from your invitation."
)
INVALID_LINK = _l(
    "This link is not valid. Check that you copied the whole link. If it still does not "
    "work, ask the organisers of the consultation for a new one."
)
NO_WITHDRAWAL = _l(
    "There is no open consultation at this address. Answers can be withdrawn only while "
    "their consultation is open."
)
UNKNOWN_RECEIPT = _l(
    "No sent answers have this receipt code. Check the code and try again: it looks like "
    "7K2M-Q9XD-4TPA."
)
SESSION_EXPIRED = _l(
    "Your session had expired, so this page was not saved yet. Nothing you typed is lost: "
    "check your answers below and press the button again."
)

NOTICES: dict[str, tuple[Any, Any, int]] = {
    "closed": (
        _l("This consultation is not taking answers"),
        _l("It has closed, or it has not opened yet. Thank you for your interest."),
        403,
    ),
    "closed_kept": (
        _l("This consultation is not taking answers"),
        _l(
            "It has closed, or it is not open at the moment. The answers you saved are kept, "
            "but they can no longer be sent."
        ),
        403,
    ),
    "used": (
        _l("This invitation has already been used"),
        _l(
            "Answers were already sent with this invitation link, and each invitation can "
            "answer once. If you kept the receipt code, you can use it to withdraw those answers."
        ),
        409,
    ),
    "withdrawn": (
        _l("These answers were withdrawn"),
        _l("They were erased at your request, so they can no longer be changed or sent."),
        410,
    ),
    "withdraw_closed": (
        _l("Answers can no longer be withdrawn"),
        _l("This consultation has closed, so its answers can no longer be withdrawn."),
        403,
    ),
}


# --- shared pieces --------------------------------------------------------------------------


def notice(kind: str) -> ResponseReturnValue:
    """A clear page instead of the form: closed consultation, used invitation ..."""
    title, message, status = NOTICES[kind]
    return render_template("participate/notice.html", title=title, message=message), status


def service_errors(
    *, not_found: Any = INVALID_LINK, invalid_state: str = "closed_kept"
) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """Turn the participation service's typed errors into pages (rolling back first)."""

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            try:
                return view(*args, **kwargs)
            except NotFound:
                db.session.rollback()
                return render_error(404, message=not_found)
            except InvalidState:
                db.session.rollback()
                return notice(invalid_state)
            except Conflict:
                db.session.rollback()
                token = kwargs.get("token")
                if token and _sent_receipt(token) is not None:
                    return redirect(url_for(".done", token=token), 303)
                return notice("used")

        return wrapper

    return decorate


def csrf_recovery(error: CSRFError) -> ResponseReturnValue:
    """A failed CSRF check: re-render the page with what was typed (nothing saved).

    A form that carries a token whose session is gone (expired cookie, browser restarted) gets
    its own page back with a fresh token, so pressing the button again works. A request without
    any token is refused with the site's 400 page.
    """
    refresh()
    view = current_app.view_functions.get(request.endpoint or "")
    if not request.form.get("csrf_token") or view is None:
        return handle_http_exception(error)
    db.session.rollback()
    g.setdefault(CSRF_FAILED, True)
    return view(**(request.view_args or {}))


def csrf_failed() -> bool:
    return bool(g.get(CSRF_FAILED))


def private_pages(response: HttpResponse) -> HttpResponse:
    """Participant pages hold answers and personal links: never cached, never referred."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


for blueprint in (bp, flow):
    blueprint.register_error_handler(CSRFError, csrf_recovery)
    blueprint.after_request(private_pages)


def remember(key: str, entry: Any, value: Any = True) -> None:
    """Keep ``value`` for ``entry`` under ``key`` in the session cookie: the latest
    ``REMEMBER_AT_MOST`` entries, the most recently set last."""
    stored = dict(cookie.get(key) or {})
    stored.pop(str(entry), None)
    stored[str(entry)] = value
    cookie[key] = dict(list(stored.items())[-REMEMBER_AT_MOST:])


def _receipt_key(token: str) -> str:
    return hash_token(token)[:16]


def _sent_receipt(token: str) -> dict[str, str] | None:
    """The receipt of an invitation response sent from this browser, if it was."""
    return (cookie.get(RECEIPTS_KEY) or {}).get(_receipt_key(token))


def _plausible_slug(slug: str) -> bool:
    """Whether ``slug`` could name a consultation (no control characters, not too long)."""
    return 0 < len(slug) <= MAX_SLUG and slug.isprintable()


def _typed(form: MultiDict[str, str]) -> dict[str, list[str]]:
    """The answer fields of a form exactly as typed."""
    return {name: form.getlist(name) for name in form if name.startswith("q-")}


# --- open link: landing and withdrawal ------------------------------------------------------


@bp.route("/c/<slug>", methods=["GET", "POST"])
@service_errors(not_found=NO_CONSULTATION, invalid_state="closed")
def landing(slug: str) -> ResponseReturnValue:
    """The open link: who asks, why, how long, privacy; consent starts a response."""
    if not _plausible_slug(slug):
        return render_error(404, message=NO_CONSULTATION)
    now = utcnow()
    consultation = open_consultation_for_link(
        db.session, slug, now, loaded=g.get("participate_consultation")
    )
    round_ = current_round(consultation)
    if round_ is None:  # open_consultation_for_link ensures one; closed meanwhile
        return notice("closed")
    survey = build_survey(db.session, round_, response_language(consultation, current_language()))
    form = ConsentForm()
    posted = request.method == "POST" and not csrf_failed()
    if posted and form.validate():
        access = start_open_response(db.session, consultation, survey.language, now)
        first = pages.resume_page(survey, {}, set(), 0)
        target = (
            url_for(f"{RESUME}.page", token=access.resume_token, number=first.index + 1)
            if first
            else url_for(f"{RESUME}.review", token=access.resume_token)
        )
        db.session.commit()
        return redirect(target, 303)
    context = _landing_context(
        survey,
        consultation.closes_at,
        form,
        invitation=False,
        action_url=url_for(".landing", slug=slug),
    )
    return render_template("participate/landing.html", **context), (400 if csrf_failed() else 200)


def _landing_context(survey: Survey, closes_at: Any, form: ConsentForm, **extra: Any) -> dict:
    errors = [("#consent", str(message)) for message in form.consent.errors]
    return {
        "survey": survey,
        "content_lang": pages.language_attrs(survey.language, current_language()),
        "minutes": pages.estimated_minutes(survey),
        "closes_at": closes_at,
        "form": form,
        "summary": errors,
        "notice_text": SESSION_EXPIRED if csrf_failed() else None,
        **extra,
    }


def _open_consultation_summary(slug: str, now: Any) -> Any:
    return next((c for c in list_open_consultations(db.session, now) if c.slug == slug), None)


@bp.route("/c/<slug>/withdraw", methods=["GET", "POST"])
@service_errors(not_found=NO_WITHDRAWAL, invalid_state="withdraw_closed")
def withdraw(slug: str) -> ResponseReturnValue:
    """Withdraw sent answers with their receipt code (while the consultation is open)."""
    if not _plausible_slug(slug):
        return render_error(404, message=NO_WITHDRAWAL)
    now = utcnow()
    consultation = _open_consultation_summary(slug, now)
    if consultation is None:
        return render_error(404, message=NO_WITHDRAWAL)
    form = WithdrawForm()
    if request.method == "POST" and not csrf_failed() and form.validate():
        try:
            withdraw_response(db.session, slug, form.receipt.data or "", now)
        except NotFound:
            db.session.rollback()
            form.receipt.errors = [*form.receipt.errors, str(UNKNOWN_RECEIPT)]
        else:
            db.session.commit()
            return redirect(url_for(".withdrawn", slug=slug), 303)
    summary = [("#receipt", str(message)) for message in form.receipt.errors]
    status = 400 if csrf_failed() else 200
    return render_template(
        "participate/withdraw.html",
        consultation=consultation,
        form=form,
        summary=summary,
        notice_text=SESSION_EXPIRED if csrf_failed() else None,
    ), status


@bp.get("/c/<slug>/withdrawn")
def withdrawn(slug: str) -> ResponseReturnValue:
    """The confirmation after a withdrawal."""
    if not _plausible_slug(slug):
        return render_error(404, message=NO_WITHDRAWAL)
    return render_template("participate/withdrawn.html", slug=slug)


# --- the survey: /r/<token>/... and /i/<token>/... ------------------------------------------


def _access(token: str) -> Access:
    if request.blueprint == INVITE:
        return access_by_invitation(db.session, token, current_language(), utcnow())
    loaded = g.get("participate_resume_access")
    if loaded is not None and loaded[0] == token:
        return loaded[1]  # type: ignore[no-any-return]
    return access_by_resume_token(db.session, token)


def _survey(access: Access) -> Survey:
    language = response_language(access.consultation, current_language())
    return build_survey(db.session, access.round, language)


def _stopped(token: str, access: Access) -> ResponseReturnValue | None:
    """A response that is no longer in progress shows its receipt, or that it was withdrawn."""
    if access.response.state == ResponseState.SUBMITTED:
        return redirect(url_for(".done", token=token), 303)
    if access.response.state == ResponseState.WITHDRAWN:
        return notice("withdrawn")
    return None


def _consented(access: Access) -> bool:
    if access.invitation is None:
        return True  # an open-link response exists only after consent
    agreed = cookie.get(CONSENT_KEY) or {}
    return str(access.response.id) in agreed or access.response.last_page > 0


def _page_url(token: str, page: PageSpec | None, **args: Any) -> str:
    if page is None:
        return url_for(".review", token=token)
    return url_for(".page", token=token, number=page.index + 1, **args)


def _flow_context(token: str, survey: Survey) -> dict[str, Any]:
    resume_url = (
        url_for(f"{RESUME}.start", token=token, _external=True)
        if request.blueprint == RESUME
        else None
    )
    return {
        "flow": request.blueprint,
        "token": token,
        "survey": survey,
        "content_lang": pages.language_attrs(survey.language, current_language()),
        "resume_url": resume_url,
        "notice_text": SESSION_EXPIRED if csrf_failed() else None,
    }


@flow.route("/", methods=["GET", "POST"])
@service_errors()
def start(token: str) -> ResponseReturnValue:
    """Resume link: continue where the participant stopped. Invitation: landing and consent."""
    access = _access(token)
    stopped = _stopped(token, access)
    if stopped is not None:
        return stopped
    survey = _survey(access)
    skip = prefilled_questions(access)
    values = stored_values(db.session, survey, access.response)
    continue_url = _page_url(
        token, pages.resume_page(survey, values, skip, access.response.last_page)
    )
    if request.blueprint == RESUME:
        return redirect(continue_url)
    form = ConsentForm()
    posted = request.method == "POST" and not csrf_failed()
    if (posted and form.validate()) or (request.method == "GET" and _consented(access)):
        remember(CONSENT_KEY, access.response.id)
        db.session.commit()
        return redirect(continue_url, 303 if posted else 302)
    context = _landing_context(
        survey,
        access.consultation.closes_at,
        form,
        invitation=True,
        action_url=url_for(".start", token=token),
    )
    db.session.rollback()  # looking at the invitation is not starting it: nothing is recorded
    return render_template("participate/landing.html", **context), (400 if csrf_failed() else 200)


@flow.route("/page/<int:number>", methods=["GET", "POST"])
@service_errors()
def page(token: str, number: int) -> ResponseReturnValue:
    """One section of the questionnaire. Continue checks required answers, Back does not."""
    access = _access(token)
    stopped = _stopped(token, access)
    if stopped is not None:
        return stopped
    survey = _survey(access)
    if not 1 <= number <= len(survey.pages):
        return render_error(404)
    page = survey.pages[number - 1]
    now = utcnow()
    skip = prefilled_questions(access)
    posted = request.method == "POST"
    if posted and not csrf_failed():
        if not is_accepting(access.consultation, now):
            # closed while the participant was answering: keep what they typed, send nothing
            save_page(db.session, access, survey, page, request.form, now, enforce_required=False)
            db.session.commit()
            return notice("closed_kept")
        back = request.form.get("action") == "back"
        result = save_page(
            db.session, access, survey, page, request.form, now, enforce_required=not back
        )
        if result.ok:
            if back:
                previous = pages.previous_page(survey, result.values, skip, page.index)
                target = _page_url(token, previous or page)
            elif request.form.get("return_to") == "review":
                target = url_for(".review", token=token)
            else:
                target = _page_url(token, pages.next_page(survey, result.values, skip, page.index))
            db.session.commit()
            return redirect(target, 303)
        context = _page_context(
            token, access, survey, page, result.values, skip, result.raw, result.errors
        )
        db.session.commit()  # the valid answers on the page are kept
        return render_template("participate/page.html", **context)
    if not is_accepting(access.consultation, now):
        return notice("closed_kept")
    if not posted and not _consented(access):
        db.session.rollback()
        return redirect(url_for(".start", token=token))
    values = stored_values(db.session, survey, access.response)
    if not posted and not visible_questions(page, values, skip):
        target = _page_url(token, pages.next_page(survey, values, skip, page.index))
        db.session.commit()
        return redirect(target)
    raw = _typed(request.form) if posted else None
    context = _page_context(token, access, survey, page, values, skip, raw)
    db.session.commit()
    return render_template("participate/page.html", **context), (400 if posted else 200)


def _page_context(
    token: str,
    access: Access,
    survey: Survey,
    page: PageSpec,
    values: dict[str, Any],
    skip: set[str],
    raw: dict[str, list[str]] | None = None,
    errors: list[FieldError] | tuple[FieldError, ...] = (),
) -> dict[str, Any]:
    questions = visible_questions(page, values, skip)
    views = pages.question_views(questions, values, access.response.id, errors, raw)
    feedback = delphi.page_feedback(db.session, access, survey, questions)
    previous = pages.previous_page(survey, values, skip, page.index)
    return {
        **_flow_context(token, survey),
        "page": page,
        "questions": pages.with_feedback(views, feedback),
        "delphi_feedback": feedback,
        "delphi_reasons": stored_reasons(db.session, survey, access.response) if feedback else {},
        "delphi_own_note": pages.own_answers_note(feedback),
        "summary": pages.summary_links(views, errors),
        "progress": pages.progress(survey, values, skip, page),
        "action_url": _page_url(token, page),
        "has_back": previous is not None,
        "return_to_review": request.values.get("return_to") == "review",
        "form": PageForm(),
    }


@flow.route("/review", methods=["GET", "POST"])
@service_errors()
def review(token: str) -> ResponseReturnValue:
    """Every answer with "Change" links; sending them submits the response once."""
    access = _access(token)
    stopped = _stopped(token, access)
    if stopped is not None:
        return stopped
    now = utcnow()
    if not is_accepting(access.consultation, now):
        return notice("closed_kept")
    if request.method == "GET" and not _consented(access):
        db.session.rollback()
        return redirect(url_for(".start", token=token))
    survey = _survey(access)
    skip = prefilled_questions(access)
    values = stored_values(db.session, survey, access.response)
    posted = request.method == "POST" and not csrf_failed()
    missing = missing_required(survey, values, skip)
    if posted and missing is None:
        receipt = submit_response(db.session, access, survey, now, values)
        if access.invitation is not None:
            remember(RECEIPTS_KEY, _receipt_key(token), {"code": receipt, "slug": survey.slug})
        db.session.commit()
        return redirect(url_for(".done", token=token), 303)
    sections = pages.review_sections(
        survey,
        values,
        skip,
        access.response.id,
        lambda p: _page_url(token, p, return_to="review"),
        stored_reasons(db.session, survey, access.response),
    )
    summary: list[tuple[str, str]] = []
    if posted and missing is not None:
        missing_page, missing_question = missing
        summary = [
            (
                row.change_url,
                _("Answer “%(question)s” before sending your answers.", question=row.question),
            )
            for section in sections
            for row in section.rows
            if row.required and not row.answered and row.change_url
        ] or [
            (
                _page_url(token, missing_page, return_to="review")
                + f"#question-{missing_question.code}",
                _(
                    "Answer “%(question)s” before sending your answers.",
                    question=missing_question.text,
                ),
            )
        ]
    context = {
        **_flow_context(token, survey),
        "sections": sections,
        "summary": summary,
        "progress": pages.progress(survey, values, skip, None),
        "action_url": url_for(".review", token=token),
        "form": PageForm(),
    }
    db.session.commit()
    return render_template("participate/review.html", **context), (400 if csrf_failed() else 200)


@flow.get("/done")
@service_errors()
def done(token: str) -> ResponseReturnValue:
    """Thank you, with the receipt code (and, for an open link, where this page stays)."""
    sent = _sent_receipt(token) if request.blueprint == INVITE else None
    if sent is not None:
        return render_template(
            "participate/done.html", receipt=sent["code"], slug=sent["slug"], resume_url=None
        )
    access = _access(token)
    if access.response.state == ResponseState.WITHDRAWN:
        return notice("withdrawn")
    if access.response.state != ResponseState.SUBMITTED:
        return redirect(url_for(".review", token=token))
    return render_template(
        "participate/done.html",
        receipt=access.response.receipt_code,
        slug=access.consultation.slug,
        resume_url=url_for(f"{RESUME}.start", token=token, _external=True),
    )
