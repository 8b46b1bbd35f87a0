"""The import rules of docs/architecture.md, checked on the source (a small AST walk, no imports run).

- transcripts/ imports nothing from jobs/;
- the highlight agents (jobs/highlights/) reach neither Django nor the rest of jobs/;
- the runner and its stages import no Django themselves and nothing of the web side of jobs/;
- no import cycles between the project's modules;
- settings are read one way, ``settings.NAME``, and only names config/settings.py (or Django)
  defines: no ``getattr(settings, "NAME", default)`` with a second default that can drift;
- a function-local import says why it is local (start-up time, an optional package...), and never
  imports a project module (that would only hide a cycle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "jobs", "transcripts")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module ``name`` refers to (a module, or the package an attribute lives in)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, *, local: bool) -> Iterator[tuple[str, int]]:
    """(imported name, line) for the module-level imports, or for the function-local ones."""
    tree = ast.parse(MODULES[module].read_text())
    nodes = tree.body if not local else _function_nodes(tree)
    for node in _walk_imports(nodes, local=local):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif node.level == 0 and node.module:
            yield node.module, node.lineno
            for alias in node.names:  # ``from jobs.pipeline import runner`` imports a module
                yield f"{node.module}.{alias.name}", node.lineno


def _function_nodes(tree: ast.Module) -> list[ast.AST]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _walk_imports(nodes: list, *, local: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in nodes:
        if local:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    yield sub
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If | ast.Try):
            # ``if TYPE_CHECKING:`` imports are for the type checker only
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for part in (node.body, getattr(node, "orelse", []), getattr(node, "handlers", [])):
                yield from _walk_imports(list(part), local=False)


@cache
def project_imports(module: str) -> frozenset[str]:
    """The project modules ``module`` names in its module-level imports."""
    found = set()
    for name, _ in _imports(module, local=False):
        target = _resolve(name)
        if target and target != module:
            found.add(target)
    return frozenset(found)


def loads(module: str) -> frozenset[str]:
    """What importing ``module`` runs: its imports, and its packages' ``__init__`` first."""
    parent = module.rpartition(".")[0]
    return project_imports(module) | ({parent} if parent in MODULES else set())


def external_imports(module: str) -> set[str]:
    return {name.split(".")[0] for name, _ in _imports(module, local=False) if not _resolve(name)}


def reach(module: str) -> set[str]:
    """Every project module that importing ``module`` imports, itself included."""
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(loads(current))
    return seen


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_it_keeps_transcripts_free_of_jobs():
    offenders = [
        f"{module} imports {name}"
        for module in MODULES
        if under(module, "transcripts")
        for local in (False, True)
        for name, _ in _imports(module, local=local)
        if under(name, "jobs")
    ]
    assert offenders == []


def test_it_keeps_the_highlight_agents_plain_python():
    offenders = []
    for module in MODULES:
        if not under(module, "jobs.highlights"):
            continue
        for reached in reach(module) - {"jobs"}:  # jobs/__init__.py is empty (checked below)
            if under(reached, "jobs") and not under(reached, "jobs.highlights"):
                offenders.append(f"{module} reaches {reached}")
            if "django" in external_imports(reached):
                offenders.append(f"{module} reaches Django through {reached}")
    assert offenders == []
    assert MODULES["jobs"].read_text().strip() == ""


# jobs/study/: these are plain Python (the runner makes notes with them); selectors and services
# beside them are their Django side.
STUDY_PLAIN = (
    "jobs.study.notes",
    "jobs.study.retrieval",
    "jobs.study.answer",
    "jobs.study.written",
)


def test_it_keeps_the_study_notes_and_answers_plain_python():
    offenders = []
    for module in STUDY_PLAIN:
        for reached in reach(module) - {"jobs", "jobs.study"}:
            if under(reached, "jobs") and not (
                under(reached, "jobs.highlights") or reached in STUDY_PLAIN
            ):
                offenders.append(f"{module} reaches {reached}")
            if "django" in external_imports(reached):
                offenders.append(f"{module} reaches Django through {reached}")
    assert offenders == []
    assert set(STUDY_PLAIN) <= set(MODULES)


def test_it_keeps_the_runner_and_its_stages_off_the_web_side():
    runner_side = [
        m for m in MODULES if m == "jobs.pipeline.runner" or under(m, "jobs.pipeline.stages")
    ]
    allowed = ("jobs.highlights", "jobs.pipeline.runner", "jobs.pipeline.stages", "transcripts")
    allowed_modules = {
        "jobs",
        "jobs.pipeline",
        "jobs.pipeline.plans",
        "jobs.intake",
        "jobs.intake.download",
    }
    allowed_modules |= {"jobs.intake.urlsafety"}
    allowed_modules |= {"jobs.study", *STUDY_PLAIN}  # the notes stage's plain Python
    offenders = []
    for module in runner_side:
        if "django" in external_imports(module):
            offenders.append(f"{module} imports Django")
        for target in project_imports(module):
            if target not in allowed_modules and not any(under(target, a) for a in allowed):
                offenders.append(f"{module} imports {target}")
    assert offenders == []
    assert len(runner_side) >= 6


def test_it_has_no_import_cycles():
    # A package's __init__ importing its own modules is not a cycle; a module importing back a
    # module that imports it is. Tarjan's strongly connected components over the module-level import graph.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in project_imports(module):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert cycles == []


def test_it_says_why_each_function_local_import_is_local():
    offenders = []
    for module, path in MODULES.items():
        lines = path.read_text().splitlines()
        for name, line in _imports(module, local=True):
            if _resolve(name):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {name} locally")
                continue
            if not _reason_given(lines, line - 1):
                offenders.append(f"{path.relative_to(ROOT)}:{line} {name}: no reason given")
    assert offenders == []


def _reason_given(lines: list[str], index: int) -> bool:
    """A comment on the import's line, or above the block of imports it belongs to."""
    if "#" in lines[index]:
        return True
    while index > 0 and lines[index - 1].strip().startswith(("import ", "from ")):
        index -= 1
        if "#" in lines[index]:
            return True
    return index > 0 and lines[index - 1].strip().startswith("#")


def test_it_reads_settings_one_way():
    from django.conf import global_settings

    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    defined = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    } | set(dir(global_settings))
    offenders = []
    for module, path in MODULES.items():
        if module.startswith("config"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"getattr", "hasattr"}
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "settings"
            ):
                offenders.append(f"{where} {ast.unparse(node)}")
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "settings"
                and node.attr.isupper()
                and node.attr not in defined
            ):
                offenders.append(f"{where} settings.{node.attr} is not in config/settings.py")
    assert offenders == []
