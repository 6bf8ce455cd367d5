"""Validation findings per wave (issue 17 item 1): a later wave's validation never overwrites an
earlier wave's findings, re-validating the same wave replaces its own findings idempotently,
the worklist shows the newest wave by default and any wave on request, decisions keep holding
across waves while the evidence is the same, and a finding gone in the next wave is resolved in
the history."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import register_sites_data as sites_data
from ecomstat.cli import app
from ecomstat.errors import BadInput
from ecomstat.register.decisions import decide, list_decisions
from ecomstat.register.report import worklist
from ecomstat.register.validate_waves import finding_history
from ecomstat.register.validation import validate
from ecomstat.store.models import CrawlRun, Page, SiteVisit, ValidationFinding, ValidationWave, Website

runner = CliRunner()
W2_CONTACT = "Pasta Fresca S.r.l. Via Roma 5 00185 Roma P.IVA IT00743110157"  # the phone is gone


def _cli(engine: Engine, *args: str) -> str:
    result = runner.invoke(app, ["--db", engine.url.render_as_string(hide_password=False), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _findings(engine: Engine, wave: str) -> dict[tuple[str, str], tuple[int, str, str | None]]:
    with Session(engine) as session:
        return {(f.enterprise_id, f.field): (f.id, f.verdict, f.web_value) for f in session.scalars(
            select(ValidationFinding).where(ValidationFinding.wave == wave))}


def _second_wave_pages(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(Page).where(Page.url.like("%/contatti")).values(text=W2_CONTACT))


def _two_waves(engine: Engine) -> None:
    sites_data.populate(engine)
    _cli(engine, "register", "match")
    assert validate(engine, wave="2026-11").wave == "2026-11"
    _second_wave_pages(engine)


def test_a_later_wave_keeps_the_earlier_wave_and_the_worklist_shows_either(engine: Engine) -> None:
    _two_waves(engine)
    first = _findings(engine, "2026-11")
    assert first[("E2", "phone")][1] == "contradicted"
    summary = validate(engine, wave="2026-12")
    assert (summary.wave, summary.resolved) == ("2026-12", 1)  # the phone finding is gone
    assert _findings(engine, "2026-11") == first  # never overwritten by the later wave
    second = _findings(engine, "2026-12")
    assert ("E2", "phone") not in second and second[("E2", "postcode")][1] == "contradicted"
    assert not set(v[0] for v in first.values()) & set(v[0] for v in second.values())

    # re-validating the same wave replaces its own findings in place: same ids, same rows
    again = validate(engine, wave="2026-12")
    assert _findings(engine, "2026-12") == second and again.findings == summary.findings
    with Session(engine) as session:
        assert session.scalar(select(ValidationWave.resolved).where(ValidationWave.wave == "2026-12")) == 1

    # the worklist: newest validated wave by default, any wave on request (library and CLI)
    assert {r["wave"] for r in worklist(engine)} == {"2026-12"}
    assert ("E2", "phone") in {(r["enterprise_id"], r["field"]) for r in worklist(engine, wave="2026-11")}
    rows = [json.loads(line) for line in _cli(
        engine, "register", "report", "--wave", "2026-11", "--format", "json").splitlines()]
    assert {r["wave"] for r in rows} == {"2026-11"} and any(r["field"] == "phone" for r in rows)
    with pytest.raises(BadInput, match="validated waves: 2026-11, 2026-12"):
        worklist(engine, wave="2026-10")


def test_a_decision_holds_across_waves_while_the_evidence_is_the_same(engine: Engine) -> None:
    _two_waves(engine)
    decide(engine, "E2:postcode", "reject", by="clerk1", note="register is right")
    validate(engine, wave="2026-12")
    [current] = [r for r in worklist(engine) if (r["enterprise_id"], r["field"]) == ("E2", "postcode")]
    assert (current["wave"], current["status"], current["decided_by"]) == ("2026-12", "decided", "clerk1")
    assert next(list_decisions(engine))["holds"] is True
    # an earlier wave's finding decided by id also decides the newest wave's, same evidence
    vat_w1 = _findings(engine, "2026-11")[("E2", "vat_id")]
    decide(engine, str(vat_w1[0]), "done", by="clerk2")
    [vat] = [r for r in worklist(engine) if (r["enterprise_id"], r["field"]) == ("E2", "vat_id")]
    assert (vat["status"], vat["decided_by"]) == ("decided", "clerk2")


def test_the_history_shows_a_finding_resolved_in_the_next_wave(engine: Engine) -> None:
    _two_waves(engine)
    validate(engine, wave="2026-12")
    phone = list(finding_history(engine, enterprise_id="E2", field="phone"))
    assert [(r["wave"], r["change"], r["verdict"]) for r in phone] == [
        ("2026-11", "new", "contradicted"), ("2026-12", "resolved", None)]
    postcode = list(finding_history(engine, enterprise_id="E2", field="postcode"))
    assert [(r["wave"], r["change"]) for r in postcode] == [("2026-11", "new"), ("2026-12", "same")]
    shown = [json.loads(line) for line in _cli(
        engine, "register", "history", "--enterprise", "E2", "--format", "json").splitlines()]
    assert {"wave": "2026-12", "field": "phone", "change": "resolved"}.items() <= next(
        r for r in shown if r["field"] == "phone" and r["wave"] == "2026-12").items()


def _crawl(engine: Engine, wave: str) -> None:
    with Session(engine) as session, session.begin():
        run = CrawlRun(spider="enterprise_site", status="finished", wave=wave)
        session.add(run)
        session.flush()
        for website_id in session.scalars(select(Website.id)):
            session.add(SiteVisit(run_id=run.id, website_id=website_id, state="done", outcome="ok"))


def test_validation_takes_the_newest_crawled_wave_and_refuses_an_overtaken_one(engine: Engine) -> None:
    sites_data.populate(engine)
    _cli(engine, "register", "match")
    _crawl(engine, "2026Q3")
    assert validate(engine).wave == "2026Q3"
    _crawl(engine, "2026Q4")
    summary = json.loads(_cli(engine, "register", "validate", "--format", "json"))
    assert summary["wave"] == "2026Q4"
    with pytest.raises(BadInput, match="followed by crawls of 2026Q4"):
        validate(engine, wave="2026Q3")
    assert set(_findings(engine, "2026Q3")) == set(_findings(engine, "2026Q4"))
