"""Hostile command lines: ``python -m analysis`` with malformed CSV files (wrong columns,
NaN, huge numbers, empty files, stray quotes, NUL, invalid UTF-8) and odd options (unknown
kinds and methods, bad seeds, out-of-range numbers), and ``consult results|export|report`` with
unknown slugs, bad methods and filters and unwritable output paths: never a traceback, exit
status 0 or 2, and on 2 exactly one line on standard error.

Everything runs in-process (``analysis.cli.main`` with captured output, Click's runner); the
subprocess contract itself is tested in tests/analysis/test_cli.py and tests/test_cli.py.
"""

from __future__ import annotations

import collections
import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.data import REQUIRED_COLUMNS
from analysis.registry import KINDS, methods_for
from consult.extensions import db
from consult.services.demo import load_demo

CELLS = [
    "", " ", "0", "1", "2", "3", "5", "7", "-1", "1.5", "1e309", "-1e309", "NaN", "nan", "inf",
    "-inf", "9" * 40, "1/9", "9/1", "0/0", "1/0", "a", "b", "c", "A", "Ö", "بيانات", "best",
    "worst", "most", "least", "x\x00y", "\u202e", "\ufeff", "' OR 1=1 --", '"quoted"', "a,b",
    "line\nbreak", "=1+1", "ngo", "NGO",
]  # fmt: skip
SETTINGS = settings(
    deadline=None, database=None, suppress_health_check=list(HealthCheck), max_examples=120
)


def all_columns() -> list[str]:
    names = {c for columns in REQUIRED_COLUMNS.values() for c in columns}
    return sorted(names | {"group", "weight", "Respondent", "item ", "", "extra"})


@st.composite
def csv_bytes(draw: st.DrawFn, kind: str, hostile: bool = True) -> bytes:
    """A CSV file for ``kind``: well formed, or (``hostile``) with hostile cells or broken."""
    shape = draw(st.sampled_from(["right", "wrong", "empty", "raw"])) if hostile else "right"
    if shape == "empty":
        return draw(st.sampled_from([b"", b"\n", b"\xef\xbb\xbf", b" , \n"]))
    if shape == "raw":
        return draw(st.binary(max_size=200))
    required = list(REQUIRED_COLUMNS.get(kind, REQUIRED_COLUMNS["rating"]))
    if shape == "right":
        header = required + draw(st.lists(st.sampled_from(["group", "extra"]), max_size=1))
    else:
        header = draw(st.lists(st.sampled_from(all_columns()), min_size=1, max_size=6))
    hostile_rows = st.lists(
        st.lists(
            st.one_of(st.sampled_from(CELLS), st.text(max_size=8)),
            min_size=len(header),
            max_size=len(header),
        ),
        max_size=3,
    )
    rows = draw(hostile_rows) if hostile else []
    if not hostile or draw(st.booleans()):  # a well-formed core reaches the methods themselves
        rows += [
            [
                {
                    "respondent": f"r{r}",
                    "item": item,
                    "winner": item,
                    "loser": other,
                    "item_a": item,
                    "item_b": other,
                    "task": "1",
                    "choice": "best" if item == "a" else "worst",
                    "round": "1",
                    "group": "ngo",
                }.get(column, str(r % 5 + 1))
                for column in header
            ]
            for r in range(draw(st.integers(0, 8)))
            for item, other in (("a", "b"), ("b", "c"))
        ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows(
        [header, *rows]
    )
    text = buffer.getvalue()
    if hostile and draw(st.booleans()):  # a stray quote or a cut-off last line
        text = text[: draw(st.integers(0, len(text)))] + draw(st.sampled_from(['"', "", ",,,"]))
    encodings = ["utf-8", "utf-8-sig", "utf-16", "latin-1"] if hostile else ["utf-8", "utf-8-sig"]
    encoding = draw(st.sampled_from(encodings))
    return text.encode(encoding, errors="replace")


def pick(valid: list[str], hostile: list[str], attacked: bool) -> st.SearchStrategy[str]:
    """A valid value, or a hostile one when this is the argument under attack."""
    return st.sampled_from(hostile if attacked and hostile else valid)


RANK_OPTIONS: dict[str, tuple[list[str], list[str]]] = {
    "--weights": (["respondent", "equal-groups", "post-stratified"], ["x", ""]),
    "--scale-max": (["5", "7"], ["0", "-1", "nan", "inf", "1e309", "x"]),
    "--bootstrap": (["0", "2", "5"], ["-1", "x", "1e3", "99999999999999999999"]),
    "--seed": (["0", "1", str(2**32 - 1)], ["-1", str(2**64), "x", "1.5", ""]),
    "--confidence": (["0.95", "0.5", "0.999999"], ["0", "1", "-1", "2", "nan", "x"]),
    "--top-k": (["1", "2", "3"], ["0", "-1", "1000000", "x"]),
    "--min-group-size": (["1", "2", "5"], ["0", "-1", "1000000000", "x"]),
    "--borda-partial": (["averaged", "zero", "dowdall"], ["x"]),
    "--option": (["alpha=0.1"], ["x=y", "=1", "noequals", "ridge=-1", "copeland_tie=0.5", "a=nan"]),
    "--format": (["json", "csv"], ["xml"]),
}


@st.composite
def rank_argv(draw: st.DrawFn, path: str, shares: str) -> tuple[list[str], bool]:
    """A ``rank`` command line with one thing under attack (or none); and whether the CSV
    file is the thing under attack."""
    targets = ["nothing"] * 8 + ["csv"] * 4 + ["kind", "method", *RANK_OPTIONS]
    attacked = draw(st.sampled_from(targets))
    kind = draw(pick(list(KINDS), ["votes", "", "RATING"], attacked == "kind"))
    known = list(methods_for(kind)) if kind in KINDS else ["mean"]
    method = draw(pick(known, ["nonsense", "", "MEAN", "borda; rm -rf /"], attacked == "method"))
    argv = ["rank", path, "--kind", kind, "--method", method]
    only_for = {"--scale-max": kind == "rating", "--borda-partial": method == "borda"}
    for flag, (valid, hostile) in RANK_OPTIONS.items():
        fits = only_for.get(flag, flag != "--option")
        if flag == attacked or (fits and draw(st.integers(0, 3)) == 1):
            argv += [flag, draw(pick(valid, hostile, flag == attacked))]
    if "--weights" in argv and argv[argv.index("--weights") + 1] == "post-stratified":
        argv += ["--group-shares", shares]
    if draw(st.integers(0, 3)) == 1:
        argv.append("--by-group")
    return argv, attacked == "csv"


def numbers(*valid: str) -> st.SearchStrategy[str]:
    return st.sampled_from([*valid, "0", "1", "-1", "0.5", "nan", "inf", "-inf", "1e309", "x", ""])


@st.composite
def delphi_argv(draw: st.DrawFn, path: str) -> list[str]:
    argv = ["delphi", path]
    for flag, valid in (("--agree-min", "4"), ("--agree-share", "0.75"), ("--iqr-max", "1")):
        if draw(st.booleans()):
            argv += [flag, draw(numbers(valid, "2"))]
    if draw(st.booleans()):
        argv += ["--format", draw(st.sampled_from(["json", "csv", "pdf"]))]
    return argv


def run_analysis(argv: list[str], capsysbinary: pytest.CaptureFixture[bytes]) -> int:
    """Run the command line in-process; check the contract; its exit status."""
    capsysbinary.readouterr()
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 2
    out, err = capsysbinary.readouterr()
    text = err.decode("utf-8")
    assert status in (0, 2), (argv, text)
    assert "Traceback" not in text
    if status == 2:
        assert text.startswith("error: "), text
        assert text.count("\n") == 1, text
        assert out == b""
    elif "--format" not in argv or argv[argv.index("--format") + 1] == "json":
        json.loads(out)  # a whole JSON document, NaN-free
    return status


@SETTINGS
@given(data=st.data())
def test_analysis_rank_never_fails_badly(
    data: st.DataObject, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path, shares = Path(folder) / "in.csv", Path(folder) / "shares.csv"
        argv, attack_csv = data.draw(rank_argv(str(path), str(shares)))
        path.write_bytes(data.draw(csv_bytes(argv[3], hostile=attack_csv)))
        shares.write_bytes(
            data.draw(
                st.sampled_from(
                    [
                        b"group,share\nngo,1\n",
                        b"",
                        b"group,share\nngo,x\n",
                        b"group,share\nngo,nan\n",
                    ]
                )
            )
        )
        assert run_analysis(argv, capsysbinary) in (0, 2)


@settings(SETTINGS, max_examples=60)
@given(data=st.data())
def test_analysis_delphi_never_fails_badly(
    data: st.DataObject, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "delphi.csv"
        path.write_bytes(data.draw(csv_bytes("delphi", hostile=data.draw(st.booleans()))))
        assert run_analysis(data.draw(delphi_argv(str(path))), capsysbinary) in (0, 2)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["rank"],
        ["rank", "/nonexistent/file.csv", "--kind", "rating", "--method", "mean"],
        ["rank", "/", "--kind", "rating", "--method", "mean"],
        ["rank", "/dev/null", "--kind", "rating", "--method", "mean"],
        ["methods", "--kind", "votes"],
        ["nonsense"],
        ["delphi", "/nonexistent.csv"],
    ],
)
def test_analysis_odd_command_lines(argv: list[str], capsysbinary) -> None:
    assert run_analysis(argv, capsysbinary) == 2  # each is a usage or input error


# --- consult results | export | report ---------------------------------------------------------

SLUGS = ["migration-action-plan", "nope", "", "\x00", "ص", "a" * 300, "--help-me"]
QUESTIONS = ["top5_actions", "action_priority", "comments", "nope", "", "\x00"]


@pytest.fixture
def demo_app(app):
    """The demo consultation with a few responses, committed."""
    load_demo(db.session, responses=8)
    db.session.commit()
    return app


def check_cli(result, args: list[str]) -> None:
    assert result.exit_code in (0, 2), (args, result.output, result.exception)
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (args, repr(result.exception))
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)


RESULTS_OPTIONS: dict[str, tuple[list[str], list[str]]] = {
    "--method": (["borda", "schulze"], ["mean", "top-box", "x", ""]),
    "--weighting": (["respondent", "equal-groups"], ["post-stratified", "x"]),
    "--bootstrap": (["0", "2"], ["-1", "x", str(2**70)]),
    "--seed": (["1", "7"], ["-1", str(2**70), "x"]),
    "--top-k": (["1", "3"], ["0", "-5", "999"]),
    "--round": (["1"], ["0", "-1", "99", str(2**70)]),
    "--group": (["ngo", "academic"], ["nope", "", "\x00"]),
    "--district": (["fatih"], ["nope", "ص"]),
    "--language": (["en", "tr"], ["xx", ""]),
    "--source": (["online"], ["workshop", "paper"]),
    "--format": (["json"], ["csv"]),
}


@st.composite
def results_args(draw: st.DrawFn) -> list[str]:
    """A ``results`` command line with one thing under attack (or none)."""
    attacked = draw(st.sampled_from(["nothing"] * 4 + ["slug", "question", *RESULTS_OPTIONS]))
    slug = draw(pick(SLUGS[:1], SLUGS[1:], attacked == "slug"))
    question = draw(pick(QUESTIONS[:1], QUESTIONS[1:], attacked == "question"))
    args = ["results", slug, "--question", question]
    for flag, (valid, hostile) in RESULTS_OPTIONS.items():
        if flag == attacked or draw(st.integers(0, 5)) == 1:
            args += [flag, draw(pick(valid, hostile, flag == attacked))]
    if draw(st.integers(0, 4)) == 1:
        args.append("--by-group")
    return args


def output_paths(folder: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            f"{folder}/out.file",
            f"{folder}/no/such/folder/out.file",
            folder,  # a folder, not a file
            "/proc/version",  # not writable
            "/dev/full",  # disk full
            "",
        ]
    )


@st.composite
def export_args(draw: st.DrawFn, folder: str) -> list[str]:
    args = ["export", draw(pick(SLUGS[:1], SLUGS[1:], draw(st.integers(0, 3)) == 1))]
    if draw(st.integers(0, 5)):
        args += ["--format", draw(st.sampled_from(["csv", "xlsx", "sav", "pdf", ""]))]
    optional = {
        "--shape": st.sampled_from(["wide", "long", "codebook", "results", "x"]),
        "--round": st.sampled_from(["1", "0", "99", "-1"]),
        "--lang": st.sampled_from(["en", "tr", "ar", "xx", "\x00"]),
        "--question": st.sampled_from(QUESTIONS),
        "--method": st.sampled_from(["borda", "x"]),
        "--weights": st.sampled_from(["respondent", "equal-groups", "x"]),
    }
    for flag, values in optional.items():
        if draw(st.integers(0, 3)) == 0:
            args += [flag, draw(values)]
    if draw(st.integers(0, 5)):
        args += [
            "-o",
            draw(st.sampled_from([f"{folder}/out.file"] * 3))
            if draw(st.booleans())
            else draw(output_paths(folder)),
        ]
    return args


@st.composite
def report_args(draw: st.DrawFn, folder: str) -> list[str]:
    args = ["report", draw(st.sampled_from(SLUGS))]
    if draw(st.booleans()):
        args += ["--lang", draw(st.sampled_from(["en", "ar", "xx", "", "\x00"]))]
    if draw(st.booleans()):
        args += ["--question", draw(st.sampled_from(QUESTIONS))]
    # a real PDF only now and then (slow): mostly an output that cannot be written
    path = draw(
        st.sampled_from(
            [f"{folder}/no/such/out.pdf", folder, "/proc/version", ""] * 3 + [f"{folder}/out.pdf"]
        )
    )
    if path:
        args += ["-o", path]
    return args


@pytest.mark.db
def test_consult_commands_never_fail_badly(demo_app) -> None:
    runner = demo_app.test_cli_runner()
    statuses: collections.Counter[int] = collections.Counter()

    @settings(SETTINGS, max_examples=60, derandomize=True)  # the same examples on every run
    @given(data=st.data())
    def attack(data: st.DataObject) -> None:
        with tempfile.TemporaryDirectory() as folder:
            command = data.draw(st.sampled_from(["results", "results", "export", "report"]))
            if command == "results":
                args = data.draw(results_args())
            elif command == "export":
                args = data.draw(export_args(folder))
            else:
                args = data.draw(report_args(folder))
            db.session.commit()  # the runner's command starts from a clean session
            result = runner.invoke(args=args)
            check_cli(result, args)
            statuses[result.exit_code] += 1

    attack()
    assert statuses[0], statuses  # real work was reached
    assert statuses[2], statuses  # and refusals


@pytest.mark.parametrize(
    "args",
    [
        ["backup", "--bogus"],
        ["restore"],
        ["purge", "--now", "x", "--bogus"],
        ["erase", "--consultation", "migration-action-plan"],
        ["demo", "--responses", "x"],
        ["users", "create", "--role", "nobody"],
        ["consultation", "import"],
        ["consultation", "export"],
        ["invite"],
        ["results", "--bogus"],
    ],
)
def test_consult_usage_errors_are_one_line(app, args: list[str]) -> None:
    """A wrong option or a missing argument: ``Error: ...`` alone on stderr, exit 2, no usage."""
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2, (args, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, (args, result.stderr)
    assert lines[0].startswith("Error: "), (args, result.stderr)
    assert "Usage:" not in result.stderr
