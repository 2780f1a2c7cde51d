"""docs/architecture.md stays true: every module, package, function and command it names exists."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
TEXT = DOC.read_text(encoding="utf-8")

# `models/cog.py`, `collect/relances/`, `models/cog.py: departement_of_place`, `models/excel_csv.write_excel_csv`
_PATH = re.compile(r"`((?:models|collect|sync|dashboards|pages|ui|bench|tests)/[\w/]*?(?:\.py|/))(?::\s*(\w+))?`")
_DOTTED = re.compile(r"`((?:models|collect|sync|dashboards|ui)/[\w/]+)\.(?!(?:py|md|json|csv|toml|ya?ml|txt|geojson)`)(\w+)`")
_COMMAND = re.compile(r"`maillage ([a-z][\w-]*)((?: [a-z][\w-]*)?)")


@cache
def _defined(path: Path) -> frozenset[str]:
    """Top-level names of a module: functions, classes, assignments, and the names of classes' members."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return frozenset(names)


def _named_paths() -> list[tuple[str, str | None]]:
    found = {(m[1], m[2]) for m in _PATH.finditer(TEXT)}
    found |= {(m[1] + ".py", m[2]) for m in _DOTTED.finditer(TEXT)}
    return sorted(found, key=lambda pair: (pair[0], pair[1] or ""))


def test_the_document_names_modules():
    assert len(_named_paths()) > 50


@pytest.mark.parametrize(("path", "name"), _named_paths(), ids=lambda v: v or "")
def test_every_module_and_name_the_document_cites_exists(path, name):
    target = ROOT / path
    assert target.exists(), f"docs/architecture.md names {path}, which does not exist"
    if name is not None and target.suffix == ".py":
        assert name in _defined(target), f"docs/architecture.md names {path}: {name}, not defined there"


def _named_commands() -> list[str]:
    return sorted({(m[1] + m[2]).strip() for m in _COMMAND.finditer(TEXT)})


@pytest.mark.parametrize("command", _named_commands())
def test_every_command_the_document_cites_answers_its_help(command):
    from cli import main

    result = CliRunner().invoke(main, [*command.split(), "--help"])
    assert result.exit_code == 0, f"« maillage {command} » named by docs/architecture.md: {result.output}"


# -- functions of one job ----------------------------------------------------------------------------

MAX_FUNCTION_LINES = 60
LONG_REASON = "# Long:"  # the comment, right above a longer function (or its decorators), that says why


def _long_functions_without_reason() -> list[str]:
    found = []
    for package in ("models", "collect", "sync", "dashboards"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "sheets_emulator.py":  # test and development machinery, not the core
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            for node in ast.walk(ast.parse("\n".join(lines))):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if node.end_lineno - node.lineno + 1 <= MAX_FUNCTION_LINES:
                    continue
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                above = lines[first - 2].strip() if first >= 2 else ""
                comment_start = first - 2
                while comment_start > 0 and lines[comment_start - 1].strip().startswith("#"):
                    comment_start -= 1
                comment = " ".join(line.strip() for line in lines[comment_start:first - 1])
                if not (above.startswith("#") and LONG_REASON in comment):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} "
                                 f"({node.end_lineno - node.lineno + 1} lines)")
    return found


def test_no_function_of_the_core_is_over_60_lines_without_a_reason_written_above_it():
    assert _long_functions_without_reason() == []
