"""Import an XLSForm (``.xlsx``, as written for KoboToolbox/ODK) as a new draft consultation.

The workbook is read by pyxform (``parse_file_to_json``), never cell by cell here, after its zip
container has been checked (``check_xlsx``: size, entry count, total uncompressed size). What
Consult can express is imported; everything else is listed in the ``TransferReport`` (where,
what, why) — nothing is dropped silently.

Mapping (XLSForm → Consult):

- ``label::English (en)`` and other ``::Language (code)`` columns → texts keyed by language code;
  a name without a code (``Türkçe``, ``Arabic``) is looked up; the consultation's languages are
  those found (languages the platform does not offer are left out and reported); the default
  language is the settings sheet's ``default_language``, else the first found. Columns without
  a language (plain ``label``) are in that default language, else in ``language``.
- ``select_one`` → single choice; with ``appearance`` ``likert`` and numeric choice names
  (plus an optional ``dont_know``) → rating scale. ``select_multiple`` → multiple choice.
  ``rank`` → ranking whose choices become items (optional extension column ``top_k``).
  ``integer``/``decimal`` → number (``integer`` setting). ``text`` → short text, or long text with
  ``appearance`` ``multiline``.
- A group with ``appearance`` ``table-list`` whose rows are ``select_one`` of one list with
  numeric choice names (plus optional ``dont_know``) → matrix: rows become items.
- Other groups → sections (a nested group is flattened into its top-level section);
  questions outside any group → a default section per run of them.
- ``note``: the first row of a section (before any question) becomes the section's
  description; other notes are reported and not imported.
- ``required`` (yes/true) → required; ``relevant`` → display condition and ``constraint`` →
  settings, only through ``consult.services.expressions`` (a documented subset; others are
  reported, and the question is imported without them).
- ``choice_filter`` is ignored with a warning (all choices are shown); ``repeat``,
  ``calculate``, ``geopoint``, dates, media and metadata are reported and not imported.
"""

from __future__ import annotations

import io
import re
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from consult.models import (
    AnonymityMode,
    Consultation,
    ConsultationState,
    Item,
    ItemKind,
    Option,
    Question,
    QuestionItem,
    Round,
    Section,
    User,
)
from consult.services.errors import ServiceError
from consult.services.expressions import (
    UnsupportedExpression,
    constraint_to_bounds,
    relevant_to_condition,
)
from consult.services.transfer import (
    LANGUAGE_RE,
    MAX_CODE,
    TransferReport,
    adopt,
    audit,
    check_new_slug,
    count_questionnaire,
    require_importer,
)

MAX_XLSX_BYTES = 10 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
DONT_KNOW = "dont_know"

# pyxform's type names → how XLSForm authors write them (for messages)
XLSFORM_TYPE = {"select one": "select_one", "select all that apply": "select_multiple"}
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "username",
        "email",
        "phonenumber",
        "subscriberid",
        "simserial",
        "audit",
        "start-geopoint",
        "background-audio",
    }
)
KNOWN_KEYS = frozenset(
    {
        "type",
        "name",
        "label",
        "hint",
        "bind",
        "control",
        "parameters",
        "itemset",
        "list_name",
        "choices",
        "children",
        "choice_filter",
        "top_k",
    }
)
KNOWN_BIND = frozenset({"required", "relevant", "constraint", "jr:constraintMsg"})
QUIET_APPEARANCES = frozenset(
    {"field-list", "table-list", "multiline", "likert", "label", "list-nolabel"}
)
TABLE_HEADER = "reserved_name_for_field_list_labels_"  # pyxform's rewrite of table-list groups
TABLE_LABEL = "generated_table_list_label_"
CONSTRAINT_KEYS = {
    "number": {"min", "max"},
    "multiple_choice": {"min_select", "max_select"},
    "short_text": {"max_length"},
    "long_text": {"max_length"},
}
_TRUE = frozenset({"yes", "true", "true()", "1"})
_FALSE = frozenset({"", "no", "false", "false()", "0"})
_CODE_IN_NAME = re.compile(r"\(\s*([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,4})?)\s*\)\s*$")


# --- the container ------------------------------------------------------------------------------


def check_xlsx(data: bytes) -> None:
    """Refuse what is not a plausible ``.xlsx`` before any parser sees it.

    Checks the file size, that it is a zip archive holding a workbook, the number of entries and
    their total uncompressed size as declared in the zip directory. Python's ``zipfile`` never
    inflates an entry beyond its declared size, so a lying directory cannot bypass the limit.
    """
    if len(data) > MAX_XLSX_BYTES:
        raise ServiceError(f"the XLSForm is larger than {MAX_XLSX_BYTES // 2**20} MB")
    if not data.startswith(b"PK\x03\x04"):
        raise ServiceError(
            "not an .xlsx workbook (an .xls, .csv or .ods file? save it as .xlsx first)"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ServiceError("not an .xlsx workbook: the zip archive is damaged") from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ServiceError(f"refused: the .xlsx holds more than {MAX_ZIP_ENTRIES} files")
    if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
        raise ServiceError(
            f"refused: the .xlsx unpacks to more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB"
        )
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise ServiceError("not an .xlsx workbook (a zip archive without a workbook)")


def read_xlsform(data: bytes, report: TransferReport, stem: str = "form") -> dict[str, Any]:
    """The form as pyxform parses it; its warnings (and the reader's) go to ``report``."""
    check_xlsx(data)
    messages: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{stem}.xlsx"
        path.write_bytes(data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                from pyxform.xls2json import parse_file_to_json

                form = parse_file_to_json(str(path), warnings=messages)
            except Exception as exc:  # untrusted input: any parser failure is the file's fault
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise ServiceError(f"the XLSForm cannot be read: {first}") from None
    for message in messages:
        report.add("XLSForm", " ".join(message.split()), "pyxform warning")
    for warning in caught:
        report.add("workbook", str(warning.message), "spreadsheet reader warning")
    if not isinstance(form, dict):
        raise ServiceError("the XLSForm cannot be read")
    return form


# --- languages ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    """Language names (English and native, case-folded) → code, from Babel's CLDR data."""
    from babel import Locale
    from babel.localedata import locale_identifiers

    names: dict[str, str] = {}
    for code, name in Locale("en").languages.items():
        if code.isalpha():
            names.setdefault(name.casefold(), code)
    for code in locale_identifiers():
        if "_" not in code:
            native = Locale.parse(code).language_name
            if native:
                names.setdefault(native.casefold(), code)
    return names


def language_code(name: str) -> str | None:
    """The code of an XLSForm language: ``"English (en)"`` → ``en``, ``"Türkçe"`` → ``tr``."""
    match = _CODE_IN_NAME.search(name)
    if match:
        return match.group(1).lower()
    plain = name.strip()
    if re.fullmatch(r"[a-z]{2,3}", plain):
        return plain
    return _language_names().get(plain.casefold())


def slugify(text: str) -> str:
    """A slug from a form id: ASCII letters and digits joined by single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].strip("-")
    return slug or "imported-form"


# --- import -------------------------------------------------------------------------------


def import_xlsform(
    session: Session,
    data: bytes,
    slug: str | None = None,
    actor: User | None = None,
    allowed_languages: Sequence[str] | None = None,
    language: str | None = None,
    filename: str = "form.xlsx",
) -> tuple[Consultation, TransferReport]:
    """Create a draft consultation from an XLSForm workbook's bytes.

    Parameters: ``slug`` (default: from the form id); ``allowed_languages`` the platform's
    languages; ``language`` the code of label columns that name no language (default: the
    form's default language, else ``en``); ``filename`` names the form when its settings don't.
    Raises ``ServiceError`` for an unreadable or unsafe file, ``Conflict`` for a taken slug,
    ``Forbidden`` unless ``actor`` (None: the command line) may create consultations; the
    actor becomes the new consultation's facilitator. Flushes, never commits; records a
    ``consultation.import`` event.
    """
    require_importer(actor)
    if language is not None and not LANGUAGE_RE.match(language):
        raise ServiceError(f"{language!r} is not a language code such as 'en'")
    report = TransferReport(format="xlsform")
    ascii_stem = unicodedata.normalize("NFKD", Path(filename).stem).encode("ascii", "ignore")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_stem.decode())[:60].strip("_") or "form"
    form = read_xlsform(data, report, stem)
    consultation = _FormImporter(form, report, allowed_languages, language).build()
    consultation.slug = check_new_slug(session, slug or slugify(str(form.get("id_string", stem))))
    session.add(consultation)
    session.flush()
    adopt(session, consultation, actor)
    report.counts = count_questionnaire(consultation)
    audit(session, consultation, "consultation.import", actor, report.as_dict())
    return consultation, report


class _FormImporter:
    """Turns pyxform's dict into unsaved models, reporting what it leaves out."""

    def __init__(
        self,
        form: dict[str, Any],
        report: TransferReport,
        allowed: Sequence[str] | None,
        language: str | None,
    ) -> None:
        self.form = form
        self.report = report
        self.allowed = list(allowed) if allowed is not None else None
        self.fallback = language
        self.lang: dict[str, str | None] = {}  # XLSForm language name → code (None: left out)
        self.languages: list[str] = []
        self.default = "en"
        self.round = Round(number=1)
        self.sections: list[Section] = []
        self.defaults: set[int] = set()  # ids of default sections (for questions outside groups)
        self.questions: list[Question] = []
        self.items: dict[str, Item] = {}
        self.code_of: dict[str, str] = {}  # XLSForm name → question code
        self.conditions: list[tuple[Section | Question, str]] = []
        self.title: dict[str, str] = {}

    # languages and texts
    def find_languages(self) -> None:
        found: list[str] = []

        def visit(node: Any) -> None:
            if isinstance(node, dict):
                for key in ("label", "hint"):
                    value = node.get(key)
                    if isinstance(value, dict):
                        found.extend(k for k in value if k not in found)
                for key in ("children", "choices"):
                    if isinstance(node.get(key), list):
                        for child in node[key]:
                            visit(child)

        visit(self.form)
        for choices in (self.form.get("choices") or {}).values():
            for choice in choices:
                visit(choice)
        declared = str(self.form.get("default_language") or "default")
        default = language_code(declared) if declared != "default" else None
        plain = self.fallback or default or "en"
        for name in found:
            code = plain if name == "default" else language_code(name)
            if code is None:
                raise ServiceError(
                    f"unknown language {name!r} in a label column: write it as 'Name (code)', "
                    "e.g. label::English (en)"
                )
            if self.allowed is not None and code not in self.allowed:
                self.report.add(
                    f"language {name}",
                    "texts not imported",
                    f"{code!r} is not offered here (languages: {', '.join(self.allowed)})",
                )
                self.lang[name] = None
                continue
            self.lang[name] = code
            if code not in self.languages:
                self.languages.append(code)
        if not found:
            self.languages = [plain]
        if not self.languages:
            raise ServiceError("none of the XLSForm's languages is offered here")
        self.default = default if default in self.languages else self.languages[0]

    def texts(self, value: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            value = {"default": value}
        out: dict[str, str] = {}
        for name, text in value.items():
            code = self.lang.get(name, self.languages[0] if name == "default" else None)
            if code is not None and str(text).strip() and code not in out:
                out[code] = str(text)
        return out

    # the consultation
    def build(self) -> Consultation:
        self.find_languages()
        self.title = {self.default: str(self.form.get("title") or self.form.get("name") or "")}
        self.settings_report()
        self.walk(self.form.get("children", []))
        if not self.questions:
            raise ServiceError("the XLSForm has no question that Consult can import")
        self.resolve_conditions()
        self.drop_empty_sections()
        self.round.title = dict(self.title)
        self.round.sections = self.sections
        self.round.questions = self.questions
        for i, question in enumerate(self.questions):
            question.position = i
        return Consultation(
            slug="",
            state=ConsultationState.DRAFT,
            languages=self.languages,
            default_language=self.default,
            anonymity=AnonymityMode.CONFIDENTIAL,
            open_link=False,
            title=dict(self.title),
            items=list(self.items.values()),
            rounds=[self.round],
        )

    def drop_empty_sections(self) -> None:
        """Leave out sections without questions; name the default sections in order."""
        used = {id(q.section) for q in self.questions}
        for section in self.sections:
            if id(section) not in used and any(section.description.values()):
                self.report.add(
                    section.code, "note not imported", "its section has no importable question"
                )
        self.sections = [s for s in self.sections if id(s) in used]
        taken = {s.code for s in self.sections if id(s) not in self.defaults}
        for i, section in enumerate(self.sections):
            section.position = i
            if id(section) in self.defaults:
                section.code = self.unique("default", taken)
                taken.add(section.code)

    def settings_report(self) -> None:
        known = {"type", "name", "title", "id_string", "sms_keyword", "default_language"}
        known |= {"version", "clean_text_values"}  # about the file, not the questionnaire
        for key in self.form:
            if key not in known and key not in ("children", "choices"):
                self.report.add("settings", f"{key} not imported", "Consult has no such setting")

    def walk(self, children: list[dict[str, Any]]) -> None:
        default: Section | None = None
        for child in children:
            kind = child.get("type")
            name = str(child.get("name", ""))
            if kind == "group" and name == "meta" and (child.get("control") or {}).get("bodyless"):
                continue  # pyxform's own instanceID
            if kind in ("group", "repeat"):
                default = None
                self.group(child, None, None)
            else:
                if default is None:
                    default = self.new_section("default", None, dict(self.title))
                self.add(child, default, None)

    def group(self, group: dict[str, Any], section: Section | None, inherited: str | None) -> None:
        """A top-level group becomes a section; a nested one is flattened into ``section``."""
        name = str(group.get("name", ""))
        if group.get("type") == "repeat":
            self.report.add(name, "repeat group not imported", "Consult asks each question once")
            return
        note, header, rows = _table_parts(group)
        label_source = note if note is not None else group
        label = self.texts(label_source.get("label"))
        relevant = (group.get("bind") or {}).get("relevant")
        own: str | None = None
        if section is None:
            section = self.new_section(name, group, label or {self.default: name})
        else:
            self.check_keys(group, name)
            if relevant and inherited:
                self.report.add(
                    name, f"relevant {relevant!r} not imported", "conditions can't nest"
                )
            own = relevant or inherited
            if header is None and label:
                self.report.add(
                    name,
                    f"nested group flattened into section {section.code}",
                    "Consult sections do not nest; the group's label is not kept",
                )
        if header is not None and self.matrix_fits(name, header, rows):
            self.add_matrix(name, label_source, header, rows, section, own)
            return
        for child in rows:
            if child.get("type") in ("group", "repeat"):
                self.group(child, section, own)
            else:
                self.add(child, section, own)

    def new_section(
        self, name: str, group: dict[str, Any] | None, title: dict[str, str]
    ) -> Section:
        code = self.unique(name, {s.code for s in self.sections})
        section = Section(code=code, position=len(self.sections), title=title, description={})
        if group is not None:
            self.check_keys(group, code)
            relevant = (group.get("bind") or {}).get("relevant")
            if relevant:
                self.conditions.append((section, str(relevant)))
        else:
            self.defaults.add(id(section))
        self.sections.append(section)
        return section

    @staticmethod
    def unique(code: str, taken: set[str] | list[str]) -> str:
        candidate, n = code, 2
        while candidate in taken:
            candidate = f"{code}_{n}"
            n += 1
        return candidate

    # questions
    def add(self, child: dict[str, Any], section: Section, inherited: str | None) -> None:
        kind = str(child.get("type"))
        name = str(child.get("name", ""))
        written = XLSFORM_TYPE.get(kind, kind)
        if kind == "note":
            self.add_note(child, section)
            return
        if kind in METADATA_TYPES:
            self.report.add(
                name, f"{written} not imported", "metadata is not asked of participants"
            )
            return
        if kind in ("select one", "select all that apply", "rank"):
            choices = self.choices_of(child)
            if not choices:
                self.report.add(
                    name, f"{written} not imported", "its choices come from a file or are missing"
                )
                return
            child = {**child, "choices": choices}
        appearance = str((child.get("control") or {}).get("appearance", ""))
        builders = {
            "select one": self.choice_question,
            "select all that apply": self.choice_question,
            "rank": self.rank_question,
            "integer": self.number_question,
            "decimal": self.number_question,
            "text": self.text_question,
        }
        builder = builders.get(kind)
        if builder is None:
            self.report.add(name, f"{written} question not imported", "Consult has no such type")
            return
        question = builder(child, kind, appearance)
        if question is None:
            return
        self.place(question, child, section, inherited)

    def choices_of(self, child: dict[str, Any]) -> list[dict[str, Any]]:
        """A select's choices: pyxform embeds them in the question, or only names the list."""
        if child.get("choices"):
            return list(child["choices"])
        lists = self.form.get("choices") or {}
        return list(lists.get(str(child.get("itemset") or child.get("list_name") or "")) or [])

    def place(
        self, question: Question, child: dict[str, Any], section: Section, inherited: str | None
    ) -> None:
        name = str(child.get("name", ""))
        if len(name) > MAX_CODE:
            raise ServiceError(f"the name {name[:20]!r}… is longer than {MAX_CODE} characters")
        code = name
        if code in {q.code for q in self.questions}:
            code = self.unique(f"{section.code}_{name}", {q.code for q in self.questions})
            self.report.add(name, f"renamed to {code}", "another question has the same name")
        question.code = code
        self.code_of.setdefault(name, code)
        question.section = section
        question.text = self.texts(child.get("label"))
        question.help = self.texts(child.get("hint"))
        question.required = self.required(child)
        question.display_condition = None
        bind = child.get("bind") or {}
        relevant = bind.get("relevant")
        if relevant and inherited:
            self.report.add(
                name, f"the group's relevant {inherited!r} not applied", "it has its own relevant"
            )
        if relevant or inherited:
            self.conditions.append((question, str(relevant or inherited)))
        if bind.get("constraint"):
            self.constraint(question, str(bind["constraint"]), name)
        if bind.get("jr:constraintMsg"):
            self.report.add(
                name, "constraint message not imported", "Consult shows its own translated message"
            )
        if child.get("choice_filter"):
            self.report.add(
                name,
                f"choice_filter {child['choice_filter']!r} ignored",
                "warning: every choice will be shown",
            )
        self.check_keys(child, name)
        self.questions.append(question)

    def required(self, child: dict[str, Any]) -> bool:
        value = str((child.get("bind") or {}).get("required", "")).strip()
        if value.lower() in _TRUE:
            return True
        if value.lower() not in _FALSE:
            self.report.add(
                str(child.get("name")), f"required {value!r} not imported", "only yes/no is"
            )
        return False

    def constraint(self, question: Question, text: str, name: str) -> None:
        allowed = CONSTRAINT_KEYS.get(question.type, set())
        try:
            bounds = constraint_to_bounds(text)
        except UnsupportedExpression as exc:
            self.report.add(name, f"constraint {text!r} not imported", exc.reason)
            return
        if not set(bounds) <= allowed:
            self.report.add(
                name,
                f"constraint {text!r} not imported",
                f"it does not fit a {question.type.replace('_', ' ')} question",
            )
            return
        if "max_length" in bounds and not isinstance(bounds["max_length"], int):
            self.report.add(name, f"constraint {text!r} not imported", "a length is whole")
            return
        question.settings = {**question.settings, **bounds}

    def options(self, choices: list[dict[str, Any]], numeric: bool = False) -> list[Option]:
        return [
            Option(
                code=str(c["name"]),
                position=i,
                value=_scale_value(str(c["name"])) if numeric else None,
                label=self.texts(c.get("label")) or {self.default: str(c["name"])},
            )
            for i, c in enumerate(choices)
        ]

    def report_choices(self, child: dict[str, Any]) -> None:
        name = str(child.get("name"))
        extra = sorted(
            {k for c in child.get("choices", []) for k in c if k not in ("name", "label")}
        )
        for key in extra:
            why = "choice media are not shown" if key == "media" else "Consult has no such column"
            if not (child.get("choice_filter") and key != "media"):
                self.report.add(name, f"choices column {key!r} ignored", why)

    def choice_question(self, child: dict[str, Any], kind: str, appearance: str) -> Question:
        choices = child["choices"]
        self.report_choices(child)
        scale = _scale(choices)
        if kind == "select one" and "likert" in appearance.split() and scale is not None:
            return Question(type="rating", settings=scale, options=self.options(choices, True))
        type_ = "single_choice" if kind == "select one" else "multiple_choice"
        return Question(type=type_, settings={}, options=self.options(choices))

    def rank_question(self, child: dict[str, Any], kind: str, appearance: str) -> Question:
        self.report_choices(child)
        items = [
            self.item(str(c["name"]), self.texts(c.get("label")), str(child.get("list_name")))
            for c in child["choices"]
        ]
        settings: dict[str, Any] = {}
        if child.get("top_k") is not None:
            try:
                settings["top_k"] = int(str(child["top_k"]))
            except ValueError:
                self.report.add(str(child["name"]), "top_k not imported", "it is not a number")
        return Question(
            type="ranking",
            settings=settings,
            question_items=[QuestionItem(item=it, position=i) for i, it in enumerate(items)],
        )

    def number_question(self, child: dict[str, Any], kind: str, appearance: str) -> Question:
        return Question(type="number", settings={"integer": True} if kind == "integer" else {})

    def text_question(self, child: dict[str, Any], kind: str, appearance: str) -> Question:
        long = "multiline" in appearance.split()
        return Question(type="long_text" if long else "short_text", settings={})

    def add_note(self, child: dict[str, Any], section: Section) -> None:
        name = str(child.get("name"))
        first = not section.description and not any(q.section is section for q in self.questions)
        if first and not (child.get("bind") or {}).get("relevant"):
            section.description = self.texts(child.get("label"))
            return
        self.report.add(name, "note not imported", "only a note opening a group is kept")

    def item(self, code: str, label: dict[str, str], prefix: str) -> Item:
        existing = self.items.get(code)
        if existing is not None and existing.label == label:
            return existing
        if existing is not None:
            new_code = self.unique(f"{prefix}_{code}", set(self.items))
            self.report.add(code, f"item renamed to {new_code}", "another item has this name")
            code = new_code
        item = Item(code=code, kind=ItemKind.ACTION, position=len(self.items), label=label)
        self.items[code] = item
        return item

    # matrix: a table-list group of select_one rows on one numeric scale
    def matrix_fits(self, name: str, header: dict[str, Any], rows: list[dict[str, Any]]) -> bool:
        selects = all(r.get("type") == "select one" and self.choices_of(r) for r in rows)
        if rows and selects and _scale(self.choices_of(header)) is not None:
            return True
        self.report.add(
            name,
            "table-list group imported as separate questions",
            "a matrix needs select_one rows on one list of numeric choices",
        )
        return False

    def add_matrix(
        self,
        name: str,
        label_source: dict[str, Any],
        header: dict[str, Any],
        rows: list[dict[str, Any]],
        section: Section,
        condition: str | None,
    ) -> None:
        choices = self.choices_of(header)
        required = [self.required(r) for r in rows]
        if any(required) and not all(required):
            self.report.add(name, "required not imported", "only some of its rows are required")
        for row in rows:
            if set(row.get("bind") or {}) - {"required"} or row.get("hint"):
                self.report.add(
                    str(row.get("name")), "row settings not imported", "a matrix row is an item"
                )
        items = [self.item(str(r.get("name")), self.texts(r.get("label")), name) for r in rows]
        question = Question(
            type="matrix",
            settings=_scale(choices),
            options=self.options(choices, True),
            question_items=[QuestionItem(item=it, position=i) for i, it in enumerate(items)],
        )
        child = {
            "type": "group",
            "name": name,
            "label": label_source.get("label"),
            "hint": label_source.get("hint"),
            "bind": {"required": "yes" if all(required) else ""},
        }
        self.place(question, child, section, condition)

    # conditions
    def resolve_conditions(self) -> None:
        imported = {q.code for q in self.questions}
        for owner, text in self.conditions:
            where = owner.code
            try:
                condition = relevant_to_condition(text)
            except UnsupportedExpression as exc:
                self.report.add(where, f"relevant {text!r} not imported", exc.reason)
                continue
            ref = self.code_of.get(condition["question"], condition["question"])
            if ref not in imported or (isinstance(owner, Question) and ref == owner.code):
                self.report.add(
                    where,
                    f"relevant {text!r} not imported",
                    f"it depends on {condition['question']!r}, which is not an imported question",
                )
                continue
            owner.display_condition = {**condition, "question": ref}

    def check_keys(self, child: dict[str, Any], where: str) -> None:
        for key in child:
            if key not in KNOWN_KEYS:
                why = "media are not shown" if key == "media" else "Consult has no such column"
                self.report.add(where, f"column {key!r} ignored", why)
        for key in child.get("bind") or {}:
            if key not in KNOWN_BIND:
                self.report.add(where, f"{key} not imported", "Consult has no such setting")
        parameters = child.get("parameters") or {}
        if parameters:
            shown = " ".join(f"{k}={v}" for k, v in parameters.items())
            self.report.add(where, f"parameters {shown!r} ignored", "Consult has no such setting")
        appearance = str((child.get("control") or {}).get("appearance", ""))
        for word in appearance.split():
            if word not in QUIET_APPEARANCES:
                self.report.add(where, f"appearance {word!r} ignored", "display hint only")


def _scale_value(name: str) -> float | None:
    if name == DONT_KNOW:
        return None
    try:
        value = float(name)
    except ValueError:
        return None
    return value if value == value and abs(value) < 1e12 else None


def _scale(choices: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Settings of a numeric scale (``scale_min``, ``scale_max``, ``dont_know``), or None."""
    values: list[float] = []
    dont_know = False
    for choice in choices:
        name = str(choice.get("name"))
        value = _scale_value(name)
        if name == DONT_KNOW:
            dont_know = True
        elif value is None or value != int(value):
            return None
        else:
            values.append(value)
    if not values:
        return None
    return {"scale_min": int(min(values)), "scale_max": int(max(values)), "dont_know": dont_know}


def _table_parts(
    group: dict[str, Any],
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[dict[str, Any]]]:
    """pyxform rewrites a ``table-list`` group: its label moves to a generated note and a
    header select is inserted. Returns (that note, that header, the other children)."""
    children = group.get("children", [])
    note = next(
        (
            c
            for c in children
            if c.get("type") == "note" and str(c.get("name", "")).startswith(TABLE_LABEL)
        ),
        None,
    )
    header = next((c for c in children if str(c.get("name", "")).startswith(TABLE_HEADER)), None)
    rows = [c for c in children if c is not note and c is not header]
    return note, header, rows
