"""The priority report's content: plain data for ``templates/reports/report.html``.

Every number comes from ``consult.services.priorities.question_results`` (the function behind
the results page), called with the same defaults as the results page (default method,
``respondent`` weighting, ``DEFAULT_BOOTSTRAP`` replicates, ``DEFAULT_SEED``), so the report
shows the same figures. Nothing is computed here beyond grouping the service's rows by
objective and formatting numbers for the report's language. Stakeholder groups the service
marks ``suppressed`` (fewer than ``k`` respondents) appear only by name, with no figures.

:func:`build_report` must run inside ``flask_babel.force_locale(language)`` (or a request in
that language): headings and the methods appendix are translated with the current locale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babel.numbers import format_decimal, format_percent
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from analysis.groups import POLARISING_SHARE
from consult.i18n import language_name, text_direction
from consult.models import Consultation, ConsultationState, ItemKind
from consult.reports import charts
from consult.services import delphi, open_text, priorities
from consult.services.consultations import localized
from consult.services.priorities import NoAnswers, QuestionResults

Progress = Callable[[str], None]

#: The steps :func:`build_report` reports to ``progress`` (the PDF renderer adds two more).
STEPS = ("priorities", "challenges", "charts")


@dataclass(frozen=True)
class ReportOptions:
    """What the report ranks: the priority question (default: the one asking about the most
    actions) and the challenge question (default: the rating question asking about the most
    challenges), with the results page's defaults for everything else."""

    question_code: str | None = None
    challenge_question_code: str | None = None
    method: str | None = None
    weighting: str = "respondent"
    bootstrap: int | None = None  # None: each method's own default (priorities)
    seed: int | None = priorities.DEFAULT_SEED


def _state_names() -> dict[ConsultationState, str]:
    return {
        ConsultationState.DRAFT: _("Draft"),
        ConsultationState.OPEN: _("Open"),
        ConsultationState.CLOSED: _("Closed"),
        ConsultationState.ARCHIVED: _("Archived"),
    }


def _method_names() -> dict[str, str]:
    return {
        "mean": _("Mean rating"),
        "median": _("Median rating"),
        "top-box": _("Top-two-box share"),
        "borda": _("Borda count"),
        "mean-rank": _("Mean rank"),
        "schulze": _("Schulze method"),
        "copeland": _("Copeland score"),
        "plackett-luce": _("Plackett–Luce model"),
        "bradley-terry": _("Bradley–Terry model"),
        "wiki-survey": _("Wiki-survey score"),
        "count": _("Best–worst count"),
        "mnl": _("Best–worst choice model"),
        "eigenvector": _("AHP weights (eigenvector)"),
        "geometric-mean": _("AHP weights (geometric mean)"),
        "mean-share": _("Mean share of points"),
    }


def _weighting_names() -> dict[str, str]:
    return {
        "respondent": _("every respondent counts once"),
        "equal-groups": _("every stakeholder group has the same weight"),
    }


def method_name(name: str | None) -> str:
    """A method's name for readers (its registry name when it has no translation)."""
    if not name:
        return ""
    return _method_names().get(name, name)


# --------------------------------------------------------------------------------------------
# numbers


class Numbers:
    """Number formatting in the report's language (every figure in the PDF goes through it).

    Scores get as many decimals as the results page shows for the same question (see
    :meth:`for_scores`), so the two show the same figures.
    """

    def __init__(self, language: str, digits: int = 2) -> None:
        self.language = language
        self.digits = digits

    def for_scores(self, values: list[float | None]) -> Numbers:
        """Formatting for one question's scores: the results page's rule (3 decimals below
        10, 2 below 100, else 1)."""
        largest = max((abs(v) for v in values if v is not None), default=0.0)
        return Numbers(self.language, 1 if largest >= 100 else 2 if largest >= 10 else 3)

    def score(self, value: float | None) -> str:
        """A score ("3,764" in Turkish, "3.764" in English and Arabic)."""
        if value is None:
            return "–"
        return format_decimal(value, format="#,##0." + "0" * self.digits, locale=self.language)

    def interval(self, low: float | None, high: float | None) -> str:
        if low is None or high is None:
            return "–"
        return f"{self.score(low)} – {self.score(high)}"

    def ranks(self, low: int | None, high: int | None) -> str:
        if low is None or high is None:
            return "–"
        return self.count(low) if low == high else f"{self.count(low)} – {self.count(high)}"

    def count(self, value: int | None) -> str:
        if value is None:
            return "–"
        return format_decimal(int(value), format="#,##0", locale=self.language)

    def share(self, part: int | None, whole: int | None) -> str:
        if not whole or part is None:
            return "–"
        return self.percent(part / whole)

    def percent(self, value: float) -> str:
        """A whole percentage ("%30" in Turkish, "30%" in English, "30٪" in Arabic)."""
        return format_percent(value, locale=self.language)

    def figure(self, value: float | None) -> str:
        """A median, quartile or IQR on the answer scale, with at most three decimals ("4",
        "3,5" in Turkish), as the Delphi page shows it."""
        if value is None:
            return "–"
        return format_decimal(value, format="#,##0.###", locale=self.language)

    def p_value(self, value: float | None) -> str:
        """A test's p-value with three decimals."""
        if value is None:
            return "–"
        return format_decimal(value, format="0.000", locale=self.language)


# --------------------------------------------------------------------------------------------
# questions


def _asked_kinds(session: Session, consultation: Consultation) -> dict[str, dict[str, int]]:
    """Per priority question code: how many items of each kind it asks about."""
    from sqlalchemy import select

    from consult.models import Item, Question, QuestionItem, Round

    rows = session.execute(
        select(Question.code, Item.kind)
        .join(Round, Round.id == Question.round_id)
        .join(QuestionItem, QuestionItem.question_id == Question.id)
        .join(Item, Item.id == QuestionItem.item_id)
        .where(Round.consultation_id == consultation.id)
    ).all()
    kinds: dict[str, dict[str, int]] = {}
    for code, kind in rows:
        counts = kinds.setdefault(code, {})
        key = ItemKind(kind).value
        counts[key] = counts.get(key, 0) + 1
    return kinds


def choose_questions(
    session: Session, consultation: Consultation, options: ReportOptions, language: str
) -> tuple[priorities.QuestionChoice | None, priorities.QuestionChoice | None]:
    """The priority question and the challenge question the report ranks.

    Raises ``priorities.InvalidParameter`` for a code that is not a priority question.
    """
    choices = priorities.priority_questions(session, consultation, language=language)
    by_code = {c.code: c for c in choices}  # the latest round wins, as in the service
    for code in (options.question_code, options.challenge_question_code):
        if code and code not in by_code:
            raise priorities.InvalidParameter(
                "question", f"no priority question {code!r} in this consultation"
            )
    kinds = _asked_kinds(session, consultation)

    def most(kind: str, allowed: tuple[str, ...] = ()) -> priorities.QuestionChoice | None:
        best: tuple[int, priorities.QuestionChoice] | None = None
        for choice in choices:
            if allowed and choice.kind not in allowed:
                continue
            n = kinds.get(choice.code, {}).get(kind, 0)
            if n and (best is None or n > best[0]):
                best = (n, choice)
        return best[1] if best else None

    question = (
        by_code[options.question_code]
        if options.question_code
        else most(ItemKind.ACTION.value) or (choices[0] if choices else None)
    )
    challenge = (
        by_code[options.challenge_question_code]
        if options.challenge_question_code
        else most(ItemKind.CHALLENGE.value, ("rating",))
    )
    if challenge is not None and question is not None and challenge.code == question.code:
        challenge = None
    return question, challenge


def _results(
    session: Session,
    consultation: Consultation,
    choice: priorities.QuestionChoice | None,
    options: ReportOptions,
    language: str,
    *,
    method: str | None,
) -> QuestionResults | None:
    if choice is None:
        return None
    try:
        return priorities.question_results(
            session,
            consultation,
            choice.code,
            method=method,
            weighting=options.weighting,
            bootstrap=options.bootstrap,
            seed=options.seed,
            language=language,
            round_number=choice.round_number,
        )
    except NoAnswers:
        return None


# --------------------------------------------------------------------------------------------
# sections


def _ranked_rows(items: list[dict[str, Any]], numbers: Numbers) -> list[dict[str, Any]]:
    return [
        {
            "code": row["code"],
            "rank": numbers.count(row["rank"]),
            "label": row["label"],
            "score": numbers.score(row["score"]),
            "interval": numbers.interval(row["ci_low"], row["ci_high"]),
            "ranks": numbers.ranks(row.get("rank_ci_low"), row.get("rank_ci_high")),
        }
        for row in items
    ]


def _scores(results: QuestionResults, numbers: Numbers) -> Numbers:
    return numbers.for_scores([row["score"] for row in results.items])


def _objectives(
    consultation: Consultation, results: QuestionResults | None, numbers: Numbers, language: str
) -> list[dict[str, Any]]:
    """The ranked items under each objective (the order of the service's overall ranking)."""
    if results is None:
        return [
            {
                "id": f"objective-{o.code}",
                "code": o.code,
                "title": localized(o.title or {}, language, consultation.default_language),
                "items": [],
                "source": [],
            }
            for o in sorted(consultation.objectives, key=lambda o: (o.position, o.id))
        ]
    numbers = _scores(results, numbers)
    by_objective: dict[str | None, list[dict[str, Any]]] = {}
    for row in results.items:
        by_objective.setdefault(row["objective"], []).append(row)
    out = []
    for objective in sorted(consultation.objectives, key=lambda o: (o.position, o.id)):
        rows = by_objective.pop(objective.code, [])
        if not rows:
            continue
        out.append(
            {
                "id": f"objective-{objective.code}",
                "code": objective.code,
                "title": localized(objective.title or {}, language, consultation.default_language),
                "items": _ranked_rows(rows, numbers),
                "source": rows,
            }
        )
    for code, rows in by_objective.items():  # items without (or with an unknown) objective
        out.append(
            {
                "id": f"objective-{code or 'none'}",
                "code": code,
                "title": rows[0]["objective_title"] or _("Other actions"),
                "items": _ranked_rows(rows, numbers),
                "source": rows,
            }
        )
    return out


def _participation(results: QuestionResults | None, numbers: Numbers, k: int) -> dict[str, Any]:
    """Respondents per stakeholder group, language and channel (small groups: name only)."""
    if results is None:
        return {
            "rows": [],
            "tables": [],
            "total": numbers.count(0),
            "k": numbers.count(k),
            "hidden_count": 0,
            "groups_reported": numbers.count(0),
        }
    total = int(results.n_respondents)

    def rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "code": e["code"],
                "name": e["label"],
                "hidden": bool(e["suppressed"]),
                "n": numbers.count(e["n"]),
                "share": numbers.share(e["n"], total) if not e["suppressed"] else "",
            }
            for e in entries
        ]

    groups = rows(results.counts["by_group"])
    hidden = sum(1 for g in groups if g["hidden"])
    languages = [
        {**row, "name": language_name(row["code"])} for row in rows(results.counts["by_language"])
    ]
    return {
        "rows": groups,
        "tables": [
            {
                "caption": _("Respondents by language of answering"),
                "heading": _("Language"),
                "rows": [r for r in languages if not r["hidden"]],
            },
            {
                "caption": _("Respondents online and in workshops"),
                "heading": _("Channel"),
                "rows": [r for r in rows(results.counts["by_source"]) if not r["hidden"]],
            },
        ],
        "total": numbers.count(total),
        "k": numbers.count(results.min_group_size),
        "hidden_count": hidden,
        "groups_reported": numbers.count(len(groups) - hidden),
    }


def _group_comparison(results: QuestionResults | None, numbers: Numbers) -> dict[str, Any]:
    if results is None:
        return {
            "columns": [],
            "rows": [],
            "hidden": "",
            "differs": [],
            "polarising": [],
            "consensus": [],
        }
    shown = results.shown_groups
    differs = {d["code"] for d in results.group_differences or [] if d["differs"]}
    rows = [
        {
            "label": item["label"],
            "rank": numbers.count(item["rank"]),
            "cells": [numbers.count(g["ranks"].get(item["code"])) for g in shown],
            "differs": item["code"] in differs,
            "polarising": item["code"] in results.polarising_items,
            "consensus": item["code"] in results.consensus_items,
        }
        for item in results.items
    ]
    return {
        "columns": [g["name"] for g in shown],
        "rows": rows if shown else [],
        "hidden": ", ".join(results.suppressed_groups),
        "differs": [r["label"] for r in rows if r["differs"]],
        "polarising": [r["label"] for r in rows if r["polarising"]],
        "consensus": [r["label"] for r in rows if r["consensus"]],
    }


def _question_block(results: QuestionResults | None, numbers: Numbers) -> dict[str, Any] | None:
    if results is None:
        return None
    numbers = _scores(results, numbers)
    return {
        "code": results.question["code"],
        "question": results.question["text"],
        "method": method_name(results.method["name"]),
        "items": _ranked_rows(results.items, numbers),
        "chart": None,
        "n": numbers.count(results.n_respondents),
    }


def _quotes(session: Session, consultation: Consultation, language: str) -> list[dict[str, Any]]:
    """The quotes the analysts selected (identifying details removed), by question; each in
    the language it was written in."""
    by_question: dict[tuple[int, str], dict[str, Any]] = {}
    for quote in open_text.selected_quotes(session, consultation, label_language=language):
        entry = by_question.setdefault(
            (quote.round_number, quote.question_code),
            {"question": quote.question_text, "quotes": []},
        )
        entry["quotes"].append({"text": quote.text, "lang": quote.language, "dir": quote.direction})
    return list(by_question.values())


def _methods(
    question: QuestionResults | None,
    challenge: QuestionResults | None,
    options: ReportOptions,
    numbers: Numbers,
    k: int,
) -> list[dict[str, Any]]:
    """The plain-language appendix, with this report's actual choices filled in."""
    blocks: list[dict[str, Any]] = []
    asked = []
    for results in (question, challenge):
        if results is not None:
            asked.append(
                ngettext(
                    "“%(question)s”: %(responses)s response.",
                    "“%(question)s”: %(responses)s responses.",
                    results.n_respondents,
                    question=results.question["text"],
                    responses=numbers.count(results.n_respondents),
                )
            )
    blocks.append(
        {
            "id": "methods-data",
            "title": _("What people were asked"),
            "paragraphs": [
                _(
                    "The results use submitted responses only: answers that were started but "
                    "not sent, and withdrawn responses, are left out. A person who skipped an "
                    "item, or answered “don't know”, is simply not counted for that item."
                ),
                *asked,
            ],
        }
    )
    scoring = [
        _(
            "Each action gets a score from the answers, and the actions are ranked by their "
            "score. Actions with exactly the same score share a rank (1, 2, 2, 4)."
        )
    ]
    for results in (question, challenge):
        if results is not None:
            scoring.append(
                _(
                    "“%(question)s” — %(method)s. %(explanation)s",
                    question=results.question["text"],
                    method=method_name(results.method["name"]),
                    explanation=results.method["explanation"],
                )
            )
    blocks.append(
        {"id": "methods-scores", "title": _("How the scores are computed"), "paragraphs": scoring}
    )
    replicates = (
        question.bootstrap
        if question is not None
        else (options.bootstrap or priorities.DEFAULT_BOOTSTRAP)
    )
    confidence = question.confidence if question is not None else 0.95
    blocks.append(
        {
            "id": "methods-uncertainty",
            "title": _("How sure the ranking is"),
            "paragraphs": [
                _(
                    "A different set of people might have answered a little differently. To "
                    "show how much that could matter, the analysis re-draws the respondents at "
                    "random %(replicates)s times (a “bootstrap”) and recomputes every score. "
                    "The interval is the range that holds the middle %(level)s of those "
                    "scores; the rank range is the same range for the rank.",
                    replicates=numbers.count(replicates),
                    level=numbers.percent(confidence),
                ),
                _(
                    "When the intervals of two actions overlap a lot, the data cannot really "
                    "tell which of them comes first: read their order as a tie."
                ),
            ],
        }
    )
    weighting = (
        _(
            "Every stakeholder group has the same total weight, however many of its members "
            "answered, so that a large group cannot simply outvote small ones."
        )
        if options.weighting == "equal-groups"
        else _(
            "Every respondent counts once. Groups that sent more people therefore weigh more "
            "in the overall ranking; the group comparison shows where this matters."
        )
    )
    blocks.append(
        {"id": "methods-weights", "title": _("Whose voice counts"), "paragraphs": [weighting]}
    )
    k = question.min_group_size if question is not None else k
    blocks.append(
        {
            "id": "methods-groups",
            "title": _("Comparing groups and protecting small ones"),
            "paragraphs": [
                _(
                    "Each stakeholder group's answers are also ranked on their own. For every "
                    "action, a statistical test (Kruskal–Wallis) asks whether the groups answer "
                    "it differently, and a correction for testing many actions at once "
                    "(Benjamini–Hochberg) keeps the share of false alarms below %(rate)s.",
                    rate=numbers.percent(priorities.SIGNIFICANCE),
                ),
                _(
                    "An action is “polarising” when at least %(share)s of respondents put it "
                    "near the top of the scale and at least %(share)s near the bottom. It shows "
                    "“consensus” when the groups do not differ and their average answers are "
                    "close.",
                    share=numbers.percent(POLARISING_SHARE),
                ),
                _(
                    "A group with fewer than %(k)s respondents is never shown on its own, so "
                    "that nobody in a small group can be recognised; its answers still count in "
                    "every overall result.",
                    k=numbers.count(k),
                ),
            ],
        }
    )
    seed = question.seed if question is not None else options.seed
    blocks.append(
        {
            "id": "methods-reproduce",
            "title": _("Repeating the analysis"),
            "paragraphs": [
                _(
                    "The same answers and the same settings always give the same numbers. "
                    "Settings of this report: %(weighting)s; %(replicates)s bootstrap "
                    "replicates; random seed %(seed)s. The results page of the consultation and "
                    "the command line show the same figures.",
                    weighting=_weighting_names().get(options.weighting, options.weighting),
                    replicates=numbers.count(replicates),
                    seed=seed if seed is not None else "–",
                )
            ],
        }
    )
    return blocks


# --------------------------------------------------------------------------------------------
# Delphi rounds


def _consensus_text(consensus: bool, direction: str | None) -> str:
    if not consensus:
        return _("No")
    if direction == "disagree":
        return _("Yes, disagreement")
    return _("Yes, agreement")


def _stable_text(stable: bool | None) -> str:
    if stable is None:
        return "–"
    return _("Yes") if stable else _("No")


def _delphi_item(item: dict[str, Any], numbers: Numbers) -> dict[str, Any]:
    """One item's rows (one per round, with the stability since the round before)."""
    into = {t["to_round"]: t for t in item["transitions"]}
    rows = []
    for entry in item["rounds"]:
        step = into.get(entry["round"])
        rows.append(
            {
                "round": numbers.count(entry["round"]),
                "n": numbers.count(entry["n"]),
                "median": numbers.figure(entry["median"]),
                "iqr": numbers.figure(entry["iqr"]),
                "consensus": _consensus_text(bool(entry["consensus"]), entry["direction"]),
                "changed": (
                    numbers.percent(step["share_changed"])
                    if step and step["share_changed"] is not None
                    else "–"
                ),
                "p": numbers.p_value(step["wilcoxon_p"]) if step else "–",
                "stable": _stable_text(step["stable"]) if step else "–",
            }
        )
    first = item["first_consensus_round"]
    return {
        "code": item["code"],
        "label": item["label"],
        "rows": rows,
        "first_consensus": (
            _("Consensus first reached in round %(round)s.", round=numbers.count(first))
            if first is not None
            else _("No consensus in any round so far.")
        ),
    }


def _delphi_recommendation(summary: dict[str, Any], numbers: Numbers) -> dict[str, Any]:
    recommendation = summary["recommendation"]
    decision = recommendation["decision"]
    based_on = summary["based_on_round"]
    if decision == "stop":
        text = _(
            "Recommendation: stop. In round %(round)s every item (%(settled)s of %(items)s) is "
            "in consensus or stable.",
            round=numbers.count(based_on),
            settled=numbers.count(recommendation["n_settled"]),
            items=numbers.count(recommendation["n_items"]),
        )
    elif decision == "continue":
        text = _(
            "Recommendation: run another round. In round %(round)s, %(unsettled)s of %(items)s "
            "items are neither in consensus nor stable: %(labels)s.",
            round=numbers.count(based_on),
            unsettled=numbers.count(len(recommendation["unsettled"])),
            items=numbers.count(recommendation["n_items"]),
            labels="; ".join(u["label"] for u in recommendation["unsettled"]),
        )
    else:
        text = _("No recommendation yet: no panelist has answered a round.")
    return {"decision": decision, "text": text}


def _delphi(
    session: Session, consultation: Consultation, numbers: Numbers, language: str
) -> dict[str, Any] | None:
    """The Delphi section (None unless the consultation is a Delphi): every figure, threshold
    and the recommendation come from ``delphi.delphi_summary``; only formatting happens here."""
    if not delphi.is_delphi(consultation):
        return None
    summary = delphi.delphi_summary(session, consultation, language=language).as_dict()
    thresholds = summary["thresholds"]
    explanation = [
        _(
            "The panel answered the same questions in several rounds (so far: %(rounds)s). "
            "From the second round on, panelists saw the panel's previous result and could "
            "change their answer.",
            rounds=numbers.count(sum(1 for r in summary["rounds"] if r["state"] != "draft")),
        ),
        _(
            "The median is the middle answer; the interquartile range (IQR) is the width of the "
            "middle half of the answers, in scale points. An item reaches consensus in a round "
            "when the IQR is at most %(iqr)s and at least %(share)s of the answers are in the "
            "top %(points)s points of the scale (agreement) or in the bottom %(points)s "
            "(disagreement).",
            iqr=numbers.figure(thresholds["iqr_max"]),
            share=numbers.percent(thresholds["agree_share"]),
            points=numbers.count(int(thresholds["agree_points"])),
        ),
        _(
            "An item is stable between two rounds when at most %(share)s of the panelists who "
            "answered both changed their answer and the Wilcoxon signed-rank test finds no "
            "systematic shift (p of at least %(alpha)s).",
            share=numbers.percent(thresholds["stable_share"]),
            alpha=numbers.p_value(thresholds["significance"]),
        ),
        _(
            "The panel can stop when every item is in consensus or stable in the latest round; "
            "consensus alone is not enough to stop."
        ),
    ]
    if not summary["paired"]:
        explanation.append(
            _(
                "This consultation is anonymous: answers cannot be linked across rounds, so "
                "stability cannot be measured."
            )
        )
    return {
        "explanation": explanation,
        "sources": [s["citation"] for s in summary["sources"]],
        "questions": [
            {
                "code": q["code"],
                "text": q["text"],
                "items": [_delphi_item(item, numbers) for item in q["items"]],
            }
            for q in summary["questions"]
        ],
        "recommendation": _delphi_recommendation(summary, numbers),
        "summary": summary,
    }


def build_report(
    session: Session,
    consultation: Consultation,
    *,
    language: str,
    options: ReportOptions | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Plain data for the report template, in ``language`` (call under ``force_locale``).

    The caller has checked that the reader may analyse the consultation (``Action.ANALYSE``),
    as for ``priorities.question_results``. Raises ``priorities.InvalidParameter`` for an
    unknown question or option.
    """
    options = options or ReportOptions()
    step = progress or (lambda _name: None)
    numbers = Numbers(language)
    now = now or datetime.now(UTC)
    question_choice, challenge_choice = choose_questions(session, consultation, options, language)

    question = _results(
        session, consultation, question_choice, options, language, method=options.method
    )
    step("priorities")
    challenge = _results(session, consultation, challenge_choice, options, language, method=None)
    step("challenges")

    drawing = _Charts(language, numbers)
    objectives = _objectives(consultation, question, numbers, language)
    for objective in objectives:
        source = objective.pop("source")
        objective["chart"] = (
            drawing.dots(f"chart-{objective['id']}", objective["title"], source, question)
            if question is not None
            else None
        )
    priorities_block = _question_block(question, numbers)
    challenges_block = _question_block(challenge, numbers)
    if challenges_block is not None and challenge is not None:
        challenges_block["chart"] = drawing.dots(
            "chart-challenges", _("Challenge severity"), challenge.items, challenge
        )
    groups = _group_comparison(question, numbers)
    groups["chart"] = drawing.heatmap(question) if question is not None else None
    step("charts")

    delphi_block = _delphi(session, consultation, numbers, language)
    k = int(consultation.min_group_size)
    participation = _participation(question, numbers, question.min_group_size if question else k)
    title = localized(consultation.title or {}, language, consultation.default_language)
    summary = {
        "top_items": [
            {
                "objective": o["title"],
                "label": o["items"][0]["label"],
                "score": o["items"][0]["score"],
            }
            for o in objectives
            if o["items"]
        ],
        "top_challenge": (
            {
                "label": challenges_block["items"][0]["label"],
                "score": challenges_block["items"][0]["score"],
            }
            if challenges_block and challenges_block["items"]
            else None
        ),
        "differs": numbers.count(len(groups["differs"])) if groups["differs"] else None,
        "actions": numbers.count(len(question.items) if question else 0),
    }
    toc = [
        {"id": "summary", "title": _("Executive summary")},
        {"id": "participation", "title": _("Participation by group")},
        {
            "id": "priorities",
            "title": _("Priorities per objective"),
            "children": [{"id": o["id"], "title": o["title"]} for o in objectives],
        },
        {"id": "groups", "title": _("Group comparison")},
        {"id": "challenges", "title": _("Challenge severity")},
        *([{"id": "delphi", "title": _("Delphi rounds")}] if delphi_block else []),
        {"id": "quotes", "title": _("Selected comments")},
        {"id": "methods", "title": _("Methods in plain language")},
    ]
    return {
        "lang": language,
        "dir": text_direction(language),
        "language_name": language_name(language),
        "slug": consultation.slug,
        "title": title,
        "organiser": localized(
            consultation.organiser or {}, language, consultation.default_language
        ),
        "state": _state_names()[ConsultationState(consultation.state)],
        "created": format_date(now, "long"),
        "created_iso": now.date().isoformat(),
        "respondents": numbers.count(question.n_respondents if question else 0),
        "confidence": numbers.percent(question.confidence if question else 0.95),
        "has_results": question is not None,
        "priorities": priorities_block,
        "objectives": objectives,
        "groups": groups,
        "challenges": challenges_block,
        "participation": participation,
        "summary": summary,
        "delphi": delphi_block,
        "quotes": _quotes(session, consultation, language),
        "methods": _methods(question, challenge, options, numbers, k),
        "toc": toc,
        # the unformatted service output, for tests and the command line's summary
        "results": {
            "priorities": question.as_dict() if question else None,
            "challenges": challenge.as_dict() if challenge else None,
        },
    }


class _Charts:
    """SVG charts from ``consult.reports.charts``, titled in the report's language.

    The charts' text gets the report's own fonts (``font-family`` on the ``<svg>``): without it
    WeasyPrint would draw it with whatever "sans-serif" the machine has.
    """

    FONTS = "Consult Sans, Consult Arabic"

    def __init__(self, language: str, numbers: Numbers) -> None:
        self.language = language
        self.rtl = text_direction(language) == "rtl"
        self.numbers = numbers

    def _fonts(self, svg: Markup) -> Markup:
        svg_text = str(svg).replace("<svg ", f'<svg font-family="{self.FONTS}" ', 1)
        return Markup(svg_text)  # noqa: S704  (charts escaped every text; the fonts are ours)

    def dots(
        self, chart_id: str, title: str, rows: list[dict[str, Any]], results: QuestionResults
    ) -> Markup | None:
        """Scores and intervals of ``rows`` (the service's item rows)."""
        if not rows:
            return None
        better = (
            _("higher is better") if results.method["higher_is_better"] else _("lower is better")
        )
        description = _(
            "Each dot is a score and each line its %(level)s interval (%(method)s; %(better)s). "
            "The table below gives the same numbers.",
            level=self.numbers.percent(results.confidence),
            method=method_name(results.method["name"]),
            better=better,
        )
        svg = charts.dot_whisker(
            rows,
            title=title,
            description=description,
            chart_id=chart_id,
            axis_label=f"{method_name(results.method['name'])} ({better})",
            rtl=self.rtl,
            number_format=_scores(results, self.numbers).score,
        )
        return self._fonts(svg)

    def heatmap(self, results: QuestionResults) -> Markup | None:
        """Each shown group's rank of each item."""
        groups = results.shown_groups
        if not groups or not results.items:
            return None
        svg = charts.rank_heatmap(
            [{"code": i["code"], "label": i["label"]} for i in results.items],
            [{"name": g["name"], "ranks": g["ranks"]} for g in groups],
            title=_("Rank of each action in each stakeholder group"),
            description=_(
                "One column per stakeholder group, one row per action in the order of the "
                "overall ranking; each cell gives the group's rank of the action, and darker "
                "cells are higher ranks. The table below gives the same numbers."
            ),
            chart_id="chart-groups",
            rtl=self.rtl,
        )
        return self._fonts(svg)


def report_summary_lines(report: dict[str, Any]) -> list[str]:
    """One line per objective: its first-ranked action and score (for the command line)."""
    return [
        f"{top['objective']}: {top['label']} ({top['score']})"
        for top in report["summary"]["top_items"]
    ]
