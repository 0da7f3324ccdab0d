"""Intent macro-F1 per language on a held-out split of each language's own NLU data.

Every language's examples are split per intent (about 1 in 5 held out, fixed seed); one NLU model is
trained on the rest (reused by Rasa's fingerprint while nothing changed) and parses the held-out
messages. `--per-language de ar` also trains one model per named language, for the comparison in
bot/README.md. Writes bot/models/holdout/report.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from sklearn.metrics import f1_score

from lotse_shared.nlu import NLU_DIR, examples_by_language, plain

BOT_DIR = Path(__file__).resolve().parents[1]
OUT = BOT_DIR / "models" / "holdout"
SEED = 7
HOLD_OUT_EVERY = 5


def split(rows: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for intent, example in rows:
        by_intent[intent].append(example)
    train, test = [], []
    rng = random.Random(SEED)
    for intent in sorted(by_intent):
        examples = sorted(by_intent[intent])
        rng.shuffle(examples)
        for index, example in enumerate(examples):
            (test if index % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 else train).append(
                (intent, example)
            )
    return train, test


def write_training_data(folder: Path, rows: list[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    by_intent: dict[str, list[str]] = defaultdict(list)
    for intent, example in rows:
        by_intent[intent].append(example)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"] + [
            f"    - {e}" for e in by_intent[intent]
        ]
    # Files are rewritten only when their content changed, so an unchanged split keeps its model.
    for path, text in (
        (folder / "nlu.yml", "\n".join(lines) + "\n"),
        (folder / "languages.yml", (NLU_DIR / "languages.yml").read_text(encoding="utf-8")),
    ):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def train(data: Path, name: str) -> tuple[Path, float]:
    """Trains unless the model is newer than its data and the pipeline config (then 0 s)."""
    model = OUT / f"{name}.tar.gz"
    inputs = [BOT_DIR / "config.yml", *data.iterdir()]
    if model.exists() and model.stat().st_mtime > max(p.stat().st_mtime for p in inputs):
        return model, 0.0
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.runtime.server",
            "train",
            "nlu",
            "--config",
            str(BOT_DIR / "config.yml"),
            "--nlu",
            str(data),
            "--out",
            str(OUT),
            "--fixed-model-name",
            name,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return OUT / f"{name}.tar.gz", time.perf_counter() - started


async def predict(model: Path, texts: list[str]) -> list[str]:
    from bot.runtime import patches

    patches.install()  # Rasa as the server runs it: the patches and the stand-in for TensorFlow
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [top_intent(await agent.parse_message(text)) for text in texts]


def top_intent(parse: dict) -> str:
    """The classifier's best intent: below the fallback threshold the dialogue asks back, which
    is not a miss here."""
    ranking = [r["name"] for r in parse.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
    return ranking[0] if ranking else parse["intent"]["name"]


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    return float(
        f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--per-language", nargs="*", default=[], help="also train one model per named language"
    )
    args = parser.parse_args()
    data = examples_by_language()
    splits = {language: split(rows) for language, rows in data.items()}
    work = OUT / "data"
    write_training_data(
        work / "all", [row for train_rows, _ in splits.values() for row in train_rows]
    )
    model, seconds = train(work / "all", "nlu-holdout-all")
    report: dict[str, dict] = {
        "multilingual": {"train_seconds": round(seconds, 1), "languages": {}}
    }
    for language, (_, test) in splits.items():
        gold = [intent for intent, _ in test]
        predicted = asyncio.run(predict(model, [plain(example) for _, example in test]))
        report["multilingual"]["languages"][language] = {
            "macro_f1": round(macro_f1(gold, predicted), 4),
            "n_test": len(test),
        }
    for language in args.per_language:
        train_rows, test = splits[language]
        write_training_data(work / language, train_rows)
        single, seconds = train(work / language, f"nlu-holdout-{language}")
        gold = [intent for intent, _ in test]
        predicted = asyncio.run(predict(single, [plain(example) for _, example in test]))
        report[f"only-{language}"] = {
            "train_seconds": round(seconds, 1),
            "macro_f1": round(macro_f1(gold, predicted), 4),
        }
    (OUT / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"multilingual model: trained in {report['multilingual']['train_seconds']} s")
    for language, figures in report["multilingual"]["languages"].items():
        print(
            f"{language:6} macro-F1 {figures['macro_f1']:.3f}  ({figures['n_test']} held-out "
            "messages)"
        )
    for key, figures in report.items():
        if key.startswith("only-"):
            print(
                f"{key}: macro-F1 {figures['macro_f1']:.3f}, trained in {figures['train_seconds']} "
                "s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
