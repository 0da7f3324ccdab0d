"""The `rasa` command line with Lotse's patches installed (bot/scripts/start_rasa.sh: `python -m
bot.runtime.server run …`).

Refuses to start on a Rasa version other than the one the patches were written for
(patches.install()).
"""

from __future__ import annotations

from bot.runtime import patches


def main() -> None:
    patches.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
