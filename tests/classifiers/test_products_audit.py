"""Audit of issue 4 (product titles): a CSV without a title column is refused, not read as
one title per line; `classify products --each` prints one object per stored product."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ecomstat.classifiers.products.inputs import read_listings
from ecomstat.cli import app
from ecomstat.errors import BadInput
from ecomstat.store import transaction
from ecomstat.store.models import Product

from products_fixtures import labelled_titles, write_labels  # noqa: E402

runner = CliRunner()


def test_csv_without_title_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("id,name\n1,Bananas 1kg\n", encoding="utf-8")
    with pytest.raises(BadInput, match="no title column"):
        read_listings(path)


def test_plain_text_titles_with_commas_still_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "items.txt"
    path.write_text("Bananas, 1kg\nMilk, whole\n", encoding="utf-8")
    assert [item.title for item in read_listings(path)] == ["Bananas, 1kg", "Milk, whole"]


def test_cli_csv_without_title_column_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("id,name\n1,Bananas 1kg\n", encoding="utf-8")
    result = runner.invoke(app, ["classify", "titles", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.output.strip().splitlines()) == 1


def test_classify_products_each_prints_one_object_per_product(tmp_path: Path,
                                                              engine: Engine) -> None:
    labels = write_labels(tmp_path / "labels.csv")
    env = {"ECOMSTAT_DATA_DIR": str(tmp_path / "data")}
    db = engine.url.render_as_string(hide_password=False)
    trained = runner.invoke(app, ["--db", db, "model", "train", "products", "--labels",
                                  str(labels), "--name", "office"], env=env)
    assert trained.exit_code == 0, trained.output
    with transaction(engine) as session:
        session.add_all([Product(url="http://shop.test/1", name="Lager beer 6x0,33l"),
                         Product(url="http://shop.test/2", name="Hundefutter Rind 400g")])
    result = runner.invoke(app, ["--db", db, "classify", "products", "--model", "office",
                                 "--each", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["title"] for line in lines] == ["Lager beer 6x0,33l", "Hundefutter Rind 400g"]
    assert set(lines[0]) == {"product_id", "title", "category", "confidence", "needs_review"}
    assert lines[0]["category"] == "02.1.3.0"


def test_model_evaluate_scores_a_products_model_on_labelled_titles(tmp_path: Path) -> None:
    labels = write_labels(tmp_path / "labels.csv")
    env = {"ECOMSTAT_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "e.db").touch()  # commands refuse a missing store
    db = f"sqlite:///{tmp_path / 'e.db'}"
    trained = runner.invoke(app, ["--db", db, "model", "train", "products", "--labels",
                                  str(labels), "--name", "office"], env=env)
    assert trained.exit_code == 0, trained.output
    # the same labels at the division level ("01"): a deeper prediction under it is right
    coarse = write_labels(tmp_path / "coarse.csv",
                          ((title, code[:2]) for title, code in labelled_titles()))
    result = runner.invoke(app, ["--db", db, "model", "evaluate", "office", "--labels",
                                 str(labels)], env=env)
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["same_data_as_training"] is True
    assert scores["accuracy"] > 0.8 and 0 < scores["macro_f1"] <= 1
    assert set(scores) >= {"titles", "needs_review_share", "accuracy_not_flagged"}
    coarse_scores = json.loads(runner.invoke(app, ["--db", db, "model", "evaluate", "office",
                                                   "--labels", str(coarse)], env=env).stdout)
    assert coarse_scores["accuracy"] >= scores["accuracy"]
    bad = runner.invoke(app, ["--db", db, "model", "evaluate", "office", "--labels",
                              str(labels), "--kind", "shoes"], env=env)
    assert bad.exit_code == 2


def test_one_column_csv_without_header_is_one_title_per_line(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("Bananas 1kg\nMilk whole 1l\n", encoding="utf-8")
    assert [item.title for item in read_listings(path)] == ["Bananas 1kg", "Milk whole 1l"]
