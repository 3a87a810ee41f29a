"""Reading and validating long-format input: a CSV file or a pandas DataFrame in, a typed frame out.

Every analysis starts here.  :func:`load` checks one *kind* of data (``rating``, ``ranking``,
``pairwise``, ``bestworst``, ``ahp``, ``points``) and returns the *validated frame* the methods
rely on; :func:`load_delphi` does the same for Delphi rounds.  The first problem found is raised
as an :class:`InputError` naming the physical line of the file (the header is line 1; a quoted
field spanning several lines counts all of them) and the column.

Conventions
-----------
* Files are UTF-8 (a byte-order mark is tolerated), comma-separated, with a header row.
* Header names are matched after trimming spaces and lower-casing (``Respondent`` is
  ``respondent``); extra columns are ignored.  Values (respondents, groups, items) only lose
  surrounding spaces: labels are never case-folded, so Turkish and Arabic labels stay intact.
* Blank lines are skipped.  A row may have extra trailing *empty* fields (spreadsheets write them).
* ``group`` is optional; without it every respondent is in group ``"all"``.  A respondent belongs
  to one group only.
* "Don't know" answers are rows left out, never empty values: an empty number is an error.
* AHP values may be written as fractions (``1/3``); values up to 2 % below 1/9 (``0.11``) are
  read as 1/9, and up to 2 % above 9 as 9.
* A DataFrame is checked like a file: its problems are reported at "line" ``position + 2``, i.e.
  where the row would be if the frame were written to CSV with a header.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"respondent": [1, 1], "item": ["Kütüphane", "Park"], "rank": [1, 2]})
>>> load(frame, "ranking")
  respondent group       item  rank
0          1   all  Kütüphane   1.0
1          1   all       Park   2.0
>>> try:
...     load(b"respondent,item,rank\\nr1,A,1\\nr1,A,2\\n", "ranking")
... except InputError as error:
...     print(error.line, error.column, error.message)
3 item respondent 'r1' ranks item 'A' twice (first on line 2)
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.registry import KINDS

__all__ = ["REQUIRED_COLUMNS", "InputError", "load", "load_delphi", "read_table"]

#: Required columns per kind (``group`` is always optional).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "rating": ("respondent", "item", "value"),
    "ranking": ("respondent", "item", "rank"),
    "pairwise": ("respondent", "winner", "loser"),
    "bestworst": ("respondent", "task", "item", "choice"),
    "ahp": ("respondent", "item_a", "item_b", "value"),
    "points": ("respondent", "item", "points"),
    "delphi": ("respondent", "round", "item", "value"),
}

#: Relative tolerance for AHP values just outside [1/9, 9] (rounded 1/9 written as 0.11).
AHP_TOLERANCE = 0.02

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FRACTION = re.compile(r"^([0-9]+(?:\.[0-9]*)?)\s*/\s*([0-9]+(?:\.[0-9]*)?)$")

Source = Any  # a DataFrame, a path, bytes, or a text/binary file object


class InputError(ValueError):
    """Bad input, located at the physical ``line`` (header = 1) and ``column`` of the problem.

    Parameters
    ----------
    message : str
        What is wrong, in one line.
    line : int, optional
        Physical line of the file (the header is line 1).
    column : str or int, optional
        Column name (or 1-based number when there is no usable name).
    column_number : int, optional
        1-based position of the column in the header, when known.

    Examples
    --------
    >>> str(InputError("rank is not a number: 'x'", line=3, column="rank", column_number=4))
    "line 3, column 4 (rank): rank is not a number: 'x'"
    >>> str(InputError("unknown kind 'votes'"))
    "unknown kind 'votes'"
    """

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: str | int | None = None,
        *,
        column_number: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.column_number = column_number

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column_number is not None and isinstance(self.column, str):
            where.append(f"column {self.column_number} ({self.column})")
        elif self.column_number is not None:
            where.append(f"column {self.column_number}")
        elif isinstance(self.column, str):
            where.append(f'column "{self.column}"')
        elif self.column is not None:
            where.append(f"column {self.column}")
        text = " ".join(self.message.splitlines())
        return f"{', '.join(where)}: {text}" if where else text


# --------------------------------------------------------------------------------------------
# Reading: a table of strings plus a way to locate any cell in the original file
# --------------------------------------------------------------------------------------------


@dataclass
class _Table:
    """Raw input: a frame (strings from a file, anything from a DataFrame) and cell locations."""

    frame: pd.DataFrame
    columns: list[str]  # normalised header, in file order
    locate_fn: Callable[[int, str], int]  # (row position, column) -> physical line
    from_file: bool
    pending: InputError | None = None  # a row with the wrong number of fields

    def raise_pending(self) -> None:
        """Raise the first malformed row, once the header has been found usable."""
        if self.pending is not None:
            raise self.pending

    def locate(self, row: int | None, column: str | None) -> tuple[int | None, int | None]:
        line = None if row is None else self.locate_fn(row, column or "")
        number = self.columns.index(column) + 1 if column in self.columns else None
        return line, number

    def error(self, message: str, row: int | None, column: str | None) -> InputError:
        line, number = self.locate(row, column)
        return InputError(message, line, column, column_number=number)


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str | PathLike):
        path = Path(source)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"no such file: {path}") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a directory, not a CSV file") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if hasattr(source, "read"):
        content = source.read()
        return content.encode("utf-8") if isinstance(content, str) else bytes(content)
    raise TypeError(f"cannot read input of type {type(source).__name__}")


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise InputError("the file is empty", line=1)
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise InputError("not a CSV text file (it contains binary data)", line=line)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        prefix = raw[start : exc.start].decode("utf-8", errors="replace")
        try:
            column = len(next(csv.reader([prefix]), [""])) if prefix else 1
        except csv.Error:  # e.g. a lone carriage return before the bad byte
            column = prefix.count(",") + 1
        raise InputError(
            f"not a UTF-8 text file (byte 0x{raw[exc.start]:02x}); save it as CSV UTF-8",
            line=line,
            column=column,
        ) from None


def _line_breaks(text: str) -> int:
    return len(_LINE_BREAK.findall(text))


def read_table(source: Source) -> _Table:
    """Read a CSV file (path, bytes or file object) or wrap a DataFrame, without validating it.

    Header names are trimmed and lower-cased; every value of a file stays a string.

    Examples
    --------
    >>> read_table(b"Respondent, Item\\nr1,A\\n").frame
      respondent item
    0         r1    A
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy(deep=False)  # copy-on-write: the caller's frame is never changed
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        return _Table(frame.reset_index(drop=True), list(frame.columns), lambda r, c: r + 2, False)
    text = _decode(_read_bytes(source))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    starts: list[int] = []
    previous = 0
    try:
        for fields in reader:
            start, previous = previous + 1, reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if header is None:
                header = [f.strip().lower() for f in fields]
                continue
            rows.append(fields)
            starts.append(start)
    except csv.Error as exc:
        raise InputError(f"not a valid CSV file ({exc})", line=reader.line_num) from None
    if header is None:
        raise InputError("the file is empty", line=1)
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name and name in seen:
            raise InputError(
                f"column {name!r} appears twice in the header", 1, name, column_number=position
            )
        seen[name] = position
    width = len(header)
    pending = None
    for r, fields in enumerate(rows):
        if len(fields) < width:
            line = starts[r] + sum(_line_breaks(f) for f in fields)
            pending = InputError(
                f"the row has {len(fields)} fields but the header has {width}",
                line,
                header[len(fields)],
                column_number=len(fields) + 1,
            )
        elif len(fields) > width and any(f.strip() for f in fields[width:]):
            line = starts[r] + sum(_line_breaks(f) for f in fields[:width])
            pending = InputError(
                f"the row has {len(fields)} fields but the header has {width}",
                line,
                column=width + 1,
            )
        else:
            continue
        rows = rows[:r]  # keep only the well-formed rows before it
        break
    columns = {name: [fields[i] for fields in rows] for i, name in enumerate(header) if name}
    frame = pd.DataFrame(columns, dtype=object)

    def locate(row: int, column: str) -> int:
        fields = rows[row]
        index = header.index(column) if column in header else 0
        return starts[row] + sum(_line_breaks(f) for f in fields[:index])

    return _Table(frame, header, locate, True, pending)


# --------------------------------------------------------------------------------------------
# Validation helpers: each check returns the first problem as (row, column, message) or None
# --------------------------------------------------------------------------------------------

Problem = tuple[int, str, str]


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _clean(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _text(values: pd.Series | np.ndarray) -> np.ndarray:
    """Trimmed strings; missing values (None, NaN) become ''.

    Only the distinct values are cleaned (labels repeat a lot), then mapped back.
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    cleaned = np.array([_clean(u) for u in uniques] + [""], dtype=object)
    return cleaned[codes]  # code -1 (missing) picks the trailing ""


def _numbers(values: pd.Series, fractions: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Floats and a mask of entries that are present but not numbers (or not finite)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        return numbers, ~np.isfinite(numbers)
    text = _text(values)
    numbers = np.array(
        pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    )
    if fractions:
        for i in np.flatnonzero(np.isnan(numbers)):
            match = _FRACTION.match(text[i])
            if match and float(match.group(2)) != 0:
                numbers[i] = float(match.group(1)) / float(match.group(2))
    return numbers, ~np.isfinite(numbers)


def _describe(value: Any) -> str:
    missing = value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
    text = "" if missing else str(value).strip()
    return repr(text) if text else "empty"


def _first_positions(keys: list[np.ndarray]) -> np.ndarray:
    """For every row, the position of the first row with the same key (a tuple of columns)."""
    n = len(keys[0])
    combined = np.zeros(n, dtype=np.int64)
    radix = 1
    for key in keys:
        codes, uniques = pd.factorize(np.asarray(key, dtype=object))
        radix *= len(uniques) + 1
        if radix >= 2**62:  # too many distinct keys for one integer: fall back on a tuple key
            codes, _ = pd.factorize(pd.MultiIndex.from_arrays([np.asarray(k) for k in keys]))
            combined = codes.astype(np.int64)
            break
        combined = combined * (len(uniques) + 1) + (codes + 1)
    codes, uniques = pd.factorize(combined)
    first = np.full(len(uniques), n, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(n))
    return first[codes]


def _duplicates(keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mask of rows repeating an earlier key, and the position of the first row with that key."""
    first = _first_positions(keys)
    return first < np.arange(len(first)), first


class _Checker:
    """Runs vectorised checks on a table and keeps the earliest problem."""

    def __init__(self, table: _Table) -> None:
        self.table = table
        self.problems: list[Problem] = []

    def flag(self, mask: np.ndarray, column: str, message: Callable[[int], str]) -> None:
        row = _first(mask)
        if row is not None:
            self.problems.append((row, column, message(row)))

    def raise_first(self) -> None:
        if not self.problems:
            return
        columns = self.table.columns

        def key(problem: Problem) -> tuple[int, int]:
            row, column, _ = problem
            return row, columns.index(column) if column in columns else len(columns)

        row, column, message = min(self.problems, key=key)
        raise self.table.error(message, row, column)

    def text(self, column: str, *, label: str | None = None) -> np.ndarray:
        values = _text(self.table.frame[column])
        self.flag(values == "", column, lambda r: f"empty {label or column}")
        return values

    def number(self, column: str, *, fractions: bool = False) -> np.ndarray:
        raw = self.table.frame[column]
        numbers, bad = _numbers(raw, fractions)
        raw_list = raw.tolist()
        self.flag(
            bad,
            column,
            lambda r: (
                f"{column} is not a number: {_describe(raw_list[r])}"
                if _describe(raw_list[r]) != "empty"
                else f"empty {column} (leave out the row instead)"
            ),
        )
        return numbers


def _require_columns(table: _Table, kind: str) -> None:
    required = REQUIRED_COLUMNS[kind]
    missing = [c for c in required if c not in table.columns]
    if not missing:
        return
    present = [c for c in table.columns if c]
    if table.from_file and len(present) <= 1:
        raise InputError(
            "not a comma-separated file with a header: the first line has "
            f"{len(present)} column{'s' if len(present) != 1 else ''}; expected "
            + ", ".join(required),
            line=1,
        )
    raise InputError(
        f"missing required column {missing[0]!r} for kind {kind!r} "
        f"(expected {', '.join(required)}; the header has {', '.join(present) or 'nothing'})",
        line=1,
        column=missing[0],
    )


def _respondents_and_groups(check: _Checker) -> tuple[np.ndarray, np.ndarray]:
    respondent = check.text("respondent")
    frame = check.table.frame
    if "group" in check.table.columns:
        group = check.text("group", label="group (leave out the column when there are no groups)")
        first_group = group[_first_positions([respondent])]
        check.flag(
            (first_group != group) & (group != ""),
            "group",
            lambda r: (
                f"respondent {respondent[r]!r} is in group {group[r]!r} here "
                f"but in group {first_group[r]!r} earlier"
            ),
        )
    else:
        group = np.full(len(frame), "all", dtype=object)
    return respondent, group


def _check_duplicates(
    check: _Checker, keys: list[np.ndarray], column: str, message: Callable[[int, int], str]
) -> None:
    mask, first = _duplicates(keys)
    check.flag(mask, column, lambda r: message(r, int(first[r])))


def _line_of(check: _Checker, row: int, column: str) -> int | None:
    return check.table.locate(row, column)[0]


def _finish(columns: dict[str, Any]) -> pd.DataFrame:
    """The validated frame: label columns hold Python ``str`` (object dtype, cheap to build)."""
    return pd.DataFrame({name: pd.Series(values, copy=False) for name, values in columns.items()})


# --------------------------------------------------------------------------------------------
# Per-kind validation
# --------------------------------------------------------------------------------------------


def _validate(table: _Table, kind: str) -> pd.DataFrame:
    _require_columns(table, kind)
    table.raise_pending()
    if len(table.frame) == 0:
        raise InputError("no data rows after the header", line=2)
    check = _Checker(table)
    respondent, group = _respondents_and_groups(check)
    out: dict[str, Any] = {"respondent": respondent, "group": group}

    if kind in ("rating", "ranking", "points", "delphi"):
        item = check.text("item")
        column = {"rating": "value", "ranking": "rank", "points": "points", "delphi": "value"}[kind]
        numbers = check.number(column)
        keys = [respondent, item]
        if kind == "ranking":
            check.flag(
                numbers <= 0, "rank", lambda r: f"rank must be 1 or more, not {numbers[r]:g}"
            )
        if kind == "points":
            check.flag(
                numbers < 0, "points", lambda r: f"points cannot be negative: {numbers[r]:g}"
            )
        if kind == "delphi":
            rounds = check.number("round")
            check.flag(
                np.isfinite(rounds) & (rounds != np.round(rounds)),
                "round",
                lambda r: f"round must be a whole number, not {rounds[r]:g}",
            )
            keys = [respondent, np.nan_to_num(rounds), item]
            out["round"] = np.nan_to_num(rounds).astype(np.int64)
        verb = {"rating": "rates", "ranking": "ranks", "points": "gives points to"}.get(
            kind, "rates"
        )
        in_round = (
            (lambda r: f" in round {out['round'][r]}") if kind == "delphi" else (lambda r: "")
        )
        _check_duplicates(
            check,
            keys,
            "item",
            lambda r, f: (
                f"respondent {respondent[r]!r} {verb} item {item[r]!r} twice"
                f"{in_round(r)} (first on line {_line_of(check, f, 'item')})"
            ),
        )
        out["item"] = item
        out[column] = numbers

    elif kind == "pairwise":
        winner = check.text("winner")
        loser = check.text("loser")
        check.flag(
            (winner == loser) & (winner != ""),
            "loser",
            lambda r: f"winner and loser are the same item {winner[r]!r}",
        )
        out["winner"], out["loser"] = winner, loser

    elif kind == "ahp":
        item_a = check.text("item_a")
        item_b = check.text("item_b")
        values = check.number("value", fractions=True)
        check.flag(
            (item_a == item_b) & (item_a != ""),
            "item_b",
            lambda r: f"item_a and item_b are the same item {item_a[r]!r}",
        )
        low, high = (1 - AHP_TOLERANCE) / 9, 9 * (1 + AHP_TOLERANCE)
        check.flag(
            (values < low) | (values > high),
            "value",
            lambda r: f"AHP value must be between 1/9 and 9 (Saaty scale), not {values[r]:g}",
        )
        values = np.clip(values, 1 / 9, 9.0)
        lo = np.where(item_a <= item_b, item_a, item_b)
        hi = np.where(item_a <= item_b, item_b, item_a)
        _check_duplicates(
            check,
            [respondent, lo, hi],
            "item_b",
            lambda r, f: (
                f"respondent {respondent[r]!r} judges the pair {item_a[r]!r}, "
                f"{item_b[r]!r} twice (first on line {_line_of(check, f, 'item_a')})"
            ),
        )
        out["item_a"], out["item_b"], out["value"] = item_a, item_b, values

    elif kind == "bestworst":
        task = check.text("task")
        item = check.text("item")
        choice = np.array([c.lower() for c in _text(table.frame["choice"])], dtype=object)
        check.flag(
            ~np.isin(choice, ["best", "worst", ""]),
            "choice",
            lambda r: f"choice must be best, worst or empty, not {choice[r]!r}",
        )
        _check_duplicates(
            check,
            [respondent, task, item],
            "item",
            lambda r, f: (
                f"item {item[r]!r} appears twice in task {task[r]!r} of respondent "
                f"{respondent[r]!r} (first on line {_line_of(check, f, 'item')})"
            ),
        )
        _check_tasks(check, respondent, task, choice)
        out["task"], out["item"], out["choice"] = task, item, choice
    else:  # pragma: no cover - guarded by load()
        raise InputError(f"unknown kind {kind!r}")

    check.raise_first()
    return _finish(out)


def _check_tasks(
    check: _Checker, respondent: np.ndarray, task: np.ndarray, choice: np.ndarray
) -> None:
    """Each (respondent, task): >= 2 items, exactly one best and one worst."""
    frame = pd.DataFrame(
        {
            "r": respondent,
            "t": task,
            "best": choice == "best",
            "worst": choice == "worst",
            "pos": np.arange(len(task)),
        }
    )
    grouped = frame.groupby(["r", "t"], sort=False)
    n_best = grouped["best"].cumsum().to_numpy()
    n_worst = grouped["worst"].cumsum().to_numpy()
    describe = lambda r: f"task {task[r]!r} of respondent {respondent[r]!r}"  # noqa: E731
    check.flag(
        frame["best"].to_numpy() & (n_best > 1),
        "choice",
        lambda r: f"{describe(r)} has two best items",
    )
    check.flag(
        frame["worst"].to_numpy() & (n_worst > 1),
        "choice",
        lambda r: f"{describe(r)} has two worst items",
    )
    totals = grouped.agg(
        n=("pos", "size"), best=("best", "sum"), worst=("worst", "sum"), last=("pos", "max")
    )
    last = totals["last"].to_numpy()
    for mask, what in (
        (totals["n"].to_numpy() < 2, "shows fewer than 2 items"),
        (totals["best"].to_numpy() == 0, "has no best item"),
        (totals["worst"].to_numpy() == 0, "has no worst item"),
    ):
        rows = last[mask]
        if rows.size:
            r = int(rows.min())
            check.problems.append((r, "choice", f"{describe(r)} {what}"))


def load(source: Source, kind: str) -> pd.DataFrame:
    """Read and validate long-format data of one kind.

    Parameters
    ----------
    source : DataFrame, path, bytes or file object
        The data: a CSV file (UTF-8, header row) or a DataFrame with the same columns.
    kind : {"rating", "ranking", "pairwise", "bestworst", "ahp", "points"}
        What the rows are; decides the required columns (see ``REQUIRED_COLUMNS``).

    Returns
    -------
    DataFrame
        String columns ``respondent`` and ``group`` (``"all"`` without a group column), then the
        kind's typed columns, in input order.  Label columns hold Python ``str`` objects
        (``object`` dtype); numbers are ``float64`` (Delphi ``round``: ``int64``).

    Raises
    ------
    InputError
        For the first problem, with its line (header = line 1) and column.

    Examples
    --------
    >>> load(b"respondent,winner,loser\\nr1,A,B\\n", "pairwise")
      respondent group winner loser
    0         r1   all      A     B
    >>> load(b"respondent,item,value\\nr1,A,high\\n", "rating")
    Traceback (most recent call last):
        ...
    analysis.data.InputError: line 2, column 3 (value): value is not a number: 'high'
    """
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r} (choose from {', '.join(KINDS)})")
    return _validate(read_table(source), kind)


def load_delphi(source: Source) -> pd.DataFrame:
    """Read and validate Delphi data: ``respondent, round, item, value`` (``group`` optional).

    ``round`` is a whole number; each respondent answers each item at most once per round.

    Examples
    --------
    >>> load_delphi(b"respondent,round,item,value\\nr1,1,A,4\\nr1,2,A,5\\n")
      respondent group  round item  value
    0         r1   all      1    A    4.0
    1         r1   all      2    A    5.0
    """
    return _validate(read_table(source), "delphi")
