"""Helpers for the translation catalogs: where they are, what the source asks for, and whether
the compiled ``.mo`` files match the ``.po`` files (``make test`` and ``make run`` build them)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "consult" / "translations"
LANGUAGES = ("tr", "en", "ar")
COMPILE_COMMAND = ".venv/bin/pybabel compile -d consult/translations"
# The keywords of the documented extract command (pybabel extract -k _l -k lazy_gettext ...).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as f:
        return read_po(f, locale=language)


def source_msgids() -> set[str | tuple[str, ...]]:
    """Every msgid the code and templates use, extracted as babel.cfg says."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set[str | tuple[str, ...]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def _key(value: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)


def _messages(catalog: Catalog) -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    """The messages ``pybabel compile`` writes: translated and not fuzzy."""
    return {_key(m.id): _key(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


def stale_catalogs() -> list[str]:
    """Languages whose ``.mo`` is missing or does not hold what the ``.po`` says."""
    stale = []
    for language in LANGUAGES:
        mo = po_path(language).with_suffix(".mo")
        if not mo.exists():
            stale.append(language)
            continue
        catalog = read_catalog(language)
        # an untranslated plural entry is compiled with the msgids as its forms: not a difference
        untranslated = {
            _key(m.id)
            for m in catalog
            if m.id and isinstance(m.string, tuple) and not any(m.string)
        }
        with mo.open("rb") as f:
            compiled = {k: v for k, v in _messages(read_mo(f)).items() if k not in untranslated}
        expected = {k: v for k, v in _messages(catalog).items() if k not in untranslated}
        if compiled != expected:
            stale.append(language)
    return stale


def require_compiled_catalogs() -> None:
    """Fail (one line) when the ``.mo`` files are missing or older than the ``.po`` files."""
    import pytest

    stale = stale_catalogs()
    if stale:
        pytest.fail(
            f"translation catalogs not compiled or out of date ({', '.join(stale)}): "
            f"run `{COMPILE_COMMAND}` (make test does this)",
            pytrace=False,
        )
