"""Gap 0: one message froze the assistant for everyone (NLU time grew with the square of the longest
word:
20,000 letters took 31 s, 100,000 over 10 minutes, all on Rasa's one event loop)."""

from __future__ import annotations

import random
import string
import time
from concurrent.futures import ThreadPoolExecutor

from tests.security.conftest import Stack, payload, said

# Far below the minutes the 100,000-letter word cost before; far above a normal answer on a busy
# 2-core machine.
PROMPT_SECONDS = 10.0


def a_word(letters: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    return "".join(rnd.choice(string.ascii_lowercase) for _ in range(letters))


def test_a_huge_word_does_not_stall_a_normal_message_sent_at_the_same_time(stack: Stack) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        huge = pool.submit(stack.say, "attacker-1", a_word(100_000), 600)
        time.sleep(0.05)  # the huge one is on its way first
        started = time.monotonic()
        normal = pool.submit(stack.say, "client-1", "Hallo, wie beantrage ich Bürgergeld?", 600)
        normal_replies = normal.result()
        normal_seconds = time.monotonic() - started
        huge_replies = huge.result()
    print(f"normal message beside a 100,000-letter word: answered in {normal_seconds:.2f} s")
    assert normal_seconds < PROMPT_SECONDS, f"the normal message waited {normal_seconds:.1f} s"
    assert normal_replies and not said(normal_replies, "utter_message_too_long")
    assert said(huge_replies, "utter_message_too_long")


def test_the_too_long_answer_is_in_the_clients_language(stack: Stack) -> None:
    stack.say("client-ar", payload("choose_language", language="ar"))
    replies = stack.say(
        "client-ar", " ".join(["مرحبا"] * 600)
    )  # 3,600 characters of ordinary words
    assert said(replies, "utter_message_too_long", "ar")


def test_a_long_word_under_the_cap_is_read_as_usual(stack: Stack) -> None:
    """The honest path: a long German compound (and a web address) still goes to the NLU."""
    replies = stack.say(
        "client-de",
        "Was ist die Grundsicherungsgeldbewilligungsbescheidänderung? https://www.arbeitsagentur.de/"
        + "a" * 80,
    )
    assert replies and not said(replies, "utter_message_too_long")
