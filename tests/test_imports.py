"""House rule (issue 9): an import sits at the top of its module; one inside a function is
allowed only with a comment right above it that says why ("Imported here: ..."), such as the
app registry not being ready yet, an optional dependency, or a cycle the import contract in
pyproject.toml documents. The layers themselves are checked by ``lint-imports`` in
``make lint``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_PARTS = {".venv", "migrations", "node_modules", "var", "__pycache__"}


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        if not SKIP_PARTS.intersection(path.relative_to(ROOT).parts):
            yield path


def _unexplained_imports(path: Path, root: Path = ROOT) -> list[str]:
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = [node for stmt in function.body for node in ast.walk(stmt)]
        for node in body:
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            # Walk up over the imports (and blank lines) of the same block to the comment above.
            row = node.lineno - 2
            while row >= 0 and (
                not lines[row].strip() or lines[row].lstrip().startswith(("from ", "import "))
            ):
                row -= 1
            comment = []
            while row >= 0 and lines[row].lstrip().startswith("#"):
                comment.append(lines[row])
                row -= 1
            if not any("Imported" in line for line in comment):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {lines[node.lineno - 1]}")
    return found


def test_every_import_inside_a_function_says_why():
    unexplained = [line for path in _sources() for line in _unexplained_imports(path)]
    assert unexplained == []


def test_the_check_sees_an_unexplained_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n"
        "    import json\n"
        "    return json\n\n\n"
        "def g():\n"
        "    # Imported here: an optional dependency.\n"
        "    import json\n"
        "    return json\n"
    )
    assert _unexplained_imports(sample, tmp_path) == ["sample.py:2:     import json"]
