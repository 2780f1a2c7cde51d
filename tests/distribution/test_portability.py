"""No code on the app's runtime path calls what exists only on Linux and macOS (hard links, fcntl,
signals, fork, /tmp…) without a Windows way beside it: a scan of every runtime module's syntax tree.

A use found here must be listed in ``WINDOWS_WAYS`` with the way the code takes on Windows (and a
test of that way); an entry no longer found must be removed, so the list stays true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("models", "collect", "sync", "dashboards", "ui", "pages")
# Test and development machinery, never on the app's path (import-linter keeps the app off the emulator).
NOT_RUNTIME = {"sync/sheets_emulator.py"}

POSIX_MODULES = {"fcntl", "termios", "pwd", "grp", "resource", "pty", "tty", "posix"}
POSIX_ATTRIBUTES = {
    "os": {"fork", "forkpty", "link", "symlink", "getuid", "geteuid", "getgid", "getegid", "setsid", "killpg",
           "getpgid", "setpgrp", "sched_getaffinity", "sync", "statvfs", "chown", "lchown", "mkfifo", "mknod",
           "nice", "getloadavg", "O_NOFOLLOW", "O_DIRECTORY", "WNOHANG", "posix_spawn"},
    "signal": {"SIGKILL", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGCHLD", "SIGPIPE", "SIGQUIT", "alarm",
               "setitimer", "pthread_kill", "siginterrupt"},
}
POSIX_TEXTS = ("/tmp", "/dev/", "/proc/", "/var/", "fork")

# (module, what) → the way the code takes where it does not exist, and the test of that way.
WINDOWS_WAYS = {
    ("models/store.py", "os.link"): "_publish_whole renames the complete file instead"
                                    " (tests/models/test_store.py: a USB key without hard links)",
    ("collect/parallel.py", "os.sched_getaffinity"): "behind hasattr: os.cpu_count() elsewhere",
    ("collect/parallel.py", "'forkserver'"): "start_method() spawns workers where there is no fork server"
                                              " (tests/collect/test_parallel.py: spawned workers)",
}


def _runtime_modules() -> list[Path]:
    modules = [ROOT / "app.py", ROOT / "cli.py"]
    for package in RUNTIME:
        modules += sorted((ROOT / package).rglob("*.py"))
    return [path for path in modules if path.relative_to(ROOT).as_posix() not in NOT_RUNTIME]


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the strings standing alone as statements: docstrings and other prose, not code."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


def posix_only_uses(path: Path) -> set[str]:
    """What in this module exists only on POSIX systems: imports, attributes, and path or start-method texts."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    prose = _docstrings(tree)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] in POSIX_MODULES}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in POSIX_MODULES:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.module in POSIX_ATTRIBUTES:
            found |= {f"{node.module}.{a.name}" for a in node.names if a.name in POSIX_ATTRIBUTES[node.module]}
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.attr in POSIX_ATTRIBUTES.get(node.value.id, ())):
            found.add(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            text = node.value
            if text in ("fork", "forkserver") or any(text.startswith(prefix) for prefix in POSIX_TEXTS[:-1]):
                found.add(repr(text))
    return found


def test_the_scan_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "exemple.py"
    sample.write_text('import fcntl\nimport os, signal\nos.link("a", "b")\nsignal.SIGKILL\nopen("/tmp/x")\n'
                      'import multiprocessing\nmultiprocessing.get_context("fork")\n"""/tmp in prose"""\n',
                      encoding="utf-8")
    assert posix_only_uses(sample) == {"fcntl", "os.link", "signal.SIGKILL", "'/tmp/x'", "'fork'"}


def test_no_posix_only_call_on_the_runtime_path_lacks_its_windows_way():
    found = {(path.relative_to(ROOT).as_posix(), use) for path in _runtime_modules() for use in posix_only_uses(path)}
    assert found - WINDOWS_WAYS.keys() == set(), "a POSIX-only call without a Windows way (add one, then list it)"
    assert WINDOWS_WAYS.keys() - found == set(), "listed but no longer found: remove it from WINDOWS_WAYS"


@pytest.mark.parametrize("name", ["Lieux été 2026 (copie).csv", "base de l'équipe.csv"])
def test_a_file_name_with_accents_spaces_and_quotes_is_read(tmp_path, name):
    from collect.readers import read_table

    path = tmp_path / "Données partagées" / name
    path.parent.mkdir()
    path.write_text("nom;commune;code_postal\nMédiathèque;Cognac;16100\n", encoding="utf-8")
    table = read_table(path)
    assert table.file == name and table.columns[:3] == ["nom", "commune", "code_postal"]
