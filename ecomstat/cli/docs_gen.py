"""Generate docs/cli.md (every command, its help and options) and docs/configuration.md (every
`ECOMSTAT_*` setting, its default and its description) from the code.

The two files are derived, never edited by hand: `python -m ecomstat.cli.docs_gen` rewrites them,
`python -m ecomstat.cli.docs_gen --check` exits 1 with a diff when they are out of date (the test
`tests/ecomstat/test_docs_drift.py` runs it). Descriptions of settings are the comments next to
their defaults in `ecomstat/settings.py`: a trailing comment, or a comment block of two or more
lines above (which also describes the settings after it, up to the next comment); a one-line
comment above a group of settings is the group's heading.

This module sits in the CLI layer because it reads the Typer app; it is not a command module.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.main import get_command

ROOT = Path(__file__).resolve().parents[2]
CLI_DOC = Path("docs/cli.md")
CONFIG_DOC = Path("docs/configuration.md")
SETTINGS_SOURCE = Path(__file__).resolve().parents[1] / "settings.py"
REGENERATE = "python -m ecomstat.cli.docs_gen"


# --- the CLI reference -------------------------------------------------------------------------

# typer keeps its own copy of click (typer._click in 0.2x), so commands and contexts are duck-typed
Command = Any
Context = Any


def _subcommands(command: Command) -> dict[str, Command]:
    return getattr(command, "commands", None) or {}


def _context(command: Command, name: str, parent: Context | None) -> Context:
    return command.context_class(command, info_name=name, parent=parent, terminal_width=100,
                                 max_content_width=100)


def _walk(command: Command, path: list[str]) -> list[tuple[list[str], Command]]:
    found = [(path, command)]
    if _subcommands(command):
        for name in sorted(command.commands):
            found.extend(_walk(command.commands[name], [*path, name]))
    return found


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _param_rows(command: Command, ctx: Context) -> list[tuple[str, str]]:
    rows = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None and record[0] != "--help":  # None: a hidden option
            rows.append(record)
    return rows


def _usage(command: Command, ctx: Context) -> str:
    pieces = command.collect_usage_pieces(ctx)
    return " ".join([ctx.command_path, *pieces])


def _command_section(path: list[str], command: Command, ctx: Context) -> str:
    name = " ".join(path)
    lines = [f"{'#' * min(len(path) + 1, 4)} `{name}`", ""]
    help_text = (command.help or "").strip()
    if help_text:
        lines += [help_text.replace("\b\n", ""), ""]
    if not _subcommands(command):
        lines += ["```", _usage(command, ctx), "```", ""]
    else:
        subs = ", ".join(f"`{sub}`" for sub in sorted(command.commands))
        lines += [f"Sub-commands: {subs}.", ""]
    rows = _param_rows(command, ctx)
    if rows:
        lines += ["| option | description |", "|---|---|"]
        lines += [f"| `{_cell(opts)}` | {_cell(text)} |" for opts, text in rows]
        lines.append("")
    return "\n".join(lines)


def cli_reference() -> str:
    from ecomstat.cli import app

    root = get_command(app)
    contexts: dict[tuple[str, ...], Context] = {}
    sections = []
    for path, command in _walk(root, ["ecomstat"]):
        ctx = _context(command, path[-1], contexts.get(tuple(path[:-1])))
        contexts[tuple(path)] = ctx
        sections.append(_command_section(path, command, ctx))
    head = (
        "# Command reference\n\n"
        f"Generated from the commands by `{REGENERATE}`; do not edit by hand. "
        "`ecomstat COMMAND --help` prints the same. Commands that print results take "
        "`--format table|csv|json` (JSON: one object per line); errors are one line on stderr, "
        "exit code 2 for bad input (nothing written), 1 for other failures.\n"
    )
    return head + "\n" + "\n".join(sections)


# --- the configuration reference ----------------------------------------------------------------

@dataclass
class SettingDoc:
    name: str
    default: Any
    description: str
    section: str


def _comments(source: str) -> dict[int, tuple[str, bool]]:
    """line number -> (comment text, whether it is alone on its line)."""
    found: dict[int, tuple[str, bool]] = {}
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            alone = not lines[row - 1][:col].strip()
            found[row] = (token.string.lstrip("#").strip(), alone)
    return found


def settings_docs(source: str | None = None) -> list[SettingDoc]:
    """Every key of `DEFAULTS` with its default and the comment describing it."""
    from ecomstat.settings import DEFAULTS

    source = SETTINGS_SOURCE.read_text(encoding="utf-8") if source is None else source
    comments = _comments(source)
    tree = ast.parse(source)
    table = next(node.value for node in ast.walk(tree) if isinstance(node, ast.AnnAssign | ast.Assign)
                 and isinstance(node.value, ast.Dict)
                 and any(isinstance(t, ast.Name) and t.id == "DEFAULTS" for t in
                         (node.targets if isinstance(node, ast.Assign) else [node.target])))
    docs: list[SettingDoc] = []
    section = shared = ""
    previous_end = table.lineno
    starts = [key.lineno for key in table.keys if key is not None] + [table.end_lineno or 0]
    for index, (key, value) in enumerate(zip(table.keys, table.values)):
        if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
            continue
        block = [comments[row][0] for row in range(previous_end + 1, key.lineno)
                 if row in comments and comments[row][1]]
        # the comment after the value (`),  # ...` of a value spread over lines counts too)
        previous_end = value.end_lineno or key.lineno
        trailing = [comments[row][0] for row in range(previous_end, starts[index + 1])
                    if row in comments and not comments[row][1]]
        description = trailing[0] if trailing else ""
        if block:
            shared = ""  # a new comment ends the previous block's reach
        if len(block) == 1:
            section = block[0]
        elif len(block) > 1:
            shared = " ".join(block)
            description = shared + (f"; {description}" if description else "")
        elif not description:
            description = shared  # a block above describes the settings after it too
        docs.append(SettingDoc(key.value, DEFAULTS[key.value], description, section))
    return docs


def _default_text(value: Any) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if value == "":
        return "(empty)"
    return f"`{value}`"


def configuration_reference() -> str:
    lines = [
        "# Configuration",
        "",
        f"Generated from `ecomstat/settings.py` by `{REGENERATE}`; do not edit by hand.",
        "",
        "Every setting has its default in one place (`ecomstat.settings.DEFAULTS`) and is read "
        "from the environment (`export ECOMSTAT_DOWNLOAD_DELAY=2`); command-line flags override "
        "both, and `--db` sets `ECOMSTAT_DATABASE_URL`. Booleans accept 1/0, true/false, yes/no, "
        "on/off. Library code reads them through `ecomstat.settings.Settings` (`getint`, "
        "`getbool`, `getfloat`, `getlist`).",
        "",
    ]
    section = None
    for doc in settings_docs():
        if doc.section != section:
            section = doc.section
            lines += ["", f"## {section[:1].upper() + section[1:] or 'General'}", "",
                      "| setting | default | meaning |", "|---|---|---|"]
        lines.append(f"| `{doc.name}` | {_default_text(doc.default)} | {_cell(doc.description)} |")
    return "\n".join(lines) + "\n"


# --- writing and checking -----------------------------------------------------------------------

def generated(root: Path = ROOT) -> dict[Path, str]:
    return {root / CLI_DOC: cli_reference(), root / CONFIG_DOC: configuration_reference()}


def check(root: Path = ROOT) -> list[str]:
    """Unified diffs of the files that differ from what the code generates (empty: up to date)."""
    diffs = []
    for path, text in generated(root).items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            diffs.append("".join(difflib.unified_diff(
                current.splitlines(keepends=True), text.splitlines(keepends=True),
                str(path.relative_to(root)), f"{path.relative_to(root)} (generated)")))
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 with a diff when a generated file is out of date")
    args = parser.parse_args(argv)
    if args.check:
        diffs = check()
        for diff in diffs:
            sys.stdout.write(diff)
        if diffs:
            sys.stderr.write(f"error: generated docs are out of date: run {REGENERATE}\n")
        return 1 if diffs else 0
    for path, text in generated().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
