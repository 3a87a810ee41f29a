"""``analysis`` is a pure library: it never imports the web app or its frameworks."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("flask", "sqlalchemy", "consult")


def test_importing_analysis_loads_no_web_modules():
    code = (
        "import json, sys\n"
        "import analysis, analysis.methods, analysis.cli, analysis.result, analysis.delphi\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120, check=True
    )
    loaded = json.loads(result.stdout)
    bad = [m for m in loaded if m.split(".")[0].lower() in FORBIDDEN]
    assert bad == []


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            names.update(a.value for a in node.args if isinstance(a, ast.Constant))
    return names


def test_no_file_under_analysis_imports_the_web_app():
    files = sorted((ROOT / "analysis").rglob("*.py"))
    assert files
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0].lower() in FORBIDDEN
        )
        for path in files
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}
