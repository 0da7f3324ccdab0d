"""The `rasa` command line with Lotse's patches installed (bot/scripts/start_rasa.sh: `python -m
bot.runtime.server run …`; make bot-train: `… train …`).

Refuses to start on a Rasa version other than the one the patches were written for
(patches.install()). Every Rasa process starts here or calls patches.install() or
no_tensorflow.install() first: the bot environment has no TensorFlow, and Rasa loads only with the
stand-in for it (bot/runtime/no_tensorflow.py). `--without-patches` as the first argument gives
Rasa as released, with only that stand-in (bench/bot_bench.py compares the two).
"""

from __future__ import annotations

import sys

from bot.runtime import no_tensorflow, patches

WITHOUT_PATCHES = "--without-patches"


def main() -> None:
    if sys.argv[1:2] == [WITHOUT_PATCHES]:
        del sys.argv[1]
        no_tensorflow.install()
    else:
        patches.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
