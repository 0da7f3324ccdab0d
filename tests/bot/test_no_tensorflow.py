"""The bot environment has no TensorFlow (issue 15): Rasa loads with Lotse's stand-in for the names
it imports (bot/runtime/no_tensorflow.py), a TensorFlow component fails naming itself, and
training, serving (REST, socket.io), every channel Lotse configures and every action use no
TensorFlow name.

Each process started here records what it used of the stand-in in one file
(LOTSE_NO_TENSORFLOW_LOG); this process keeps its own list (no_tensorflow.USES)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
import requests
import yaml
from servers import BOT_TOKEN, ROOT
from test_socketio import CHOOSE_ARABIC, ChatClient

from bot.runtime import no_tensorflow
from bot.runtime.no_tensorflow import LOG_VARIABLE, TensorFlowNotInstalled
from tests.support import assistant

BOT_PY = Path(sys.executable)
# What TensorFlow 2.12 and Rasa's TensorFlow components brought into the environment before.
TENSORFLOW_PACKAGES = (
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-intel",
    "tensorflow-estimator",
    "tensorflow-io-gcs-filesystem",
    "tensorflow-text",
    "tensorflow-hub",
    "tensorflow-addons",
    "keras",
    "tensorboard",
    "protobuf",
)
# Examples kept per intent and NLU file in the training here.
SAMPLED_EXAMPLES = 3
TF_CONFIG = """recipe: default.v1
language: en
assistant_id: tensorflow-component
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: DIETClassifier
    epochs: 1
policies: []
"""
TF_NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
- intent: bye
  examples: |
    - goodbye
    - see you
"""


@pytest.fixture
def uses_here() -> Iterator[list[str]]:
    """This process's list of stand-in uses, emptied again afterwards (a test provokes some)."""
    before = list(no_tensorflow.USES)
    yield no_tensorflow.USES
    no_tensorflow.USES[:] = before


def run_bot(args: list[str], log: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", **{LOG_VARIABLE: str(log)})
    env.update(kwargs.pop("env", {}))  # type: ignore[arg-type]
    return subprocess.run(
        [str(BOT_PY), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def sample_of_the_training_data(folder: Path) -> Path:
    """bot/data with the first examples of every intent in every NLU file: the same components
    train on a sixth of the examples (the full training is `make bot-train`'s)."""
    shutil.copytree(ROOT / "bot" / "data", folder)
    for part in (folder / "nlu").rglob("*.yml"):
        data = yaml.safe_load(part.read_text(encoding="utf-8"))
        for item in data["nlu"]:
            if "intent" in item:
                examples = [line for line in item["examples"].splitlines() if line.strip()]
                item["examples"] = "\n".join(examples[:SAMPLED_EXAMPLES]) + "\n"
        part.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


def logged(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_tensorflow_and_keras_are_not_installed() -> None:
    for package in TENSORFLOW_PACKAGES:
        with pytest.raises(metadata.PackageNotFoundError):
            metadata.distribution(package)
    pins = re.findall(
        r"^([a-z0-9][a-z0-9._-]*)==", (ROOT / "requirements" / "bot.lock").read_text(), re.M
    )
    assert pins and not set(pins) & set(TENSORFLOW_PACKAGES)
    # What Rasa imported under these names is the stand-in (tests/bot/conftest.py installed it).
    import keras
    import tensorflow

    assert no_tensorflow.installed() and not no_tensorflow.tensorflow_installed()
    assert "stand-in" in (tensorflow.__doc__ or "") and "stand-in" in (keras.__doc__ or "")
    assert sys.version_info[:2] >= (3, 11)


def test_the_stand_in_refuses_any_tensorflow_code_naming_who_asked(uses_here: list[str]) -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow.models import RasaModel
    from tensorflow.keras import backend

    with pytest.raises(TensorFlowNotInstalled) as refused:
        tf.constant(1)
    here = f"{__name__}.test_the_stand_in_refuses_any_tensorflow_code_naming_who_asked"
    assert str(refused.value).startswith(
        f"tensorflow.constant by {here}: TensorFlow is not installed"
    )
    with pytest.raises(TensorFlowNotInstalled, match=r"^tensorflow\.keras\.backend\.epsilon by "):
        backend.epsilon()
    # A Rasa class built on a Keras class: creating it names both.
    with pytest.raises(TensorFlowNotInstalled) as refused:
        RasaModel()
    assert str(refused.value).startswith(
        f"keras.Model (rasa.utils.tensorflow.models.RasaModel) by {here}"
    )
    assert len(uses_here) == 3
    # Introspection is answered as for any module, not refused.
    assert not hasattr(tf, "__wrapped__")
    # Installing again changes nothing.
    assert no_tensorflow.install() and sys.modules["tensorflow"] is tf


def test_a_tensorflow_component_fails_to_train_naming_itself(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text(TF_CONFIG)
    (tmp_path / "nlu.yml").write_text(TF_NLU)
    log = tmp_path / "tensorflow-uses.txt"
    result = run_bot(
        ["-m", "bot.runtime.server", "train", "nlu", "--config", str(tmp_path / "config.yml")]
        + ["--nlu", str(tmp_path / "nlu.yml"), "--out", str(tmp_path / "models")],
        log,
        env={"RASA_CACHE_DIRECTORY": str(tmp_path / "cache")},
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "TensorFlowNotInstalled" in output and "TensorFlow is not installed" in output
    uses = logged(log)
    assert uses, output[-3000:]
    assert "rasa.nlu.classifiers.diet_classifier" in uses[0], uses


def test_training_serving_channels_and_actions_use_no_tensorflow(
    tmp_path: Path, kiosk_api: str, monkeypatch: pytest.MonkeyPatch, uses_here: list[str]
) -> None:
    log = tmp_path / "tensorflow-uses.txt"
    # The record works in a child process: one use there is one line here.
    probe = run_bot(
        [
            "-c",
            "from bot.runtime import no_tensorflow as n; n.install(); import tensorflow; "
            "tensorflow.constant",
        ],
        tmp_path / "probe.txt",
        timeout=300,
    )
    assert "TensorFlowNotInstalled" in probe.stderr
    assert len(logged(tmp_path / "probe.txt")) == 1

    # 1. A real training of Lotse's assistant (its config, domain and rules; a sample of its NLU
    #    data, every intent of every file), with a cache of its own so that every component trains.
    models = tmp_path / "models"
    data = sample_of_the_training_data(tmp_path / "data")
    trained = run_bot(
        ["-m", "bot.runtime.server", "train", "--domain", "bot/domain", "--data", str(data)]
        + ["--config", "bot/config.yml", "--out", str(models), "--fixed-model-name", "lotse"],
        log,
        env={"RASA_CACHE_DIRECTORY": str(tmp_path / "cache")},
        timeout=1200,
    )
    assert trained.returncode == 0, (trained.stdout + trained.stderr)[-3000:]
    assert logged(log) == []

    # 2. That model served (REST, socket.io) with the action server, both recording.
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    var = tmp_path / "var"
    var.mkdir()
    with assistant.assistant(
        var,
        api_url=kiosk_api,
        bot_token=BOT_TOKEN,
        rasa_env={"RASA_MODEL": str(models / "lotse.tar.gz"), LOG_VARIABLE: str(log)},
    ) as bot:
        sender = f"no-tf-{uuid.uuid4().hex[:8]}"
        replies: list[dict] = []
        for text in (
            "/greet",
            '/choose_language{"language":"de"}',
            "Ich brauche einen Termin",
            "Welche Unterlagen brauche ich für das Jobcenter?",
            "Was ist das Bürgergeld?",
            "/goodbye",
        ):
            answer = requests.post(
                f"{bot.rasa_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": text},
                timeout=120,
            )
            assert answer.status_code == 200, (text, answer.text)
            replies += answer.json()

        assert len(replies) >= 4, replies

        async def chat() -> None:
            tab = ChatClient(bot.rasa_url)
            try:
                session_id = await tab.open(None)
                await tab.say(session_id, CHOOSE_ARABIC)
                await tab.wait_for(bool)
            finally:
                await tab.close()

        asyncio.run(chat())

        # Every custom action of the domain, called as Rasa calls it.
        actions = sorted(
            {
                action
                for part in (ROOT / "bot" / "domain").rglob("*.yml")
                for action in (yaml.safe_load(part.read_text()) or {}).get("actions") or []
            }
        )
        assert len(actions) >= 10
        for action in actions:
            called = requests.post(
                f"{bot.actions_url}/webhook",
                headers={"Authorization": f"Bearer {assistant.ACTIONS_SECRET}"},
                json={
                    "next_action": action,
                    "sender_id": f"no-tf-{action}",
                    "tracker": {
                        "sender_id": f"no-tf-{action}",
                        "slots": {"language": "de"},
                        "latest_message": {"text": "hallo", "intent": {"name": "greet"}},
                        "events": [],
                        "active_loop": {},
                    },
                    "domain": {},
                    "version": "3.6.21",
                },
                timeout=60,
            )
            assert called.status_code in (200, 400, 404, 500), (action, called.text)
            assert "TensorFlowNotInstalled" not in called.text
    assert logged(log) == []

    # 3. Every channel Lotse configures, built from the credentials Lotse writes, in this process.
    from rasa.core import run
    from rasa.core.channels.telegram import TelegramOutput

    from bot.scripts import write_config

    monkeypatch.setenv("TELEGRAM_ACCESS_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://chat.example/webhooks/telegram/webhook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "telegram-webhook-secret")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "twilio-token")
    monkeypatch.setenv("TWILIO_NUMBER", "+4923100000")
    monkeypatch.setenv("TWILIO_WEBHOOK_URL", "https://chat.example/webhooks/twilio/webhook")
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "whatsapp-access-token")
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "1234567890")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "whatsapp-app-secret")
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "whatsapp-verify-token")
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(yaml.safe_dump(write_config.credentials()))
    channels = run.create_http_input_channels(None, str(credentials))
    assert sorted(channel.name() for channel in channels) == [
        "rest",
        "socketio",
        "telegram",
        "twilio",
        "whatsapp",
    ]

    async def on_new_message(message: object) -> None:
        return None

    for channel in channels:
        if channel.name() == "telegram":
            # Its blueprint registers the webhook with Telegram (the network); its output is
            # what sends.
            TelegramOutput(os.environ["TELEGRAM_ACCESS_TOKEN"])
        else:
            channel.blueprint(on_new_message)
    assert uses_here == []
