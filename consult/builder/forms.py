"""Forms of the questionnaire builder (Flask-WTF, CSRF-protected).

The forms are built per consultation: one text field per consultation language (side by side),
one checkbox per item, a few rows of options. ``*_input`` turn a validated form into the
service's plain input; ``*_data`` turn the service's input into form data to prefill.
"""

from __future__ import annotations

import math
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from consult.questions import type_names
from consult.services.concurrency import fingerprint
from consult.services.lists import TEXT_FIELDS, EntryInput, EntryKind
from consult.services.questionnaire import (
    ITEM_TYPES,
    OPTION_TYPES,
    SCALE_TYPES,
    SETTINGS,
    OptionInput,
    QuestionInput,
    SectionInput,
)

BOOL_DEFAULTS = {"allow_tie": True}
EXTRA_OPTION_ROWS = 3
CONDITION_TESTS = ("equals", "in", "answered", "gte", "lte")
SETTING_NAMES = sorted({name for rules in SETTINGS.values() for name in rules})


class FormInputError(ValueError):
    """A value typed in the form cannot be read (``field`` is the form field's name)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


CONFLICT = _l(
    "Someone else saved this after you opened it, so your changes are not saved yet. "
    "Check the current version (open it in a new tab), then save again to replace it."
)


def mark_conflict(form: FlaskForm, current: Any) -> None:
    """Keep what was typed, say why it was not saved, and let a second save replace ``current``."""
    form.fingerprint.data = fingerprint(current)
    form.form_errors.append(str(CONFLICT))


class ConfirmForm(FlaskForm):
    """A bare form: the CSRF token of delete and move buttons."""

    step = HiddenField()


def condition_labels() -> dict[str, Any]:
    """The display-condition tests as the form names them."""
    return {
        "equals": _l("equals"),
        "in": _l("is one of (separate with commas)"),
        "answered": _l("is answered"),
        "gte": _l("is at least"),
        "lte": _l("is at most"),
    }


def _condition_fields(attrs: dict[str, Any], earlier: list[str]) -> None:
    attrs["cond_question"] = SelectField(
        _l("Show only when the question"),
        choices=[SelectChoice("", _l("(always show)")), *[SelectChoice(c, c) for c in earlier]],
        validators=[AnyOf(["", *earlier])],
    )
    attrs["cond_test"] = SelectField(
        _l("Test"),
        choices=[SelectChoice(k, v) for k, v in condition_labels().items()],
        default="equals",
    )
    attrs["cond_value"] = StringField(_l("Value"), validators=[Length(max=500)])


def section_form(languages: list[str], earlier: list[str], **kwargs: Any) -> FlaskForm:
    """A section form with a title and a description per language."""
    attrs: dict[str, Any] = {
        "code": StringField(_l("Code"), validators=[InputRequired(), Length(max=64)]),
        "fingerprint": HiddenField(),
    }
    for lang in languages:
        attrs[f"title_{lang}"] = StringField(_l("Title"), validators=[Length(max=10_000)])
        attrs[f"description_{lang}"] = TextAreaField(
            _l("Description"), validators=[Length(max=10_000)]
        )
    _condition_fields(attrs, earlier)
    return type("SectionForm", (FlaskForm,), attrs)(**kwargs)


def question_form(
    languages: list[str],
    earlier: list[str],
    items: list[tuple[str, str]],
    option_rows: int,
    **kwargs: Any,
) -> FlaskForm:
    """A question form: code, type, texts per language, settings, options, items, condition."""
    attrs: dict[str, Any] = {
        "code": StringField(_l("Code"), validators=[InputRequired(), Length(max=64)]),
        "type": SelectField(
            _l("Type"),
            choices=[SelectChoice(t, t) for t in type_names()],
            validators=[InputRequired()],
        ),
        "required": BooleanField(_l("An answer is required")),
        "option_rows": HiddenField(default=str(option_rows)),
        "fingerprint": HiddenField(),
        "items": SelectMultipleField(
            _l("Items"),
            choices=[SelectChoice(code, label) for code, label in items],
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
        ),
    }
    for lang in languages:
        attrs[f"text_{lang}"] = TextAreaField(_l("Question"), validators=[Length(max=10_000)])
        attrs[f"help_{lang}"] = TextAreaField(_l("Help text"), validators=[Length(max=10_000)])
    for name in SETTING_NAMES:
        kind = next(rules[name] for rules in SETTINGS.values() if name in rules)
        if kind == "bool":
            attrs[f"s_{name}"] = BooleanField(name)
        else:
            attrs[f"s_{name}"] = StringField(name, validators=[Length(max=40)])
    for i in range(option_rows):
        attrs[f"opt_{i}_code"] = StringField(_l("Code"), validators=[Length(max=64)])
        attrs[f"opt_{i}_value"] = StringField(_l("Value"), validators=[Length(max=40)])
        for lang in languages:
            attrs[f"opt_{i}_label_{lang}"] = StringField(
                _l("Label"), validators=[Length(max=10_000)]
            )
    _condition_fields(attrs, earlier)
    return type("QuestionForm", (FlaskForm,), attrs)(**kwargs)


# --- form ↔ service input ------------------------------------------------------------------------


def _texts(form: FlaskForm, prefix: str, languages: list[str]) -> dict[str, str]:
    return {lang: form[f"{prefix}_{lang}"].data or "" for lang in languages}


def _number(field: str, raw: str, whole: bool = False) -> float | int:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise FormInputError(field, str(_l("Enter a number."))) from None
    if not math.isfinite(value):
        raise FormInputError(field, str(_l("Enter a number.")))
    if whole:
        if value != int(value):
            raise FormInputError(field, str(_l("Enter a whole number.")))
        return int(value)
    return value


def _condition(form: FlaskForm) -> dict[str, Any] | None:
    code = form.cond_question.data
    if not code:
        return None
    test, raw = form.cond_test.data, (form.cond_value.data or "").strip()
    if test == "answered":
        return {"question": code, "answered": True}
    if not raw:
        raise FormInputError("cond_value", str(_l("Enter the value the condition tests.")))
    if test == "in":
        return {"question": code, "in": [v.strip() for v in raw.split(",") if v.strip()]}
    if test in ("gte", "lte"):
        return {"question": code, test: _number("cond_value", raw)}
    return {"question": code, "equals": raw}


def _condition_data(condition: dict[str, Any] | None) -> dict[str, Any]:
    if not condition:
        return {"cond_question": ""}
    test = next((t for t in CONDITION_TESTS if t in condition), "equals")
    value = condition.get(test)
    if test == "in":
        value = ", ".join(str(v) for v in value or [])
    elif test == "answered":
        value = ""
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    return {"cond_question": condition.get("question", ""), "cond_test": test, "cond_value": value}


def section_input(form: FlaskForm, languages: list[str]) -> SectionInput:
    """The service input of a submitted section form (``FormInputError`` if unreadable)."""
    return SectionInput(
        code=(form.code.data or "").strip(),
        title=_texts(form, "title", languages),
        description=_texts(form, "description", languages),
        display_condition=_condition(form),
    )


def section_data(data: SectionInput, languages: list[str]) -> dict[str, Any]:
    """Form data prefilled from a section."""
    out: dict[str, Any] = {
        "code": data.code,
        "fingerprint": fingerprint(data),
        **_condition_data(data.display_condition),
    }
    for lang in languages:
        out[f"title_{lang}"] = data.title.get(lang, "")
        out[f"description_{lang}"] = data.description.get(lang, "")
    return out


def question_input(form: FlaskForm, languages: list[str]) -> QuestionInput:
    """The service input of a submitted question form (``FormInputError`` if unreadable)."""
    type_name = form.type.data
    rules = SETTINGS.get(type_name, {})
    settings: dict[str, Any] = {}
    for name, kind in rules.items():
        field = form[f"s_{name}"]
        if kind == "bool":
            settings[name] = bool(field.data)
        elif kind == "choice":
            continue  # profile fields are set by imports, kept as they are
        elif (field.data or "").strip():
            settings[name] = _number(f"s_{name}", field.data.strip(), whole=kind == "int")
    options = []
    if type_name in OPTION_TYPES | SCALE_TYPES:
        for i in range(int(form.option_rows.data or 0)):
            code = (form[f"opt_{i}_code"].data or "").strip()
            if not code:
                continue
            raw = (form[f"opt_{i}_value"].data or "").strip()
            value = _number(f"opt_{i}_value", raw) if raw else None
            options.append(OptionInput(code, _texts(form, f"opt_{i}_label", languages), value))
    items = list(form.items.data or []) if type_name in ITEM_TYPES | {"rating"} else []
    return QuestionInput(
        code=(form.code.data or "").strip(),
        type=type_name,
        text=_texts(form, "text", languages),
        help=_texts(form, "help", languages),
        required=bool(form.required.data),
        settings=settings,
        options=options,
        item_codes=items,
        display_condition=_condition(form),
    )


def question_data(data: QuestionInput, languages: list[str]) -> dict[str, Any]:
    """Form data prefilled from a question."""
    out: dict[str, Any] = {
        "code": data.code,
        "fingerprint": fingerprint(data) if data.code else "",
        "type": data.type,
        "required": data.required,
        "items": list(data.item_codes),
        **_condition_data(data.display_condition),
    }
    for lang in languages:
        out[f"text_{lang}"] = data.text.get(lang, "")
        out[f"help_{lang}"] = data.help.get(lang, "")
    for name, kind in SETTINGS.get(data.type, {}).items():
        if kind == "bool":
            default = BOOL_DEFAULTS.get(name, name == "dont_know" and bool(data.options))
            out[f"s_{name}"] = bool(data.settings.get(name, default))
        elif name in data.settings:
            out[f"s_{name}"] = str(data.settings[name])
    for i, o in enumerate(data.options):
        out[f"opt_{i}_code"] = o.code
        value = o.value
        out[f"opt_{i}_value"] = (
            "" if value is None else str(int(value) if value == int(value) else value)
        )
        for lang in languages:
            out[f"opt_{i}_label_{lang}"] = o.label.get(lang, "")
    return out


# --- objectives, items, stakeholder groups --------------------------------------------------------

TEXT_LABELS = {
    "title": _l("Title"),
    "label": _l("Label"),
    "description": _l("Description"),
    "name": _l("Name"),
}
ITEM_KIND_LABELS = {"action": _l("Action"), "challenge": _l("Challenge")}


def entry_form(
    kind: EntryKind, languages: list[str], objectives: list[tuple[str, str]], **kwargs: Any
) -> FlaskForm:
    """A form for one objective, item or stakeholder group: code, texts per language, extras."""
    attrs: dict[str, Any] = {
        "code": StringField(_l("Code"), validators=[InputRequired(), Length(max=64)]),
        "fingerprint": HiddenField(),
    }
    for name in TEXT_FIELDS[kind]:
        for lang in languages:
            widget = TextAreaField if name == "description" else StringField
            attrs[f"{name}_{lang}"] = widget(TEXT_LABELS[name], validators=[Length(max=10_000)])
    if kind == EntryKind.ITEM:
        attrs["item_kind"] = SelectField(
            _l("Kind"),
            choices=[SelectChoice(k, v) for k, v in ITEM_KIND_LABELS.items()],
            validators=[AnyOf(list(ITEM_KIND_LABELS))],
        )
        attrs["objective"] = SelectField(
            _l("Objective"),
            choices=[SelectChoice("", _l("(no objective)"))]
            + [SelectChoice(code, label) for code, label in objectives],
            validators=[AnyOf(["", *[code for code, _ in objectives]])],
        )
    if kind == EntryKind.GROUP:
        attrs["target_share"] = StringField(_l("Target share (0–1)"), validators=[Length(max=40)])
    return type("EntryForm", (FlaskForm,), attrs)(**kwargs)


def entry_input(form: FlaskForm, kind: EntryKind, languages: list[str]) -> EntryInput:
    """The service input of a submitted entry form (``FormInputError`` if unreadable)."""
    data = EntryInput(
        code=(form.code.data or "").strip(),
        texts={name: _texts(form, name, languages) for name in TEXT_FIELDS[kind]},
    )
    if kind == EntryKind.ITEM:
        data.item_kind = form.item_kind.data
        data.objective = form.objective.data or ""
    if kind == EntryKind.GROUP:
        raw = (form.target_share.data or "").strip()
        data.target_share = float(_number("target_share", raw)) if raw else None
    return data


def entry_data(data: EntryInput, languages: list[str]) -> dict[str, Any]:
    """Form data prefilled from an entry."""
    out: dict[str, Any] = {
        "code": data.code,
        "fingerprint": fingerprint(data),
        "item_kind": data.item_kind,
        "objective": data.objective,
        "target_share": "" if data.target_share is None else str(data.target_share),
    }
    for name, texts in data.texts.items():
        for lang in languages:
            out[f"{name}_{lang}"] = texts.get(lang, "")
    return out
