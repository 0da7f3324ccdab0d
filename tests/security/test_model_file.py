"""Gap 1: code execution through the model file. The intent classifier stored its model with
joblib (pickle), so a crafted model ran code when Rasa loaded it. Now the model is plain arrays
(.npz, allow_pickle=False) and JSON, and a model file carrying pickled objects is refused without
running them."""

from __future__ import annotations

import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.support.assistant import MODEL, start_rasa
from tests.support.ports import free_port

CLASSIFIER_ARRAYS = "linear_intent_classifier.npz"


class WritesAFile:
    """Unpickling this object creates the file: what an attacker's model would do, harmlessly."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (open, (str(self.marker), "w"))


def poisoned_model(folder: Path, marker: Path) -> Path:
    """Lotse's trained model with the classifier's arrays replaced by a pickled object."""
    unpacked = folder / "unpacked"
    with tarfile.open(MODEL) as archive:
        archive.extractall(unpacked, filter="data")
    [arrays] = list(unpacked.rglob(CLASSIFIER_ARRAYS))
    np.savez(
        arrays,
        coef=np.array([WritesAFile(marker)], dtype=object),
        intercept=np.zeros(1),
        word_idf=np.zeros(1),
        char_idf=np.zeros(1),
    )
    assert arrays.read_bytes()[:2] == b"PK"
    poisoned = folder / "poisoned.tar.gz"
    with tarfile.open(poisoned, "w:gz") as archive:
        for path in sorted(unpacked.iterdir()):
            archive.add(path, arcname=path.name)
    return poisoned


def test_the_trained_model_holds_no_pickle() -> None:
    with tarfile.open(MODEL) as archive:
        classifier = [
            member.name
            for member in archive.getmembers()
            if member.isfile() and "LinearIntentClassifier" in member.name
        ]
        assert sorted(Path(name).name for name in classifier) == [
            "linear_intent_classifier.json",
            CLASSIFIER_ARRAYS,
        ]
        arrays = archive.extractfile(next(name for name in classifier if name.endswith(".npz")))
        assert arrays is not None
        with np.load(arrays, allow_pickle=False) as loaded:  # raises on any pickled (object) array
            assert {"coef", "intercept", "word_idf", "char_idf"} <= set(loaded.files)
            assert all(loaded[name].dtype != object for name in loaded.files)


def test_a_model_with_pickled_objects_is_refused_and_runs_nothing() -> None:
    with tempfile.TemporaryDirectory(prefix="lotse-poisoned-") as folder:
        var = Path(folder)
        marker = var / "the-model-ran-code"
        model = poisoned_model(var, marker)
        assert not marker.exists()
        rasa = start_rasa(
            var,
            model=model,
            port=free_port(),
            actions_url="http://127.0.0.1:9/webhook",
            name="rasa-poisoned",
        )
        try:
            deadline = time.monotonic() + 300
            while "UnreadableModel" not in rasa.output() + _log(var) and rasa.popen.poll() is None:
                assert time.monotonic() < deadline, rasa.output()[-3000:]
                time.sleep(1)
        finally:
            rasa.stop()
        assert "UnreadableModel" in rasa.output() + _log(var)
        assert not marker.exists()


def _log(var: Path) -> str:
    log = var / "rasa.log"
    return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
