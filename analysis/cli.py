"""Command line: ``python -m analysis rank ...`` and ``python -m analysis delphi ...``.

The contract (others script against it):

* ``rank FILE.csv --kind KIND --method METHOD [--weights respondent|equal-groups|post-stratified]
  [--group-shares SHARES.csv] [--scale-max N] [--bootstrap N] [--seed S] [--confidence 0.95]
  [--top-k K] [--by-group] [--min-group-size K] [--format json|csv]``, plus
  ``--borda-partial averaged|zero|dowdall`` and ``--option KEY=VALUE`` (method options).
* ``delphi FILE.csv [--agree-min V] [--agree-share S] [--iqr-max Q] [--format json|csv]``
* ``methods [--kind KIND]`` lists the registered methods.

JSON (UTF-8) goes to standard output; exit status 0.  On bad input the exit status is 2 and
standard error gets exactly one line, ``error: FILE: line L, column C (name): what is wrong``
(``line`` is the physical line of the file, the header being line 1) — never a traceback.
Unexpected failures exit with status 1, also with one line.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from analysis.data import InputError
from analysis.registry import KINDS

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        _fail(" ".join(message.split()), EXIT_BAD_INPUT)


def _fail(message: str, status: int) -> NoReturn:
    sys.stderr.write("error: " + " ".join(str(message).split()) + "\n")
    sys.stderr.flush()
    raise SystemExit(status)


def _option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as a number, true/false, or else a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    raw = raw.strip()
    value: Any = raw
    if raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
    else:
        for convert in (int, float):
            try:
                value = convert(raw)
                break
            except ValueError:
                continue
    return key.replace("-", "_"), value


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m analysis",
        description="Defensible priority rankings from long-format consultation data.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{rank,delphi,methods}")

    r = sub.add_parser(
        "rank",
        help="rank items from one kind of data",
        description="Rank items; JSON with scores, ranks, intervals, agreement and groups.",
    )
    r.add_argument("file", metavar="FILE.csv", help="long-format CSV file (UTF-8), or - for stdin")
    r.add_argument("--kind", required=True, help="kind of data: " + ", ".join(KINDS))
    r.add_argument("--method", required=True, help="method name (see: python -m analysis methods)")
    r.add_argument(
        "--weights",
        default="respondent",
        choices=["respondent", "equal-groups", "post-stratified"],
        help="respondent weighting (default: respondent)",
    )
    r.add_argument(
        "--group-shares",
        metavar="SHARES.csv",
        help="target shares per group for post-stratified weights (columns group, share)",
    )
    r.add_argument("--scale-max", type=float, metavar="N", help="top of the rating scale")
    r.add_argument(
        "--bootstrap", type=int, default=0, metavar="N", help="bootstrap replicates (default 0)"
    )
    r.add_argument("--seed", type=int, metavar="S", help="bootstrap seed (reproducible results)")
    r.add_argument(
        "--confidence", type=float, default=0.95, help="interval coverage (default 0.95)"
    )
    r.add_argument(
        "--top-k", type=int, metavar="K", help="p_top_k counts ranks <= K (default min(3, items))"
    )
    r.add_argument("--by-group", action="store_true", help="also rank within each group")
    r.add_argument(
        "--min-group-size",
        type=int,
        default=5,
        metavar="K",
        help="suppress groups smaller than K in breakdowns (default 5)",
    )
    r.add_argument(
        "--borda-partial",
        choices=["averaged", "zero", "dowdall"],
        help="borda: points for partial ballots (default averaged: unranked items share the "
        "remaining points); same as --option borda_partial=...",
    )
    r.add_argument(
        "--option",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="method option (repeatable), e.g. --option alpha=0.1; see the method's docs",
    )
    r.add_argument("--format", choices=["json", "csv"], default="json", help="output format")

    d = sub.add_parser(
        "delphi",
        help="Delphi consensus and stability",
        description="Per item and round: median, IQR, share agreeing, consensus; stability.",
    )
    d.add_argument("file", metavar="FILE.csv", help="columns respondent, round, item, value")
    d.add_argument("--agree-min", type=float, default=4.0, metavar="V", help="agree: value >= V")
    d.add_argument(
        "--agree-share", type=float, default=0.75, metavar="S", help="consensus share (0.75)"
    )
    d.add_argument("--iqr-max", type=float, default=1.0, metavar="Q", help="consensus IQR (1)")
    d.add_argument("--format", choices=["json", "csv"], default="json", help="output format")

    m = sub.add_parser("methods", help="list the registered methods")
    m.add_argument("--kind", help="only this kind")
    return parser


def _source(path: str) -> Any:
    return sys.stdin.buffer if path == "-" else path


def _write(text: str) -> None:
    out = getattr(sys.stdout, "buffer", None)
    if out is not None:
        out.write(text.encode("utf-8"))
        out.flush()
    else:  # pragma: no cover - replaced stdout without a buffer
        sys.stdout.write(text)


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return buffer.getvalue()


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options = dict(args.option)
    if args.borda_partial is not None:
        options["borda_partial"] = args.borda_partial
    return options


def _run_rank(args: argparse.Namespace) -> str:
    from analysis.result import ITEM_COLUMNS, rank
    from analysis.weights import read_shares

    shares = None
    if args.group_shares is not None:
        try:
            shares = read_shares(args.group_shares)
        except InputError as exc:
            raise _Located(args.group_shares, exc) from None
    try:
        result = rank(
            _source(args.file),
            args.kind,
            args.method,
            weights=args.weights,
            group_shares=shares,
            scale_max=args.scale_max,
            bootstrap=args.bootstrap,
            seed=args.seed,
            confidence=args.confidence,
            top_k=args.top_k,
            by_group=args.by_group,
            min_group_size=args.min_group_size,
            options=_options(args),
        )
    except InputError as exc:
        raise _Located(args.file if exc.line is not None else None, exc) from None
    payload = result.to_dict()
    if args.format == "json":
        return json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    rows = [dict(row, group="") for row in payload["items"]]
    columns = ITEM_COLUMNS
    if payload["groups"] is not None:
        columns = ["group", *ITEM_COLUMNS]
        for group, entry in payload["groups"].items():
            rows.extend(dict(row, group=group) for row in entry["items"] or [])
    return _csv(rows, columns)


def _run_delphi(args: argparse.Namespace) -> str:
    from analysis.delphi import delphi

    try:
        result = delphi(
            _source(args.file),
            agree_min=args.agree_min,
            agree_share=args.agree_share,
            iqr_max=args.iqr_max,
        )
    except InputError as exc:
        raise _Located(args.file if exc.line is not None else None, exc) from None
    payload = result.to_dict()
    if args.format == "json":
        return json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    columns = ["item", "round", "n", "median", "iqr", "share_agree", "consensus"]
    return _csv(payload["items"], columns)


def _run_methods(args: argparse.Namespace) -> str:
    from analysis.registry import get_method, methods_for

    if args.kind is not None and args.kind not in KINDS:
        raise InputError(f"unknown kind {args.kind!r} (choose from {', '.join(KINDS)})")
    lines = []
    for kind in [args.kind] if args.kind else KINDS:
        for name in methods_for(kind):
            lines.append(f"{kind}\t{name}\t{get_method(kind, name).summary}")
    return "\n".join(lines) + "\n"


class _Located(Exception):
    """An InputError with the file it came from."""

    def __init__(self, path: str | None, error: InputError) -> None:
        super().__init__(str(error))
        self.path, self.error = path, error

    def __str__(self) -> str:
        if self.path is None or self.path == "-":
            return str(self.error)
        return f"{self.path}: {self.error}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (errors exit via SystemExit).

    Examples
    --------
    >>> main(["methods", "--kind", "nonsense"])
    Traceback (most recent call last):
        ...
    SystemExit: 2
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        _fail("choose a command: rank, delphi or methods (see --help)", EXIT_BAD_INPUT)
    runners = {"rank": _run_rank, "delphi": _run_delphi, "methods": _run_methods}
    try:
        text = runners[args.command](args)
    except _Located as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except InputError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except (ValueError, ArithmeticError) as exc:
        _fail(str(exc) or type(exc).__name__, EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:  # never a traceback on the command line
        _fail(f"internal error ({type(exc).__name__}): {exc}", EXIT_FAILURE)
    try:
        _write(text)
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return EXIT_OK
    return EXIT_OK
