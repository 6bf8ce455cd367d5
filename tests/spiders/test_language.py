"""The vectorised language identifier gives py3langid's own answer."""

from __future__ import annotations

import random

import py3langid
import pytest

from ecomstat.spiders.language import classify_language, detect_language

TEXTS = [
    "Bonjour, nous sommes une entreprise familiale à Lyon depuis 1950.",
    "Wir liefern frische Brötchen und Kuchen jeden Morgen in die Altstadt.",
    "Selamat datang di toko kami, belanja online mudah dan cepat.",
    "Sklep internetowy z odzieżą i obuwiem dla całej rodziny.",
    "日本語のテキストです", "Όλα καλά εδώ", "a", "ab", "abc", "abcd",
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_language_as_py3langid(text: str) -> None:
    assert classify_language(text) == py3langid.classify(text)[0]


def test_same_language_as_py3langid_on_random_mixtures() -> None:
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyzäöüéèàçñ ąęł日本語Ωж ,.;-0123456789\U0001F600"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 1500)))
             for _ in range(200)]
    assert [classify_language(t) for t in texts] == [py3langid.classify(t)[0] for t in texts]


def test_short_text_falls_back_to_the_lang_attribute() -> None:
    assert detect_language("Hallo", "de-AT") == "de"
    assert detect_language("", None) is None
    assert detect_language("Das ist ein deutscher Satz über das Wetter in Berlin heute.",
                           "en") == "de"
