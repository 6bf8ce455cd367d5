"""Matching: the scorer on real Fodors-Zagats gold pairs, blocking, and linking in the store."""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.register.blocking import candidate_pairs
from ecomstat.register.extract import SiteFacts
from ecomstat.register.features import FEATURES, RegisterRecord, pair_features
from ecomstat.register.scorer import MatchScorer
from ecomstat.training.matcher import fodors_zagats_matrix, prf
import register_sites_data as sites_data
from ecomstat.store.models import Model, Website

populate = sites_data.populate

runner = CliRunner()


def test_shipped_model_f1_on_fodors_zagats_test_split(shared_data) -> None:
    X, y, split = fodors_zagats_matrix(shared_data / "register/fodors_zagats/fodors-zagats_pairs.csv")
    test = split == "test"
    scores = prf(y[test], (MatchScorer.load().predict_proba(X[test]) >= 0.5).astype(int))
    assert scores["f1"] >= 0.90, scores
    # all pairs, train splits included, for the record
    assert prf(y, (MatchScorer.load().predict_proba(X) >= 0.5).astype(int))["f1"] >= 0.90


def test_scorer_json_round_trip_and_monotone(tmp_path) -> None:
    scorer = MatchScorer.load()
    path = tmp_path / "m.json"
    scorer.save(path)
    again = MatchScorer.load(path)
    x = np.zeros((1, len(FEATURES)))
    assert again.predict_proba(x)[0] == scorer.predict_proba(x)[0]
    agree = np.ones((1, len(FEATURES)))
    assert scorer.predict_proba(agree)[0] > 0.95 > 0.05 > scorer.predict_proba(-agree)[0]


def test_features_neutral_when_missing() -> None:
    rec = RegisterRecord(id="1", name="Acme Ltd", country="GB")
    assert pair_features(rec, SiteFacts(domain="")) == [0.0] * len(FEATURES)


def test_blocking_is_not_all_pairs() -> None:
    records = [RegisterRecord(id=str(i), name=f"Firm{i} Widgets Ltd", country="GB") for i in range(300)]
    sites = [SiteFacts(domain=f"firm{i}.co.uk", names=[f"Firm{i} Widgets"]) for i in range(300)]
    pairs = candidate_pairs(records, sites)
    n_pairs = sum(len(v) for v in pairs.values())
    assert n_pairs < 300 * 3  # "widgets" is on every site: too common to block on
    assert all(i in pairs[i] for i in range(300))


def test_match_links_the_right_sites_idempotently(engine: Engine) -> None:
    ids = populate(engine)
    url = engine.url.render_as_string(hide_password=False)
    for _ in range(2):
        result = runner.invoke(app, ["--db", url, "register", "match", "--format", "json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary["linked"] == 2
    with Session(engine) as session:
        sites = {w.url: w for w in session.scalars(select(Website))}
    e1 = sites["http://www.mueller-baeckerei.de.test/"]
    assert (e1.status, e1.enterprise_id) == ("linked", "E1")
    assert e1.match_score > 0.9
    assert e1.match_evidence["agreeing"]["vat_id"]["url"].endswith("/impressum")
    e2 = sites["http://www.pastafresca.it.test/"]
    assert (e2.status, e2.enterprise_id) == ("linked", "E2")  # found through VAT id and name
    with Session(engine) as session:
        model = session.scalar(select(Model).where(Model.name == "register-match"))
    assert model.version == MatchScorer.load().version and model.metrics["fodors_zagats_test"]["f1"] > 0.9
    other = sites["http://www.baeckerei-schulz.de.test/"]
    assert other.status == "verified" and other.enterprise_id is None
    assert ids


def test_threshold_option_and_bad_model(engine: Engine, tmp_path) -> None:
    populate(engine)
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--db", url, "register", "match", "--threshold", "0.99999999", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["linked"] == 0
    bad = tmp_path / "model.json"
    bad.write_text(json.dumps({"features": ["x"], "coef": [1], "intercept": 0}))
    result = runner.invoke(app, ["--db", url, "register", "match", "--model", str(bad)])
    assert result.exit_code != 0
    with Session(engine) as session:
        assert session.scalar(select(Website).where(Website.status == "linked")) is None
