"""How the assistant understands questions written apart from its training data
(`make bot-eval-real`).

tests/bot/real_questions/<set>/<lang>.yml were written by writers who saw only the topic list,
never the training data; nothing in them is trained on (tests/bot/test_real_questions.py
checks). Four sets:
  dev    written first; its misses were read by category to decide where the training data needed
         more examples (never copied), so its figures flatter a little
  final  written by other writers after that, and read by no one working on the assistant
  check  written by a third group of writers (2026-12-04) while the last training examples were
         written by others, unseen by them; only its table is read, never its misses
  formal written by a fourth group (2026-12-05) as volunteers, social workers and relatives write
         on a client's behalf and as help pages ask (standard language, third person, conditions,
         German terms in brackets); its table measured the formal training lines, its misses are
         never read
Each question is parsed by the trained model (bot/models/lotse.tar.gz) and decided by the same code
as the live action (bot.actions.understanding), with the same topic search as the kiosk API. Per
language it prints:
  top-1     the first topic Lotse puts forward (its answer, or the first "Did you mean" button) is
            right
  direct    answered at once with the right topic, without asking
  top-3     the right topic is answered or among the (at most three) topics offered
  fallback  in-scope questions where Lotse puts forward no topic ("I can't answer that")
  refused   out-of-scope questions answered honestly with "I can't answer that"
  reply     the reply to the question as a first message comes in the question's language
A question with `also:` counts as right for any of its topics (in dev and final added afterwards by
annotators who saw the topic list and the questions, never Lotse's answers). Writes
bot/models/eval_real/<set>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from bot.actions.understanding import OUT_OF_SCOPE, decide
from bot.lang.conversation import language_slots
from bot.lang.languages import current_language
from lotse_shared.files import read_yaml
from lotse_shared.search import CONTENT_DIR, MINIMUM_SCORE, TopicIndex, build_index

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "tests" / "bot" / "real_questions"
MODEL = ROOT / "bot" / "models" / "lotse.tar.gz"
OUT = ROOT / "bot" / "models" / "eval_real"
TARGETS = {"top1": 0.90, "top3": 0.97, "fallback": 0.05}


SETS = ("dev", "final", "check", "formal")


def load_questions(question_set: str) -> dict[str, list[dict]]:
    return {
        path.stem: read_yaml(path)["questions"]
        for path in sorted((QUESTIONS / question_set).glob("*.yml"))
    }


@lru_cache(maxsize=1)
def topic_index() -> TopicIndex:
    """The kiosk API's topic search over content and examples, built once per process (10 s)."""
    return build_index()


def topics() -> list[str]:
    config = read_yaml(CONTENT_DIR / "config.yml")
    return [topic for members in config["themes"].values() for topic in members]


async def evaluate(model: Path, question_set: str) -> dict[str, dict]:
    from bot.runtime import patches

    patches.install()  # Rasa as the server runs it: the patches and the stand-in for TensorFlow
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Rasa's debug log prints every parsed text: the questions must not scroll past whoever runs
    # this.
    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)

    agent = Agent.load(str(model))
    index = topic_index()
    known = topics()
    report: dict[str, dict] = {}
    for language, questions in load_questions(question_set).items():
        counts: dict[str, int] = defaultdict(int)
        misses = []
        for question in questions:
            text, gold = question["text"], {question["topic"], *(question.get("also") or [])}
            parse = await agent.parse_message(text)
            searched = [m.topic for m in index.rank(text, limit=3, minimum=MINIMUM_SCORE)]
            decision = decide(
                parse, searched, known, booked=False
            )  # a first message: nothing booked yet
            offered = decision.put_forward if decision else []
            replied_in = current_language(
                language_slots(parse, language=None, explicit=False, in_form=False)
            )
            counts["reply"] += int(replied_in.split("_")[0] == language)
            if question["topic"] == OUT_OF_SCOPE:
                counts["out_of_scope"] += 1
                counts["refused"] += int(decision is not None and not offered)
                continue
            counts["in_scope"] += 1
            top1 = bool(offered) and offered[0] in gold
            counts["top1"] += int(top1)
            counts["direct"] += int(decision is not None and decision.answer in gold)
            counts["top3"] += int(any(topic in gold for topic in offered))
            counts["fallback"] += int(decision is not None and not offered)
            if not top1:
                misses.append(
                    {
                        "text": text,
                        "topic": question["topic"],
                        "intent": parse["intent"]["name"],
                        "confidence": round(parse["intent"].get("confidence") or 0.0, 3),
                        "offered": offered,
                    }
                )
        n = counts["in_scope"] or 1
        report[language] = {
            "questions": len(questions),
            "in_scope": counts["in_scope"],
            "out_of_scope": counts["out_of_scope"],
            "top1": counts["top1"] / n,
            "direct": counts["direct"] / n,
            "top3": counts["top3"] / n,
            "fallback": counts["fallback"] / n,
            "refused": counts["refused"] / (counts["out_of_scope"] or 1),
            "reply": counts["reply"] / len(questions),
            "misses": misses,
        }
    return report


def print_table(report: dict[str, dict]) -> None:
    print(
        f"{'lang':5} {'n':>4} {'top-1':>6} {'direct':>7} {'top-3':>6} {'fallback':>9} "
        f"{'refused':>8} {'reply':>6}"
    )
    for language, row in report.items():
        flags = (
            ""
            if row["top1"] >= TARGETS["top1"]
            and row["top3"] >= TARGETS["top3"]
            and row["fallback"] <= TARGETS["fallback"]
            else "  below target"
        )
        print(
            f"{language:5} {row['in_scope']:>4} {row['top1']:>6.2f} {row['direct']:>7.2f} "
            f"{row['top3']:>6.2f} {row['fallback']:>9.2f} {row['refused']:>8.2f} "
            f"{row['reply']:>6.2f}{flags}"
        )
    rows = list(report.values())
    total = sum(r["in_scope"] for r in rows) or 1

    def mean(key: str) -> float:
        return sum(r[key] * r["in_scope"] for r in rows) / total

    print(
        f"{'all':5} {total:>4} {mean('top1'):>6.2f} {mean('direct'):>7.2f} {mean('top3'):>6.2f} "
        f"{mean('fallback'):>9.2f}"
    )
    print(
        f"targets per language: top-1 >= {TARGETS['top1']}, top-3 >= {TARGETS['top3']}, fallback "
        f"<= {TARGETS['fallback']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--set", choices=SETS, action="append", help="question set (default: all)")
    parser.add_argument(
        "--misses", action="store_true", help="print every question not answered right at once"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for question_set in args.set or SETS:
        report = asyncio.run(evaluate(args.model, question_set))
        (OUT / f"{question_set}.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        if args.misses:
            for language, row in report.items():
                for miss in row["misses"]:
                    print(language, json.dumps(miss, ensure_ascii=False))
        print(f"\n{question_set} set")
        print_table(report)


if __name__ == "__main__":
    main()
