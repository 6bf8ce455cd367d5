"""The CLI's shape (CONTRIBUTING.md): one module per command group, and no command module
imports another one; shared helpers live in `ecomstat.cli.common`, the registry in
`ecomstat.cli.__init__`."""

from __future__ import annotations

import ast
from pathlib import Path

import ecomstat.cli
from ecomstat.cli import COMMAND_MODULES

CLI_DIR = Path(ecomstat.cli.__file__).parent
# Modules of ecomstat/cli that are not command modules, and so may be imported by them.
NOT_COMMANDS = {"__init__", "common", "docs_gen"}


def _imported_modules(tree: ast.AST) -> set[str]:
    """Every module an `import` or `from ... import` names, anywhere in the file (also inside
    functions), with `from ecomstat.cli import x` counted as `ecomstat.cli.x`."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from . import x` / `from .x import y` inside ecomstat/cli
                base = "ecomstat.cli" + (f".{base}" if base else "")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _command_imports() -> dict[str, set[str]]:
    """Per command module of ecomstat/cli: the other command modules of ecomstat/cli it imports."""
    modules = {p.stem for p in CLI_DIR.glob("*.py")} - NOT_COMMANDS
    result: dict[str, set[str]] = {}
    for name in sorted(modules):
        tree = ast.parse((CLI_DIR / f"{name}.py").read_text(encoding="utf-8"))
        imported = {m.removeprefix("ecomstat.cli.").split(".")[0]
                    for m in _imported_modules(tree) if m.startswith("ecomstat.cli.")}
        result[name] = (imported & modules) - {name}
    return result


def test_no_command_module_imports_another() -> None:
    offenders = {name: sorted(imports) for name, imports in _command_imports().items() if imports}
    assert offenders == {}, f"command modules importing other command modules: {offenders}"


def test_every_command_module_is_registered_once() -> None:
    """Each module under ecomstat/cli (but the plumbing) is one entry of COMMAND_MODULES: a
    module that is not registered would be a feature module hanging off a group module."""
    registered = [module for module, _ in COMMAND_MODULES]
    assert len(registered) == len(set(registered))
    assert sorted(registered) == sorted(_command_imports())


def test_one_module_per_group() -> None:
    groups = [group for _, group in COMMAND_MODULES if group is not None]
    assert len(groups) == len(set(groups))


def test_import_finder_sees_every_form() -> None:
    """The check is not vacuous: each import form a module could use is seen."""
    source = ("import ecomstat.cli.crawl\nfrom ecomstat.cli import register\n"
              "from ecomstat.cli.schedule import app\nfrom . import indicators\n"
              "def f():\n    from .crawl import resume_hint\n")
    names = _imported_modules(ast.parse(source))
    assert {"ecomstat.cli.crawl", "ecomstat.cli.register", "ecomstat.cli.schedule",
            "ecomstat.cli.indicators"} <= names
