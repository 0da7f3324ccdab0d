"""The intent classifier's scores per text (bot/components/intent_classifier.py) against the same
model's scikit-learn reference, on the shipped model and every NLU example of the bot."""

from __future__ import annotations

import tarfile

import numpy as np
import pytest
import yaml
from servers import ROOT, model_path

from bot.components.intent_classifier import LinearModel
from lotse_shared import text as client_text

COMPONENT = "LinearIntentClassifier"
# Texts no example has: empty, only blanks or unknown signs, digits, other scripts.
ODD_TEXTS = ["", "   ", "x", "ÄÖÜ ß 123 !!", "مرحبا", "😀", "a" * 2000, "1 2 3 4 5"]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> LinearModel:
    out = tmp_path_factory.mktemp("model")
    with tarfile.open(model_path()) as archive:
        members = [m for m in archive.getmembers() if COMPONENT in m.name and m.isfile()]
        archive.extractall(out, members=members, filter="data")
    (directory,) = {path.parent for path in out.rglob("*") if path.is_file()}
    return LinearModel.load(directory)


def nlu_examples() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "bot" / "data").rglob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            examples = item.get("examples")
            if isinstance(examples, str):
                texts += [line[2:] for line in examples.splitlines() if line.startswith("- ")]
    return texts


def test_the_scores_per_text_are_the_sparse_reference(model: LinearModel) -> None:
    texts = [client_text.normalize(text) for text in nlu_examples()] + ODD_TEXTS
    assert len(texts) > 10_000
    fast, reference = model.decision_function(texts), model.sparse_scores(texts)
    assert fast.shape == reference.shape == (len(texts), len(model.classes))
    assert np.abs(fast - reference).max() < 1e-9
    # The same ranking of the top intents for every text.
    top = 5
    assert (np.argsort(-fast, axis=1)[:, :top] == np.argsort(-reference, axis=1)[:, :top]).all()


def test_an_empty_text_scores_the_intercepts(model: LinearModel) -> None:
    assert np.array_equal(model.decision_function([""])[0], model.intercept)
