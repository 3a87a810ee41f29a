"""Interface language: selection, text direction and the template helpers.

The language of a request is, in order:

1. ``?lang=<code>`` on any URL, when ``code`` is one of ``LANGUAGES`` (case and region are
   ignored: ``AR``, ``ar-EG`` and ``ar_EG`` all mean ``ar``); it is remembered in the session;
2. the language remembered in the session;
3. the best match of the browser's ``Accept-Language`` among ``LANGUAGES``;
4. on participant pages, the consultation's default language;
5. ``BABEL_DEFAULT_LOCALE``.

An unknown ``lang`` (``?lang=xx``, ``?lang=``, garbage) is ignored silently: the page is served
in the language the visitor would have had without it, nothing is stored and no error is shown.
Nobody should get an error page for following a link with a stale or mistyped language code.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import get_locale, refresh

from consult.extensions import babel
from consult.services.consultations import localized

SESSION_KEY = "lang"
FALLBACK_KEY = "fallback_language"
QUERY_ARG = "lang"


def supported_languages() -> tuple[str, ...]:
    """The interface languages configured for this app."""
    return tuple(current_app.config["LANGUAGES"])


def normalize_language(raw: str | None, supported: Iterable[str]) -> str | None:
    """The supported language code ``raw`` asks for, or None (``"AR-eg"`` → ``"ar"``)."""
    if not raw:
        return None
    code = raw.strip().replace("_", "-").lower()
    choices = tuple(supported)
    if code in choices:
        return code
    primary = code.split("-", 1)[0]
    return primary if primary in choices else None


def select_locale() -> str:
    """Flask-Babel's ``locale_selector``: query argument, session, Accept-Language, then the
    consultation's default language on participant pages, then ``BABEL_DEFAULT_LOCALE``."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    supported = supported_languages()
    requested = normalize_language(request.args.get(QUERY_ARG), supported)
    if requested:
        return requested
    stored = session.get(SESSION_KEY)
    if stored in supported:
        return stored
    fallback = g.get(FALLBACK_KEY)
    return request.accept_languages.best_match(supported) or (
        fallback if fallback in supported else default
    )


def prefer_fallback_language(code: str | None) -> None:
    """Use ``code`` (a consultation's default language) when nothing else chose a language.

    Call it before anything is translated in the request (a URL value preprocessor does).
    """
    g.setdefault(FALLBACK_KEY, code)


def remember_language() -> None:
    """Store a valid ``?lang=`` in the session, whether or not the page renders a template.

    Also forget a locale cached on ``g`` before this request: Flask-Babel caches it on the
    application context, which outlives a request when one was pushed around it (tests, CLI).
    """
    refresh()
    requested = normalize_language(request.args.get(QUERY_ARG), supported_languages())
    if requested and session.get(SESSION_KEY) != requested:
        session[SESSION_KEY] = requested


def vary_on_language(response: Response) -> Response:
    """Caches must keep one copy per language: pages depend on Accept-Language (not files)."""
    if request.endpoint != "static":
        response.vary.add("Accept-Language")
    return response


def current_language() -> str:
    """The language code of the current request (``"tr"``, ``"en"``, ``"ar"``)."""
    locale = get_locale()
    return locale.language if locale is not None else current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=64)
def text_direction(code: str) -> str:
    """``"rtl"`` for right-to-left languages (Arabic, Persian), else ``"ltr"``."""
    return Locale.parse(code).text_direction


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """A language's name in that language (Türkçe, English, العربية)."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def text_language(texts: dict[str, str] | None, fallback: str | None = None) -> str:
    """The language that :func:`tr_text` picks for ``texts`` (for ``lang`` attributes)."""
    texts = texts or {}
    for code in (current_language(), fallback):
        if code and texts.get(code, "").strip():
            return code
    return next((k for k, v in texts.items() if v.strip()), current_language())


def tr_text(texts: dict[str, str] | None, fallback: str | None = None) -> str:
    """A consultation's text in the current language, else in ``fallback`` (its default)."""
    default = fallback or current_app.config["BABEL_DEFAULT_LOCALE"]
    return localized(texts or {}, current_language(), default)


def language_url(code: str) -> str:
    """A relative link to the current page in ``code`` (other query arguments kept)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != QUERY_ARG]
    args.append((QUERY_ARG, code))
    return "?" + urlencode(args)


def template_context() -> dict[str, Any]:
    """What every page needs to know about languages (also used by the error pages)."""
    code = current_language()
    return {
        "current_language": code,
        "text_direction": text_direction(code),
        "languages": [
            {"code": c, "name": language_name(c), "dir": text_direction(c)}
            for c in supported_languages()
        ],
    }


def init_app(app: Flask) -> None:
    """Wire Flask-Babel with :func:`select_locale` and give templates the language helpers."""
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(remember_language)
    app.after_request(vary_on_language)
    app.context_processor(template_context)
    app.jinja_env.globals.update(
        tr_text=tr_text,
        text_language=text_language,
        text_dir=text_direction,
        language_url=language_url,
    )
