"""E-commerce presence: parsing robustness, signals, portable model IO, `classify page`,
`model train|list|show|evaluate ecommerce`. Pages are generated (ecommerce_fixtures.py; no
third-party HTML)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ecomstat.classifiers.ecommerce import EcommerceClassifier, EcommerceModel, prepare
from ecomstat.classifiers.ecommerce.registry import shipped_path
from ecomstat.classifiers.ecommerce.signals import extract_signals
from ecomstat.classifiers.html import MAX_TEXT_CHARS, parse_html
from ecomstat.classifiers.portable import load_model as load_document
from ecomstat.classifiers.portable import save_model
from ecomstat.cli import app

from ecommerce_fixtures import (  # noqa: E402
    WORDS, article_page, serve_directory, service_page, shop_page)

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_model() -> EcommerceModel:
    """A model fitted here on generated pages (fast; the shipped model is tested separately)."""
    pages, labels, groups = [], [], []
    for i, lang in enumerate(list(WORDS) * 2):
        pages += [shop_page(lang, i, jsonld=i % 2 == 0), service_page(lang, i), article_page(i)]
        labels += [1, 0, 0]
        groups += [f"shop{i}", f"firm{i}", f"news{i}"]
    docs = [prepare(parse_html(p, f"https://{g}.example/")) for p, g in zip(pages, groups)]
    fitted = EcommerceClassifier(n_splits=3).fit(docs, labels, groups)
    return fitted.to_model()


@pytest.mark.parametrize("body", [b"", b"   ", b"\x00\x01\x02garbage\xff\xfe", b"<html>",
                                  b"<p>plain text, no markup at all</p>"])
def test_degenerate_pages_never_crash(tiny_model: EcommerceModel, body: bytes) -> None:
    prediction = tiny_model.predict(prepare(parse_html(body)))
    assert 0.0 <= prediction.probability <= 1.0
    assert prediction.probability < 0.5


def test_huge_page_is_capped(tiny_model: EcommerceModel) -> None:
    huge = "<html><body>" + "<p>lorem ipsum dolor sit amet</p>" * 200_000 + "</body></html>"
    doc = parse_html(huge)
    assert len(doc.text) <= MAX_TEXT_CHARS and doc.truncated
    assert 0.0 <= tiny_model.predict(prepare(doc)).probability <= 1.0


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_multilingual_cart_signals_fire_with_evidence(lang: str) -> None:
    signals = {s.name: s for s in extract_signals(parse_html(shop_page(lang, jsonld=False)))}
    cart, add, price = WORDS[lang][:3]
    assert cart in signals["cart_link"].evidence
    assert add in signals["add_to_cart"].evidence
    assert "cart_fields" in signals and "prices" in signals
    service = {s.name for s in extract_signals(parse_html(service_page(lang)))}
    assert not service & {"cart_link", "add_to_cart", "prices", "schema_product"}


def test_platform_payment_and_schema_signals() -> None:
    html = ('<html><head><script src="https://cdn.shopify.com/s/theme.js"></script>'
            '<script type="application/ld+json">{"@graph":[{"@type":"ProductGroup","offers":'
            '{"@type":"AggregateOffer","lowPrice":"5"}}]}</script></head><body class="x">'
            '<img alt="PayPal"><script src="https://js.stripe.com/v3/"></script>'
            '<script src="https://www.paypal.com/sdk/js"></script></body></html>')
    signals = {s.name: s.evidence for s in extract_signals(parse_html(html))}
    assert signals["platform"].startswith("Shopify")
    assert "PayPal" in signals["payment"] and "Stripe" in signals["payment"]
    assert "ProductGroup" in signals["schema_product"]
    assert "schema_offer_price" in signals


def test_article_is_not_a_shop_and_shop_is(tiny_model: EcommerceModel) -> None:
    shop = tiny_model.predict(prepare(parse_html(shop_page("nl", 99))))
    article = tiny_model.predict(prepare(parse_html(article_page(99))))
    assert shop.ecommerce and not article.ecommerce
    assert shop.probability > 0.8 > 0.2 > article.probability
    assert any(e["signal"] in {"add_to_cart", "cart_link", "schema_product"} for e in shop.evidence)


def test_unseen_language_is_uncertain_not_confident(tiny_model: EcommerceModel) -> None:
    finnish = ("<html lang='fi'><body><h1>Tervetuloa yritykseemme</h1><p>Tarjoamme "
               "suunnittelua ja konsultointia asiakkaille koko maassa jo vuodesta 1990.</p>"
               "</body></html>")
    prediction = tiny_model.predict(prepare(parse_html(finnish)))
    text = next(e for e in prediction.evidence if e["signal"] == "text_model")
    assert text["coverage"] < 0.25
    assert prediction.probability < 0.5


def test_portable_json_round_trip_matches_estimator(tmp_path: Path,
                                                    tiny_model: EcommerceModel) -> None:
    path = save_model({**tiny_model.document, "name": "t", "version": "1"}, tmp_path / "m.json.gz")
    reloaded = EcommerceModel(load_document(path))
    docs = [prepare(parse_html(p)) for p in (shop_page("de", 5), service_page("fr", 5),
                                             article_page(5))]
    np.testing.assert_allclose(reloaded.predict_proba(docs), tiny_model.predict_proba(docs),
                               atol=1e-6)
    raw = gzip.decompress(path.read_bytes())
    assert raw.startswith(b"{") and b"pickle" not in raw


def test_shipped_model_card_meets_target() -> None:
    document = load_document(shipped_path())
    combined = document["metrics"]["combined"]
    assert combined["f1"] >= 0.92
    assert combined["f1"] > document["metrics"]["bag_of_words"]["f1"]
    assert combined["f1"] > document["metrics"]["keyword_rule"]["f1"]
    assert len(document["training_data_sha256"]) == 64
    assert document["training_data"]["sites"] > 300


def _write_page(directory: Path, name: str, html: str, gz: bool = False) -> Path:
    path = directory / (name + (".html.gz" if gz else ".html"))
    path.write_bytes(gzip.compress(html.encode()) if gz else html.encode())
    return path


def test_cli_classify_page_files_with_shipped_model(tmp_path: Path) -> None:
    shop = _write_page(tmp_path, "shop", shop_page("de", 1), gz=True)
    article = _write_page(tmp_path, "article", article_page(1))
    result = runner.invoke(app, ["classify", "page", str(shop), str(article)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["input"] for line in lines] == [str(shop), str(article)]
    assert lines[0]["ecommerce"] is True and lines[1]["ecommerce"] is False
    assert lines[0]["probability"] > lines[1]["probability"]
    assert any("Warenkorb" in e["evidence"] for e in lines[0]["evidence"])


def test_cli_classify_page_missing_file_is_bad_input(tmp_path: Path) -> None:
    good = _write_page(tmp_path, "shop", shop_page("en"))
    result = runner.invoke(app, ["classify", "page", str(good), str(tmp_path / "nope.html")])
    assert result.exit_code == 2
    assert result.stdout == ""  # nothing half-printed
    assert "nope.html" in result.output


def test_cli_classify_page_url_from_local_server(tmp_path: Path) -> None:
    _write_page(tmp_path, "index", shop_page("pl", 3))

    with serve_directory(tmp_path) as base:  # on loopback: allowed explicitly
        result = runner.invoke(app, ["classify", "page", f"{base}/index.html",
                                     f"{base}/missing.html"],
                               env={"ECOMSTAT_ALLOW_PRIVATE_HOSTS": "127.0.0.1"})
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["ecommerce"] is True
    assert "404" in lines[1]["error"]
    assert result.exit_code == 1  # one input failed, the other was still classified


def _labelled_set(directory: Path) -> Path:
    rows = []
    for i, lang in enumerate(list(WORDS) * 2):
        for kind, html, label in (("shop", shop_page(lang, i, i % 2 == 0), 1),
                                  ("firm", service_page(lang, i), 0),
                                  ("news", article_page(i), 0)):
            path = _write_page(directory, f"{kind}{i}", html, gz=i % 3 == 0)
            rows.append({"file": path.name, "url": f"https://{kind}{i}.example/",
                         "site": f"{kind}{i}.example", "ecommerce": label})
    labels = directory / "labels.csv"
    with open(labels, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "url", "site", "ecommerce"])
        writer.writeheader()
        writer.writerows(rows)
    return labels


def test_cli_train_list_show_evaluate_own_model(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    labels = _labelled_set(pages)
    env = {"ECOMSTAT_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "store.db").touch()  # commands refuse a missing store
    db = ["--db", str(tmp_path / "store.db")]
    trained = runner.invoke(app, db + ["model", "train", "ecommerce", "--labels", str(labels),
                                       "--name", "office"], env=env)
    assert trained.exit_code == 0, trained.output
    card = json.loads(trained.stdout.splitlines()[-1])
    assert Path(card["path"]).is_file() and card["metrics"]["combined"]["f1"] > 0.8

    listed = runner.invoke(app, db + ["model", "list", "--format", "json"], env=env)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    listed_names = {(r["kind"], r["name"]) for r in rows}
    assert {("ecommerce", "office"), ("ecommerce", "default")} <= listed_names
    summaries = {(r["kind"], r["name"]): r["metrics"] for r in rows}
    assert "f1=" in summaries["ecommerce", "office"]
    assert "holdout_macro_f1=" in summaries["products", "default"]  # held-out figures shown

    shown = runner.invoke(app, db + ["model", "show", "office", "--kind", "ecommerce"], env=env)
    document = json.loads(shown.stdout)
    assert document["version"] == card["version"] and "vectorizer" not in document

    evaluated = runner.invoke(app, db + ["model", "evaluate", "office", "--labels", str(labels)],
                              env=env)
    scores = json.loads(evaluated.stdout)
    assert scores["same_data_as_training"] is True and scores["pages"] == 54

    page = _write_page(tmp_path, "probe", shop_page("it", 7))
    used = runner.invoke(app, db + ["classify", "page", str(page), "--model", "office"], env=env)
    assert json.loads(used.stdout)["model"].startswith("office@")


def test_cli_train_rejects_bad_labels_and_writes_nothing(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    labels = _labelled_set(pages)
    text = labels.read_text().splitlines()
    text[3] = text[3].rsplit(",", 1)[0] + ",maybe"
    text.append("missing.html,https://x.example/,x.example,1")
    labels.write_text("\n".join(text) + "\n")
    env = {"ECOMSTAT_DATA_DIR": str(tmp_path / "data")}
    result = runner.invoke(app, ["--db", str(tmp_path / "s.db"), "model", "train", "ecommerce",
                                 "--labels", str(labels), "--name", "bad"], env=env)
    assert result.exit_code == 2
    assert "line 4" in result.output and "missing.html" in result.output
    assert not (tmp_path / "data" / "models").exists()


def test_fast_text_vector_equals_sklearn_transform(tiny_model: EcommerceModel) -> None:
    texts = [prepare(parse_html(p)).text for p in (shop_page("en", 1), service_page("de", 2),
                                                   article_page(3), "")]
    expected = tiny_model.vectorizer.transform(texts).toarray()
    for text, row in zip(texts, expected):
        indices, values = tiny_model.text_row(text)
        got = np.zeros_like(row)
        got[indices] = values
        np.testing.assert_allclose(got, row, atol=1e-12)
