"""Topic search in the client's own words (kiosk search box, and the chat's "Did you mean …?").

The index is built once per process in a worker thread at start-up (a few seconds of CPU);
searches wait for it."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from lotse_shared.search import TopicIndex, build_index

log = logging.getLogger("lotse.content")
_built = threading.Event()
_index: TopicIndex | None = None
_lock = threading.Lock()
BUILD_TIMEOUT_SECONDS = 120


def _build(content_dir: Path, nlu_dir: Path) -> None:
    global _index
    with _lock:
        if _index is None:
            _index = build_index(content_dir, nlu_dir)
            log.info("topic search index built")
        _built.set()


def start_building(content_dir: Path, nlu_dir: Path) -> None:
    """Builds the index in the background, so the server answers everything else at once."""
    threading.Thread(
        target=_build, args=(content_dir, nlu_dir), name="lotse-topic-index", daemon=True
    ).start()


def get_index() -> TopicIndex:
    from kiosk_api.config import get_settings

    if not _built.wait(0):
        settings = get_settings()
        _build(
            Path(settings.content_dir), Path(settings.nlu_dir)
        )  # not started (CLI, tests): build here
    if not _built.wait(BUILD_TIMEOUT_SECONDS) or _index is None:
        raise RuntimeError("topic search index not built")
    return _index
