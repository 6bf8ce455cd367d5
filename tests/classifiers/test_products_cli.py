"""End to end through the real CLI: train an office model, classify title files, label the
products in the store (SQLite and PostgreSQL), and refuse bad input without writing anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from products_fixtures import write_labels  # noqa: E402

from ecomstat.cli import app  # noqa: E402
from ecomstat.store import transaction  # noqa: E402
from ecomstat.store.models import Classification, Model, Product  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("products")


@pytest.fixture(scope="module")
def labels_csv(workdir: Path) -> Path:
    return write_labels(workdir / "labels.csv")


@pytest.fixture(scope="module")
def trained(workdir: Path, labels_csv: Path) -> dict[str, str]:
    """Train `office` once for the module; returns the env and db the CLI calls use."""
    env = {"ECOMSTAT_DATA_DIR": str(workdir / "data")}
    (workdir / "store.db").touch()  # commands refuse a missing store
    db = f"sqlite:///{workdir / 'store.db'}"
    result = runner.invoke(
        app, ["--db", db, "model", "train", "products", "--labels", str(labels_csv),
              "--name", "office", "--format", "json"], env=env,
    )
    assert result.exit_code == 0, result.output
    return {"db": db, **env, "summary": result.stdout}


def invoke(trained: dict[str, str], *args: str):
    env = {"ECOMSTAT_DATA_DIR": trained["ECOMSTAT_DATA_DIR"]}
    return runner.invoke(app, ["--db", trained["db"], *args], env=env)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_train_writes_a_model_file_and_a_model_row(trained: dict[str, str]) -> None:
    summary = json_lines(trained["summary"])[0]
    assert summary["name"] == "office" and summary["n_classes"] == 5
    assert Path(summary["path"]).is_file()
    assert Path(summary["path"]).parent == Path(trained["ECOMSTAT_DATA_DIR"]) / "models"
    from ecomstat.store import make_engine

    engine = make_engine(trained["db"])
    with engine.connect() as conn:
        row = conn.execute(select(Model).where(Model.name == "office")).one()
    assert row.kind == "products" and row.version == summary["version"]
    assert len(row.training_data_sha256) == 64 and "holdout_accuracy" in row.metrics


def test_classify_titles_plain_text_file(trained: dict[str, str], workdir: Path) -> None:
    titles = workdir / "titles.txt"
    titles.write_text("mouka hladká 1kg\n\nlager beer 0,5l\nxqzt vvvv\nKatzenfutter Huhn\n",
                      encoding="utf-8")
    result = invoke(trained, "classify", "titles", str(titles), "--model", "office")
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert [r["title"] for r in rows] == ["mouka hladká 1kg", "", "lager beer 0,5l", "xqzt vvvv",
                                          "Katzenfutter Huhn"]
    assert set(rows[0]) == {"title", "category", "confidence", "needs_review"}
    assert rows[0]["category"] == "01.1.1.2" and rows[2]["category"] == "02.1.3.0"
    assert rows[4]["category"] == "09.3.2.2"
    assert rows[1]["needs_review"] is True  # empty line: always for a human
    assert all(0.0 <= r["confidence"] <= 1.0 for r in rows)
    assert rows[3]["confidence"] <= min(rows[0]["confidence"], rows[2]["confidence"])
    # the threshold decides the flag
    middle = sorted(r["confidence"] for r in rows)[2]
    for threshold in (0.0, middle, 1.0):
        flagged = json_lines(invoke(trained, "classify", "titles", str(titles), "--model",
                                    "office", "--threshold", str(threshold)).stdout)
        assert [r["needs_review"] for r in flagged] == [
            r["title"] == "" or r["confidence"] < threshold for r in rows
        ]


def test_classify_titles_csv_in_a_legacy_encoding(trained: dict[str, str], workdir: Path) -> None:
    path = workdir / "titles-cp1250.csv"
    text = "id;title;breadcrumb\n1;Šampon na vlasy 250ml;Drogerie > Vlasy\n2;Pivo ležák 0,5l;Nápoje\n"
    path.write_bytes(text.encode("cp1250"))
    result = invoke(trained, "classify", "titles", str(path), "--model", "office")
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert [r["title"] for r in rows] == ["Šampon na vlasy 250ml", "Pivo ležák 0,5l"]
    assert [r["category"] for r in rows] == ["13.1.2.0", "02.1.3.0"]


def test_default_model_ships_and_classifies(workdir: Path) -> None:
    path = workdir / "default.txt"
    path.write_text("rohlík tukový 43g\nPilsner Urquell 0,5l\nLenovo ThinkPad laptop 14\"\n"
                    "Whiskas kapsička pro kočky\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", f"sqlite:///{workdir / 'none.db'}", "classify",
                                 "titles", str(path)], env={"ECOMSTAT_DATA_DIR": str(workdir)})
    assert result.exit_code == 0, result.output
    divisions = [r["category"][:2] for r in json_lines(result.stdout)]
    assert divisions == ["01", "02", "08", "09"]
    assert not (workdir / "none.db").exists()  # classifying a file creates no database


def engine_for(trained: dict[str, str]) -> Engine:
    from ecomstat.store import make_engine

    return make_engine(trained["db"])


def test_bad_labels_are_refused_with_line_numbers(
    trained: dict[str, str], workdir: Path, labels_csv: Path
) -> None:
    bad = workdir / "bad.csv"
    bad.write_text("title,category\npivo,02.1.3.0\nrohlík,bread\n,01.1.1.1\n" + "x,01\n" * 20,
                   encoding="utf-8")
    result = invoke(trained, "model", "train", "products", "--labels", str(bad), "--name", "bad")
    assert result.exit_code == 2
    assert "line 3" in result.output and "line 4" in result.output
    assert not (Path(trained["ECOMSTAT_DATA_DIR"]) / "models" / "products-bad.json").exists()
    missing = workdir / "nocat.csv"
    missing.write_text("title,label\na,01\n", encoding="utf-8")
    result = invoke(trained, "model", "train", "products", "--labels", str(missing), "--name", "x")
    assert result.exit_code == 2 and "category" in result.output
    result = invoke(trained, "model", "train", "products", "--labels", str(labels_csv), "--name", "../x")
    assert result.exit_code == 2 and "not valid" in result.output
    with engine_for(trained).connect() as conn:
        assert conn.execute(select(func.count()).select_from(Model)).scalar_one() == 1


def test_errors_are_one_line_and_exit_2(workdir: Path) -> None:
    env = {**os.environ, "ECOMSTAT_DATA_DIR": str(workdir / "data")}
    titles = workdir / "one.txt"
    titles.write_text("pivo\n", encoding="utf-8")
    for args in (["classify", "titles", str(titles), "--model", "nosuchmodel"],
                 ["classify", "titles", str(workdir / "missing.txt")],
                 ["classify", "titles", str(titles), "--threshold", "1.5"]):
        proc = subprocess.run([sys.executable, "-m", "ecomstat", "--db",
                               f"sqlite:///{workdir / 'err.db'}", *args],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().count("\n") == 0 and "error" in proc.stderr
        assert proc.stdout == ""


def _add_products(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add_all([
            Product(url="http://shop.test/1", name="Mouka hladká 1kg", breadcrumb="Pečivo a mouka"),
            Product(url="http://shop.test/2", name="Lager beer 6x0,33l", description="Cold beer."),
            Product(url="http://shop.test/3", name="Hundefutter Rind 400g"),
            Product(url="http://shop.test/4", name=""),
        ])


def test_classify_products_in_the_store(trained: dict[str, str], engine: Engine) -> None:
    _add_products(engine)
    db = engine.url.render_as_string(hide_password=False)
    env = {"ECOMSTAT_DATA_DIR": trained["ECOMSTAT_DATA_DIR"]}
    model_file = str(Path(trained["ECOMSTAT_DATA_DIR"]) / "models" / "products-office.json")
    args = ["--db", db, "classify", "products", "--model", model_file, "--format", "json"]
    first = runner.invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    summary = json_lines(first.stdout)[0]
    assert (summary["products"], summary["inserted"], summary["updated"]) == (4, 4, 0)
    second = json_lines(runner.invoke(app, args, env=env).stdout)[0]
    assert (second["inserted"], second["updated"]) == (0, 4)  # idempotent: same rows updated
    with engine.connect() as conn:
        rows = conn.execute(
            select(Product.name, Classification.label, Classification.probability,
                   Classification.needs_review, Classification.model_version,
                   Classification.model_id)
            .join(Classification,
                  Classification.target_id == func.cast(Product.id, Classification.target_id.type))
            .where(Classification.target_type == "product", Classification.task == "coicop")
            .order_by(Product.id)
        ).all()
        model = conn.execute(select(Model.id, Model.kind, Model.path)).one()
    assert [r.label for r in rows[:3]] == ["01.1.1.2", "02.1.3.0", "09.3.2.2"]
    assert rows[3].needs_review is True
    assert all(r.model_id == model.id and r.model_version.startswith("office:") for r in rows)
    assert model.kind == "products" and model.path.endswith("products-office.json")


def test_classify_products_pages_through_the_store(trained: dict[str, str], sqlite_engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Products are read and written a batch at a time (keyset pages): every product of several
    batches is labelled once, and a second run updates the same rows."""
    from sqlalchemy import insert

    from ecomstat.classifiers.products import classify as classify_module

    monkeypatch.setattr(classify_module, "BATCH", 7)
    titles = ["Vollmilch 3,5% 1 l", "Rotwein trocken 0,75 l", "Hundefutter 2 kg", "Zahnpasta 75 ml"]
    with sqlite_engine.begin() as connection:
        connection.execute(insert(Product), [{"url": f"http://shop.test/p{i}", "name": titles[i % 4]}
                                             for i in range(30)])
    from ecomstat.classifiers.products.registry import read_model

    loaded = read_model(Path(trained["ECOMSTAT_DATA_DIR"]) / "models" / "products-office.json")
    first = classify_module.classify_store_products(sqlite_engine, loaded, threshold=0.5)
    second = classify_module.classify_store_products(sqlite_engine, loaded, threshold=0.5)
    assert (first.products, first.inserted, first.updated) == (30, 30, 0)
    assert (second.products, second.inserted, second.updated) == (30, 0, 30)
    with sqlite_engine.connect() as conn:
        labelled = conn.execute(select(func.count(func.distinct(Classification.target_id))).where(
            Classification.target_type == "product")).scalar()
    assert labelled == 30
