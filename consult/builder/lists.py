"""Builder views of a consultation's lists: objectives, items and stakeholder groups."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from consult.builder import forms
from consult.builder.routes import _as_id, _delete, _load, _save, _summary, bp
from consult.extensions import db
from consult.i18n import current_language
from consult.models import Consultation
from consult.services import lists as service
from consult.services.consultations import localized
from consult.services.lists import TEXT_FIELDS, EntryKind

KIND_NAMES = {
    EntryKind.OBJECTIVE: _l("Objective"),
    EntryKind.ITEM: _l("Item"),
    EntryKind.GROUP: _l("Stakeholder group"),
}


def _kind(raw: str) -> EntryKind:
    try:
        return EntryKind(raw)
    except ValueError:
        abort(404)


@bp.get("/lists")
def lists(slug: str) -> str:
    """Objectives, items and stakeholder groups with add, edit and delete links."""
    consultation = _load(slug)
    return render_template(
        "builder/lists.html",
        consultation=_summary(consultation),
        lists=service.lists(db.session, current_user, consultation),
    )


@bp.route("/lists/<kind>/new", methods=["GET", "POST"])
def new_entry(slug: str, kind: str) -> ResponseReturnValue:
    """Add an objective, item or stakeholder group."""
    consultation = _load(slug)
    return _entry_page(consultation, _kind(kind), None)


@bp.route("/lists/<kind>/<entry_id>/edit", methods=["GET", "POST"])
def edit_entry(slug: str, kind: str, entry_id: str) -> ResponseReturnValue:
    """Change an objective, item or stakeholder group."""
    consultation = _load(slug)
    return _entry_page(consultation, _kind(kind), _as_id(entry_id))


def _entry_page(
    consultation: Consultation, kind: EntryKind, entry_id: int | None
) -> ResponseReturnValue:
    languages = list(consultation.languages)
    data = (
        service.entry_input(db.session, current_user, consultation, kind, entry_id)
        if entry_id is not None
        else None
    )
    objectives = [
        (o.code, localized(dict(o.title or {}), current_language(), consultation.default_language))
        for o in sorted(consultation.objectives, key=lambda o: (o.position, o.id))
    ]
    prefill = forms.entry_data(data, languages) if data else {}
    form = forms.entry_form(
        kind, languages, objectives, data=prefill if request.method == "GET" else None
    )
    status: int | None = 200
    if request.method == "POST":

        def save(expected: str | None) -> None:
            values = forms.entry_input(form, kind, languages)
            if entry_id is None:
                service.add_entry(db.session, current_user, consultation, kind, values)
            else:
                service.update_entry(
                    db.session,
                    current_user,
                    consultation,
                    kind,
                    entry_id,
                    values,
                    expected=expected,
                )

        status = _save(form, languages, data, save)
        if status is None:
            flash(_l("Saved."), "success")
            return redirect(url_for(".lists", slug=consultation.slug))
    return (
        render_template(
            "builder/entry_form.html",
            consultation=_summary(consultation),
            form=form,
            langs=languages,
            kind=kind.value,
            kind_name=KIND_NAMES[kind],
            text_fields=TEXT_FIELDS[kind],
            text_labels=forms.TEXT_LABELS,
            entry_id=entry_id,
        ),
        status,
    )


@bp.route("/lists/<kind>/<entry_id>/delete", methods=["GET", "POST"])
def delete_entry(slug: str, kind: str, entry_id: str) -> ResponseReturnValue:
    """Confirm, then delete an entry nothing refers to."""
    consultation = _load(slug)
    entry_kind, eid = _kind(kind), _as_id(entry_id)
    data = service.entry_input(db.session, current_user, consultation, entry_kind, eid)

    def delete(session: Any, actor: Any, c: Consultation, object_id: int) -> None:
        service.delete_entry(session, actor, c, entry_kind, object_id)

    return _delete(consultation, entry_kind.value, data.code, delete, eid, back=".lists")
