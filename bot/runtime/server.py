"""The `rasa` command line with Lotse's patches installed (bot/scripts/start_rasa.sh: `python -m
bot.runtime.server run …`; make bot-train: `… train …`).

Refuses to start on a Rasa version other than the one the patches were written for
(patches.install()). Every Rasa process starts here or calls patches.install() or
no_tensorflow.install() first: the bot environment has no TensorFlow, and Rasa loads only with the
stand-in for it (bot/runtime/no_tensorflow.py). `--without-patches` as the first argument gives
Rasa as released, with only that stand-in (bench/bot_bench.py compares the two).

`run` (the server) keeps numpy's OpenBLAS to one thread (blas_on_one_thread).
"""

from __future__ import annotations

import os
import sys

from bot.runtime import no_tensorflow, patches

WITHOUT_PATCHES = "--without-patches"
BLAS_THREADS_VARIABLE = "OPENBLAS_NUM_THREADS"


def blas_on_one_thread() -> None:
    """The server's NLU multiplies small matrices (bot/components/intent_classifier.py, one text
    at a time); OpenBLAS ran them on a thread per core, and its worker threads spin after each
    call: 0.55 ms of the Rasa process's CPU per message (3.33 -> 2.79 ms in process, 160 messages
    of the capacity benchmark's flows one after another, 5 Dec 2026), the same NLU time. One
    thread for every OpenBLAS loaded now or later, unless OPENBLAS_NUM_THREADS says otherwise."""
    from threadpoolctl import threadpool_limits

    os.environ.setdefault(BLAS_THREADS_VARIABLE, "1")
    threadpool_limits(limits=int(os.environ[BLAS_THREADS_VARIABLE]), user_api="blas")


def main() -> None:
    if sys.argv[1:2] == [WITHOUT_PATCHES]:
        del sys.argv[1]
        no_tensorflow.install()
    else:
        if sys.argv[1:2] == ["run"]:
            blas_on_one_thread()
        patches.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
