"""`ecomstat demo`: the whole pipeline on a generated sample web, scored against its truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ecomstat.cli.common import OutputFormat, err_console

app = typer.Typer()


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's database, files and report.")] = Path("ecomstat-demo"),
    n: Annotated[int, typer.Option(help="Enterprises in the sample web.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the sample web.")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, or json for the scores.")] = OutputFormat.table,
) -> None:
    """Run the whole job on a generated sample web (no internet) and print its accuracy."""
    from ecomstat.demo import StepResult, run_demo

    if n < 20:
        from ecomstat.errors import BadInput

        raise BadInput("--n must be at least 20")

    def on_step(title: str, outcome: StepResult | None) -> None:
        if outcome is None:
            err_console.print(f"[bold]→ {title}[/] …", highlight=False)
        else:
            mark = "[green]ok[/]" if outcome.ok else "[red]FAILED[/]"
            err_console.print(f"  {mark} {title} ({outcome.seconds:.1f} s)", highlight=False)
            if not outcome.ok:
                err_console.print("    " + "\n    ".join(outcome.output.strip().splitlines()[-5:]), highlight=False)

    err_console.print(
        f"ecomstat demo: {n} enterprises (seed {seed}) in {out}/ — the sample web is served on "
        "loopback under .test; politeness delays are relaxed for it (and only for it)."
    )
    result = run_demo(out, n=n, seed=seed, on_step=on_step)
    (result.folder / "scores.json").write_text(json.dumps(result.scores, indent=2, default=str), encoding="utf-8")
    failed = [s.title for s in result.steps if not s.ok]
    users = demo_web_users(result.db_url)
    serve_line = f"ecomstat --db {result.db_url} serve"
    if fmt is OutputFormat.json:
        typer.echo(json.dumps({"folder": str(result.folder), "database": result.db_url,
                               "report": str(result.report) if result.report else None,
                               "failed_steps": failed, "scores": result.scores,
                               "web": {"serve": serve_line, "url": "http://127.0.0.1:8000",
                                       "users": [{"name": n, "role": r, "password": p} for n, r, p in users]}},
                              default=str))
    else:
        _print_summary(result)
        _print_web(serve_line, users)
    if failed:
        raise typer.Exit(1)


# the demo's users of the web application, one per role (user name, role)
DEMO_WEB_USERS = (("economist", "economist"), ("clerk", "register"), ("operator", "operator"), ("admin", "admin"))


def demo_web_users(db_url: str) -> list[tuple[str, str, str]]:
    """One user per role in the demo database, each with a new random password (printed once,
    stored only as a hash), through the same library as `ecomstat user add`. The demo's
    database is new, so the names are free; an existing one (a rerun) gets a new password."""
    from ecomstat.settings import get_settings
    from ecomstat.store import make_engine
    from ecomstat.web.users import add_user, generate_password, get_user, set_password, set_role

    from ecomstat.errors import EcomstatError

    settings = get_settings()
    try:
        engine = make_engine(db_url, create=False)
    except EcomstatError:  # the demo failed before it made its database: nothing to serve
        return []
    made = []
    try:
        for name, role in DEMO_WEB_USERS:
            password = generate_password()
            if get_user(engine, name) is None:
                add_user(engine, name, role, password, settings)
            else:
                set_password(engine, name, password, settings)
                set_role(engine, name, role)
            made.append((name, role, password))
    finally:
        engine.dispose()
    return made


def _print_web(serve_line: str, users: list[tuple[str, str, str]]) -> None:
    if not users:
        return
    console = Console()
    console.print(f"Open the application: {serve_line}  then http://127.0.0.1:8000",
                  highlight=False, soft_wrap=True)
    console.print("  users, one per role (passwords shown only now; change one with "
                  "`ecomstat user password NAME`):", highlight=False, soft_wrap=True)
    for name, role, password in users:
        console.print(f"    {name:<10} {role:<10} {password}", highlight=False, soft_wrap=True)


def _print_summary(result) -> None:  # type: ignore[no-untyped-def]
    console = Console()
    scores = result.scores
    table = Table("measure vs ground truth", "precision", "recall", "F1", "accuracy", title="Pipeline accuracy")
    labels = {"url_finding": "URL finding", "web_sales": "web sales (enterprise)",
              "marketplace": "marketplace", "social_media": "social media"}
    for key, label in labels.items():
        s = scores.get(key, {})
        table.add_row(label, str(s.get("precision", "")), str(s.get("recall", "")), str(s.get("f1", "")),
                      str(s.get("accuracy", "")))
    console.print(table)
    if "web_sales_indicator" in scores:
        ind = scores["web_sales_indicator"]
        if ind["estimate"] is None:  # suppressed: fewer enterprises than ECOMSTAT_MIN_CELL_N
            console.print(f"E-commerce (web sales) share, {ind['method']}: suppressed (too few enterprises)")
        else:
            console.print(f"E-commerce (web sales) share, {ind['method']}: {ind['estimate']:.1f}% "
                          f"(95% CI {ind['ci_low']:.1f}–{ind['ci_high']:.1f})")
    if "survey_comparison" in scores:
        verdicts = scores["survey_comparison"]
        console.print(f"Survey comparison ({result.folder / 'survey.csv'}, simulated): "
                      f"{sum(verdicts.values())} cells, {verdicts.get('consistent', 0)} consistent, "
                      f"{verdicts.get('differs', 0)} differ at the 5% level")
    if "wave_changes" in scores:
        w = scores["wave_changes"]
        console.print(f"Changes {w['from']} -> {w['to']} (gained/lost web sales vs the sample web's truth): "
                      f"{w['found']} found, {w['true']} true, precision {w['precision']}, recall {w['recall']}")
    if scores.get("drift"):  # classifier drift between the two waves (ecomstat waves drift)
        console.print(f"Classifier {scores['drift']}", highlight=False)
    console.print(f"database: {result.db_url}")
    console.print(f"log:      {result.folder / 'demo.log'}")
    if result.report:
        console.print(f"report:   {result.report}")
    console.print(f"worklist: {result.folder / 'register-worklist.html'}")
    console.print(f"query it: ecomstat --db {result.db_url} query \"SELECT * FROM v_indicator\"")
