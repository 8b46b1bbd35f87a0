"""The commands the README and docs/ show work as written (issue 15, point 8: first steps).

Every ``.venv/bin/python manage.py ...`` line names a real management command and passes its
parser with the options shown; every ``make TARGET`` names a target of the Makefile; the app's own
environment (what ``make run`` installs) holds no test tools; the hint the demo user's creation
prints is a command that works after ``make run``.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MANAGE = re.compile(r"^\s*(?:\$\s*)?\.venv/bin/python manage\.py (?P<args>[^#\n]+)")
MAKE = re.compile(r"^\s*(?:\$\s*)?make (?P<target>[\w-]+)")


def _code_lines(path: Path) -> list[str]:
    lines, inside = [], False
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line)
    return lines


def _manage_lines() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        for line in _code_lines(path):
            match = MANAGE.match(line)
            if match:
                found.append((path.name, match["args"].strip().rstrip("\\").strip()))
    return found


def test_the_readme_shows_management_commands() -> None:
    assert any(doc == "README.md" for doc, _ in _manage_lines())


@pytest.mark.parametrize(("doc", "args"), _manage_lines(), ids=lambda v: str(v)[:60])
def test_each_management_command_shown_exists_with_its_options(doc: str, args: str) -> None:
    words = shlex.split(args.replace("<", "X").replace(">", "X"))
    name, options = words[0], words[1:]
    commands = get_commands()
    assert name in commands, f"{doc} shows `manage.py {name}`, which does not exist"
    command = load_command_class(commands[name], name)
    parser = command.create_parser("manage.py", name)
    try:
        parser.parse_args(options)
    except SystemExit:  # pragma: no cover - argparse's way of failing
        pytest.fail(f"{doc}: `manage.py {args}` does not parse")


def test_each_make_target_shown_exists() -> None:
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.MULTILINE))
    shown = {
        (path.name, match["target"])
        for path in DOCS
        for line in _code_lines(path)
        if (match := MAKE.match(line))
    }
    assert {"run", "test"} <= {target for _, target in shown}
    missing = [f"{doc}: make {target}" for doc, target in shown if target not in targets]
    assert missing == []


def test_the_apps_environment_holds_no_test_tools() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = {
        re.split(r"[\[<>=!~; ]", item, maxsplit=1)[0].lower() for item in project["dependencies"]
    }
    assert not names & {"pytest", "pytest-django", "playwright", "ruff", "schemathesis", "moto"}


def test_the_demo_users_password_hint_uses_the_apps_python(capsys, db) -> None:
    from django.core.management import call_command

    call_command("create_demo_user")
    out = capsys.readouterr().out
    hint = re.search(r"Change it with: (.+)", out)
    assert hint is not None and hint[1].startswith(".venv/bin/python manage.py changepassword ")
