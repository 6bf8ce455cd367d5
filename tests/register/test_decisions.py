"""Register decisions that stick (issue 17 item 4), end to end through the CLI: a decided
finding stays decided over re-validation until its evidence changes, a website linked by hand
survives `register match`, and the worklist hides what is decided."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import register_sites_data as sites_data
from ecomstat.cli import app
from ecomstat.store.models import Page, RegisterDecision, ValidationFinding, Website

runner = CliRunner()


def _run(url: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", url, "register", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _csv(url: str, path: Path, *args: str) -> list[dict[str, str]]:
    _run(url, "report", "--out", str(path), *args)
    return list(csv.DictReader(path.open(encoding="utf-8")))


def _prepare(engine: Engine) -> str:
    sites_data.populate(engine)
    url = engine.url.render_as_string(hide_password=False)
    _run(url, "match")
    _run(url, "validate")
    return url


def test_a_rejected_finding_stays_decided_until_its_evidence_changes(engine: Engine, tmp_path: Path) -> None:
    url = _prepare(engine)
    rows = _csv(url, tmp_path / "w.csv")
    assert all(r["verdict"] != "confirmed" and r["status"] == "open" for r in rows)  # what is left to do
    postcode = next(r for r in rows if (r["enterprise_id"], r["field"]) == ("E2", "postcode"))
    decided = json.loads(_run(url, "decide", postcode["finding_id"], "--reject", "--by", "clerk1",
                              "--note", "register is right", "--format", "json"))
    assert (decided["decision"], decided["decided_by"], decided["field"]) == ("reject", "clerk1", "postcode")

    def e2_postcode(*args: str) -> list[dict[str, str]]:
        return [r for r in _csv(url, tmp_path / "w.csv", *args)
                if (r["enterprise_id"], r["field"]) == ("E2", "postcode")]

    assert e2_postcode() == []  # hidden by default
    [shown] = e2_postcode("--all")
    assert (shown["status"], shown["decision"], shown["decided_by"], shown["note"]) == (
        "decided", "reject", "clerk1", "register is right")

    # the same evidence again: still decided, and the finding keeps its id
    summary = json.loads(_run(url, "validate", "--format", "json"))
    assert summary["decided"] == 1 and summary["reopened"] == 0
    assert e2_postcode() == []
    assert e2_postcode("--all")[0]["finding_id"] == postcode["finding_id"]

    # new evidence (the site now says 00186): the finding is open again, and says why
    with Session(engine) as session, session.begin():
        session.execute(update(Page).where(Page.url.like("%/contatti")).values(
            text="Pasta Fresca S.r.l. Via Roma 5 00186 Roma Tel. 06 2222222 P.IVA IT00743110157"))
    summary = json.loads(_run(url, "validate", "--format", "json"))
    assert summary["reopened"] == 1
    [reopened] = e2_postcode()
    assert (reopened["status"], reopened["web_value"]) == ("reopened", "00186")
    assert "reject by clerk1" in reopened["basis"]
    listed = json.loads(_run(url, "decisions", "--format", "json").splitlines()[0])
    assert (listed["decision"], listed["holds"]) == ("reject", False)

    # deciding by ENTERPRISE_ID:FIELD works too, and the new decision holds
    _run(url, "decide", "E2:postcode", "--done", "--by", "clerk2")
    assert e2_postcode() == []
    assert json.loads(_run(url, "decisions", "--format", "json").splitlines()[0])["holds"] is True


def test_decide_refuses_bad_input(engine: Engine) -> None:
    url = _prepare(engine)
    for args, message in ((["decide", "999999", "--accept"], "no validation finding"),
                          (["decide", "E2:postcode"], "exactly one of"),
                          (["decide", "E2:postcode", "--accept", "--reject"], "exactly one of"),
                          (["link", "NOPE", "https://www.example.com/"], "no enterprise"),
                          (["link", "E3", "not a url"], "not a web address")):
        result = runner.invoke(app, ["--db", url, "register", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output + str(result.exception), args
    with Session(engine) as session:
        assert session.scalars(select(RegisterDecision)).all() == []


def test_a_manual_link_survives_matching(engine: Engine) -> None:
    url = _prepare(engine)
    schulz = "http://www.baeckerei-schulz.de.test/"
    # E3 has no website; the clerk knows it is Schulz's site (matching would never say so)
    linked = json.loads(_run(url, "link", "E3", schulz, "--by", "clerk1", "--format", "json"))
    assert linked["url"] == schulz
    # E1's matched site is replaced by a hand-made link to a site not crawled yet
    released = json.loads(_run(url, "link", "E1", "https://www.mueller-brot.de.test/", "--format", "json"))
    assert released["released"] == 1
    # and Schulz's site now redirects to another stored site: matching would take it for an alias
    with Session(engine) as session, session.begin():
        session.execute(update(Page).where(Page.url.like("http://www.baeckerei-schulz.de.test/%")).values(
            final_url="http://www.mueller-baeckerei.de.test/impressum"))
    for _ in range(2):  # matching again changes neither link
        _run(url, "match")
    with Session(engine) as session:
        sites = {w.url: w for w in session.scalars(select(Website))}
    assert (sites[schulz].enterprise_id, sites[schulz].status, sites[schulz].found_by) == ("E3", "linked", "manual")
    new = sites["https://www.mueller-brot.de.test/"]
    assert (new.enterprise_id, new.status, new.found_by) == ("E1", "linked", "manual")
    assert sites["http://www.mueller-baeckerei.de.test/"].enterprise_id != "E1"

    _run(url, "validate")
    with Session(engine) as session:
        website = {f.enterprise_id: f for f in session.scalars(
            select(ValidationFinding).where(ValidationFinding.field == "website"))}
    assert (website["E3"].web_value, website["E3"].confidence) == (schulz, 1.0)  # linked by hand: sure
    assert website["E1"].web_value == "https://www.mueller-brot.de.test/"
    links = [json.loads(line) for line in _run(url, "decisions", "--field", "website", "--format", "json").splitlines()]
    assert {(d["enterprise_id"], d["decision"], d["holds"]) for d in links} == {("E3", "link", True), ("E1", "link", True)}
