"""Consultation settings pages: create, edit settings, copy, and members (on ``bp``).

- ``/manage/consultations/new``: admins and site facilitators (403 otherwise).
- ``/settings`` and ``/copy``: editors of the consultation (admins, facilitator members); the
  copy also needs the right to create consultations. Saving settings carries the version the
  page was built from: a stale one renders the conflict page (409) and changes nothing.
- ``/members``: every member may see who else is a member (analysts too: they work with
  them); only editors may add or remove members (403 otherwise).

Refused input re-renders the form with what was typed (422), the errors next to the fields
and in a summary at the top; service refusals we know are translated (``forms.explain``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from consult.extensions import db
from consult.facilitator import forms
from consult.facilitator.routes import _load, _summary, bp
from consult.i18n import language_name
from consult.models import Consultation, MembershipRole
from consult.services import lifecycle, permissions, retention, users
from consult.services.errors import Conflict, Forbidden, InvalidState, NotFound, ServiceError

EDIT = permissions.Action.EDIT


class StaffRights:
    """What the signed-in user may do on a workspace page, worked out when a template asks."""

    def __init__(self, slug: str | None) -> None:
        self.slug = slug

    @cached_property
    def _consultation(self) -> Consultation | None:
        if self.slug is None or not current_user.is_authenticated:
            return None
        try:
            return permissions.consultation_for(
                db.session, current_user, self.slug, permissions.Action.VIEW
            )
        except ServiceError:
            return None

    @cached_property
    def edit(self) -> bool:
        """May change the consultation in the URL."""
        c = self._consultation
        return c is not None and permissions.can_edit(current_user, c)

    @cached_property
    def analyse(self) -> bool:
        """May read the results of the consultation in the URL."""
        c = self._consultation
        return c is not None and permissions.can_analyse(current_user, c)

    @cached_property
    def create(self) -> bool:
        """May create consultations."""
        return permissions.can_create_consultation(current_user)

    @cached_property
    def admin(self) -> bool:
        """Is an administrator."""
        return permissions.is_admin(current_user)


@bp.app_context_processor
def _staff_rights() -> dict[str, Any]:
    if not has_request_context() or not request.path.startswith(bp.url_prefix or "/manage"):
        return {}
    return {"staff_rights": StaffRights((request.view_args or {}).get("slug"))}


def _languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def _form_page(
    template: str, form: Any, status: int, english: list[str], **context: Any
) -> ResponseReturnValue:
    return render_template(template, form=form, english=english, **context), status


def _settings_context(languages: list[str]) -> dict[str, Any]:
    return {
        "langs": languages,
        "language_names": {code: language_name(code) for code in languages},
        "text_names": forms.text_names(),
        "time_zone": current_app.config["BABEL_DEFAULT_TIMEZONE"],
    }


# --- create and edit -----------------------------------------------------------------------------


@bp.route("/consultations/new", methods=["GET", "POST"])
def new_consultation() -> ResponseReturnValue:
    """Create a draft consultation; the creator becomes its facilitator."""
    if not permissions.can_create_consultation(current_user):
        raise Forbidden("only facilitators and administrators may create consultations")
    languages = _languages()
    prefill = forms.new_consultation_data(languages, current_app.config["BABEL_DEFAULT_LOCALE"])
    form = forms.consultation_form(
        languages, new=True, data=prefill if request.method == "GET" else None
    )
    english: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                created = lifecycle.create_consultation(
                    db.session,
                    current_user,
                    form["slug"].data,
                    allowed_languages=languages,
                    **forms.consultation_values(form),
                )
            except (lifecycle.InvalidSettings, Conflict) as error:
                db.session.rollback()
                english = forms.show_refusal(form, error)
            else:
                slug = created.slug
                db.session.commit()
                flash(_l("The consultation is created as a draft."), "success")
                return redirect(url_for(".consultation", slug=slug))
        status = 422
    return _form_page(
        "facilitator/consultation_form.html",
        form,
        status,
        english,
        consultation=None,
        new=True,
        state=None,
        **_settings_context(languages),
    )


@bp.route("/consultations/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str) -> ResponseReturnValue:
    """Change a consultation's texts, languages, anonymity, open link, schedule and k."""
    consultation = _load(slug, EDIT)
    languages = _languages()
    prefill = forms.consultation_data(consultation)
    form = forms.consultation_form(
        languages, new=False, data=prefill if request.method == "GET" else None
    )
    english: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                lifecycle.update_consultation(
                    db.session,
                    current_user,
                    consultation,
                    form["version"].data,
                    allowed_languages=languages,
                    **forms.consultation_values(form, consultation),
                )
            except Conflict:
                db.session.rollback()
                return render_template("facilitator/conflict.html", slug=slug), 409
            except (lifecycle.InvalidSettings, InvalidState) as error:
                db.session.rollback()
                english = forms.show_refusal(form, error)
            else:
                db.session.commit()
                flash(_l("The settings are saved."), "success")
                return redirect(url_for(".consultation", slug=slug))
        status = 422
        consultation = _load(slug, EDIT)
    return _form_page(
        "facilitator/consultation_form.html",
        form,
        status,
        english,
        consultation=_summary(consultation),
        new=False,
        state=consultation.state.value,
        retention=retention.retention_status(db.session, consultation),
        **_settings_context(languages),
    )


# --- copy ----------------------------------------------------------------------------------------


@bp.route("/consultations/<slug>/copy", methods=["GET", "POST"])
def copy(slug: str) -> ResponseReturnValue:
    """Copy a consultation (settings, texts, questionnaire) into a new draft."""
    source = _load(slug, EDIT)
    if not permissions.can_create_consultation(current_user):
        raise Forbidden("only facilitators and administrators may create consultations")
    languages = list(source.languages)
    prefill = {f"title_{lang}": text for lang, text in (source.title or {}).items()}
    form = forms.copy_form(
        languages, source.default_language, data=prefill if request.method == "GET" else None
    )
    english: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                made = lifecycle.copy_consultation(
                    db.session,
                    current_user,
                    source,
                    form["slug"].data,
                    title=forms.copy_title(form, languages),
                )
            except (lifecycle.InvalidSettings, Conflict) as error:
                db.session.rollback()
                english = forms.show_refusal(form, error)
            else:
                new_slug = made.slug
                db.session.commit()
                flash(_l("The copy is created as a draft."), "success")
                return redirect(url_for(".consultation", slug=new_slug))
        status = 422
        source = _load(slug, EDIT)
    return _form_page(
        "facilitator/copy_form.html",
        form,
        status,
        english,
        consultation=_summary(source),
        langs=languages,
        language_names={code: language_name(code) for code in languages},
    )


# --- members -------------------------------------------------------------------------------------


def _members(consultation: Consultation) -> list[dict[str, Any]]:
    names = forms.site_role_names()
    rows = [
        {
            "user_id": m.user.id,
            "email": m.user.email,
            "role": MembershipRole(m.role).value,
            "role_name": str(names[MembershipRole(m.role).value]),
            "active": bool(m.user.active),
            "is_you": m.user.id == current_user.id,
        }
        for m in consultation.memberships
    ]
    return sorted(rows, key=lambda r: (r["role"] != "facilitator", r["email"]))


def _members_page(
    consultation: Consultation, form: forms.MemberForm, english: list[str], status: int = 200
) -> ResponseReturnValue:
    return (
        render_template(
            "facilitator/members.html",
            consultation=_summary(consultation),
            members=_members(consultation),
            may_edit=permissions.can_edit(current_user, consultation),
            form=form,
            button=forms.ButtonForm(formdata=None),
            english=english,
        ),
        status,
    )


@bp.get("/consultations/<slug>/members")
def members(slug: str) -> ResponseReturnValue:
    """Who may see or change the consultation, with their role."""
    return _members_page(_load(slug), forms.MemberForm(formdata=None), [])


@bp.post("/consultations/<slug>/members")
def add_member(slug: str) -> ResponseReturnValue:
    """Add a staff account (by e-mail address) as facilitator or analyst."""
    consultation = _load(slug, EDIT)
    form = forms.MemberForm()
    english: list[str] = []
    if form.validate():
        user = users.find_user(db.session, form.email.data)
        if user is None:
            form.email.errors.append(_("There is no staff account with this e-mail address."))
        else:
            try:
                lifecycle.add_member(db.session, current_user, consultation, user, form.role.data)
            except (lifecycle.InvalidSettings, InvalidState, Conflict) as error:
                db.session.rollback()
                english = forms.show_refusal(form, error)
            else:
                email = user.email
                db.session.commit()
                flash(_l("%(email)s is now a member.", email=email), "success")
                return redirect(url_for(".members", slug=slug))
    return _members_page(_load(slug), form, english, 422)


@bp.post("/consultations/<slug>/members/remove")
def remove_member(slug: str) -> ResponseReturnValue:
    """End a member's membership; removing yourself leaves you on the consultation list."""
    consultation = _load(slug, EDIT)
    form = forms.RemoveMemberForm()
    if not form.validate():
        abort(400)
    user = users.get_user(db.session, form.user_id.data)
    email = user.email
    try:
        lifecycle.remove_member(db.session, current_user, consultation, user)
    except NotFound as error:
        db.session.rollback()
        flash(forms.explain(error).message, "error")
        return redirect(url_for(".members", slug=slug))
    db.session.commit()
    flash(_l("%(email)s is no longer a member.", email=email), "success")
    if not permissions.can_view(current_user, consultation):
        return redirect(url_for(".index"))
    return redirect(url_for(".members", slug=slug))
