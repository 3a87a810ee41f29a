"""The subset of XLSForm (XPath) expressions that Consult understands, both ways.

XLSForm ``relevant`` and ``constraint`` cells are XPath. Consult's display conditions
(``consult.services.participation.condition_met``) and question settings express only a little
of it, so this module parses exactly that little — with a tokenizer and a recursive-descent
parser, never ``eval`` — and refuses everything else with a reason (``UnsupportedExpression``).

``relevant`` → display condition (one question per condition)::

    ${q} = 'x'                      {"question": "q", "equals": "x"}
    selected(${q}, 'x')             {"question": "q", "equals": "x"}
    ${q} = 'a' or selected(${q}, 'b') ...   {"question": "q", "in": ["a", "b"]}
    ${q} >= 3   /   ${q} <= 3       {"question": "q", "gte": 3}   /   {"question": "q", "lte": 3}
    ${q} >= 1 and ${q} <= 5         {"question": "q", "gte": 1, "lte": 5}
    ${q} = 3                        {"question": "q", "gte": 3, "lte": 3}
    ${q} != ''   /   ${q} = ''      {"question": "q", "answered": true}   /   ``false``

``constraint`` → bounds (``.`` is the question's own value; ``and`` combines them)::

    . >= 0  /  . <= 100                         {"min": 0} / {"max": 100}
    count-selected(.) >= 1  /  ... <= 3         {"min_select": 1} / {"max_select": 3}
    string-length(.) <= 150                     {"max_length": 150}

Operands may be swapped (``0 <= .``) and the whole expression may be parenthesised. Strict
comparisons (``>``, ``<``), ``not``, arithmetic, other functions, and conditions on two
questions are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_EXPRESSION = 1000  # characters
MAX_DEPTH = 20  # nested parentheses

Number = int | float


class UnsupportedExpression(ValueError):
    """The expression is outside the supported subset; ``reason`` says why, for a report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- the syntax tree -----------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """``${name}``: another question's value."""

    name: str


@dataclass(frozen=True)
class Current:
    """``.``: the question's own value."""


@dataclass(frozen=True)
class Literal:
    """A string or number literal."""

    value: str | Number


@dataclass(frozen=True)
class Call:
    """A function call such as ``selected(${q}, 'x')``."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    """``left op right`` with op one of ``= != >= <= > <``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Logical:
    """``a and b and ...`` or ``a or b or ...``."""

    op: str
    terms: tuple[Node, ...]


Node = Ref | Current | Literal | Call | Compare | Logical

# --- tokens and parser -----------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{\s*(?P<refname>[A-Za-z_][\w.\-]*)\s*\})
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<number>-?(?:\d+(?:\.\d*)?|\.\d+))
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<punct>[(),])
      | (?P<dot>\.)
      | (?P<name>[A-Za-z_][\w\-]*)
    )""",
    re.VERBOSE,
)
_FLIPPED = {"=": "=", "!=": "!=", ">=": "<=", "<=": ">=", ">": "<", "<": ">"}


def tokenize(text: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pairs; ``UnsupportedExpression`` at the first character not understood."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise UnsupportedExpression(f"unexpected {text[pos:].strip()[:20]!r}")
        kind = next(
            k for k in ("ref", "string", "number", "op", "punct", "dot", "name") if match[k]
        )
        tokens.append((kind, match["refname"] if kind == "ref" else match[kind]))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (text is not None and token[1] != text):
            found = "the end" if token is None else repr(token[1])
            raise UnsupportedExpression(f"expected {text or kind}, found {found}")
        self.pos += 1
        return token[1]

    def at(self, kind: str, text: str) -> bool:
        return self.peek() == (kind, text)

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise UnsupportedExpression("too deeply nested")
        node = self.logical("or", self.and_expression)
        self.depth -= 1
        return node

    def and_expression(self) -> Node:
        return self.logical("and", self.comparison)

    def logical(self, op: str, operand: Any) -> Node:
        terms = [operand()]
        while self.at("name", op):
            self.pos += 1
            terms.append(operand())
        return terms[0] if len(terms) == 1 else Logical(op, tuple(terms))

    def comparison(self) -> Node:
        left = self.primary()
        token = self.peek()
        if token is not None and token[0] == "op":
            self.pos += 1
            return Compare(token[1], left, self.primary())
        return left

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise UnsupportedExpression("the expression ends too early")
        kind, text = token
        self.pos += 1
        if kind == "punct" and text == "(":
            node = self.expression()
            self.take("punct", ")")
            return node
        if kind == "ref":
            return Ref(text)
        if kind == "dot":
            return Current()
        if kind == "string":
            return Literal(text[1:-1])
        if kind == "number":
            return Literal(float(text) if "." in text else int(text))
        if kind == "name" and self.at("punct", "("):
            self.pos += 1
            args: list[Node] = []
            if not self.at("punct", ")"):
                args.append(self.expression())
                while self.at("punct", ","):
                    self.pos += 1
                    args.append(self.expression())
            self.take("punct", ")")
            return Call(text, tuple(args))
        raise UnsupportedExpression(f"unexpected {text!r}")


def parse(text: str) -> Node:
    """The syntax tree of an expression of the subset's grammar."""
    if len(text) > MAX_EXPRESSION:
        raise UnsupportedExpression(f"longer than {MAX_EXPRESSION} characters")
    tokens = tokenize(text)
    if not tokens:
        raise UnsupportedExpression("the expression is empty")
    parser = _Parser(tokens)
    node = parser.expression()
    if parser.peek() is not None:
        raise UnsupportedExpression(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return node


# --- relevant → display condition -------------------------------------------------------------


def relevant_to_condition(text: str) -> dict[str, Any]:
    """The display condition equivalent to an XLSForm ``relevant`` expression."""
    return _condition(parse(text))


def _condition(node: Node) -> dict[str, Any]:
    if isinstance(node, Logical):
        parts = [_condition(term) for term in node.terms]
        return _combine_or(parts) if node.op == "or" else _combine_and(parts)
    if isinstance(node, Call):
        if node.name != "selected":
            raise UnsupportedExpression(f"the function {node.name}() is not supported")
        if len(node.args) != 2 or not isinstance(node.args[0], Ref):
            raise UnsupportedExpression("selected() needs a ${question} and a choice")
        choice = node.args[1]
        if not isinstance(choice, Literal) or not isinstance(choice.value, str):
            raise UnsupportedExpression("selected() needs a quoted choice name")
        return {"question": node.args[0].name, "equals": choice.value}
    if isinstance(node, Compare):
        op, left, right = node.op, node.left, node.right
        if isinstance(right, Ref) and not isinstance(left, Ref):
            op, left, right = _FLIPPED[op], right, left
        if not isinstance(left, Ref) or not isinstance(right, Literal):
            raise UnsupportedExpression("a comparison must compare a ${question} with a value")
        return _compare(left.name, op, right.value)
    raise UnsupportedExpression("a condition must compare a ${question} with a value")


def _compare(question: str, op: str, value: str | Number) -> dict[str, Any]:
    if isinstance(value, str):
        if op == "=":
            return (
                {"question": question, "answered": False}
                if value == ""
                else ({"question": question, "equals": value})
            )
        if op == "!=" and value == "":
            return {"question": question, "answered": True}
        if op == "!=":
            raise UnsupportedExpression("'not equal to a value' is not supported")
        raise UnsupportedExpression(f"{op} needs a number, not a quoted value")
    if op == "=":
        return {"question": question, "gte": value, "lte": value}
    if op in (">=", "<="):
        return {"question": question, "gte" if op == ">=" else "lte": value}
    if op in (">", "<"):
        raise UnsupportedExpression(f"strict comparisons ({op}) are not supported; use >= or <=")
    raise UnsupportedExpression("'not equal to a number' is not supported")


def _combine_or(parts: list[dict[str, Any]]) -> dict[str, Any]:
    question = _single_question(parts)
    values: list[Any] = []
    for part in parts:
        if set(part) == {"question", "equals"}:
            values.append(part["equals"])
        elif set(part) == {"question", "in"}:
            values.extend(part["in"])
        else:
            raise UnsupportedExpression("'or' can only join choices of one question")
    return {"question": question, "in": list(dict.fromkeys(values))}


def _combine_and(parts: list[dict[str, Any]]) -> dict[str, Any]:
    question = _single_question(parts)
    merged: dict[str, Any] = {"question": question}
    for part in parts:
        bounds = set(part) - {"question"}
        if not bounds <= {"gte", "lte"} or bounds & set(merged):
            raise UnsupportedExpression("'and' can only join one >= and one <= of one question")
        merged.update(part)
    return merged


def _single_question(parts: list[dict[str, Any]]) -> str:
    questions = {part["question"] for part in parts}
    if len(questions) != 1:
        raise UnsupportedExpression("a condition may only depend on one question")
    return questions.pop()


# --- constraint → bounds -----------------------------------------------------------------------

_BOUNDS = {
    ("value", ">="): "min",
    ("value", "<="): "max",
    ("count-selected", ">="): "min_select",
    ("count-selected", "<="): "max_select",
    ("string-length", "<="): "max_length",
}


def constraint_to_bounds(text: str) -> dict[str, Number]:
    """Bounds (``min``, ``max``, ``min_select``, ``max_select``, ``max_length``) of a constraint."""
    node = parse(text)
    terms = node.terms if isinstance(node, Logical) and node.op == "and" else (node,)
    bounds: dict[str, Number] = {}
    for term in terms:
        key, value = _bound(term)
        if key in bounds:
            raise UnsupportedExpression(f"two bounds of the same kind ({key})")
        bounds[key] = value
    return bounds


def _bound(node: Node) -> tuple[str, Number]:
    if not isinstance(node, Compare):
        raise UnsupportedExpression("a constraint must compare . with a number")
    op, left, right = node.op, node.left, node.right
    if isinstance(left, Literal):
        op, left, right = _FLIPPED[op], right, left
    if not isinstance(right, Literal) or isinstance(right.value, str):
        raise UnsupportedExpression("a constraint must compare . with a number")
    if isinstance(left, Current):
        subject = "value"
    elif isinstance(left, Call) and left.args == (Current(),):
        subject = left.name
    else:
        raise UnsupportedExpression("a constraint must be about the question's own value (.)")
    key = _BOUNDS.get((subject, op))
    if key is None:
        what = "." if subject == "value" else f"{subject}(.)"
        raise UnsupportedExpression(f"'{what} {op} n' is not supported")
    return key, right.value


# --- back to XPath (export) ---------------------------------------------------------------------


def format_number(value: Number) -> str:
    """A number as XPath writes it (no exponent); ints stay ints, floats keep a decimal point."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(float(value))), "f")
    return text if "." in text else text + ".0"


def format_string(value: str) -> str:
    """A quoted XPath string literal (XPath 1.0 has no escapes: one kind of quote only)."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise UnsupportedExpression("a value with both kinds of quote cannot be written in XPath")


def condition_to_relevant(condition: dict[str, Any], multiple: bool = False) -> str:
    """The ``relevant`` expression of a display condition (``multiple``: a select_multiple)."""
    ref = "${" + str(condition["question"]) + "}"

    def equals(value: Any) -> str:
        if not isinstance(value, str):
            raise UnsupportedExpression("only text values can be compared with '='")
        quoted = format_string(value)
        return f"selected({ref}, {quoted})" if multiple else f"{ref} = {quoted}"

    if "answered" in condition:
        return f"{ref} != ''" if condition["answered"] else f"{ref} = ''"
    if "equals" in condition:
        return equals(condition["equals"])
    if "in" in condition:
        if not condition["in"]:
            raise UnsupportedExpression("an empty 'in' list cannot be written")
        return " or ".join(equals(v) for v in condition["in"])
    parts = [
        f"{ref} {op} {format_number(condition[key])}"
        for key, op in (("gte", ">="), ("lte", "<="))
        if key in condition
    ]
    if not parts:
        raise UnsupportedExpression("the condition has no test")
    return " and ".join(parts)


def bounds_to_constraint(bounds: dict[str, Number]) -> str:
    """The ``constraint`` expression of bounds (the inverse of ``constraint_to_bounds``)."""
    subjects = {v: k for k, v in _BOUNDS.items()}
    parts = []
    for key, value in bounds.items():
        subject, op = subjects[key]
        left = "." if subject == "value" else f"{subject}(.)"
        parts.append(f"{left} {op} {format_number(value)}")
    return " and ".join(parts)
