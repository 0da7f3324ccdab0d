"""Temporary locales directories built with Babel, next to the real languages.yml."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from kiosk_api import i18n
from tools.i18n_tools import new_catalog

REAL_LOCALES = i18n.DEFAULT_LOCALES_DIR


@pytest.fixture
def locales_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty locales directory with the project's languages.yml, every language but de and en
    a draft."""
    root = tmp_path / "locales"
    root.mkdir()
    text = (REAL_LOCALES / "languages.yml").read_text(encoding="utf-8")
    drafts = re.sub(r"complete: \[[a-z, ]*\]", "complete: []", text)
    drafts = drafts.replace(
        '  de:\n    babel: de\n    plural_forms: "nplurals=2; plural=(n != 1);"\n    complete: []',
        '  de:\n    babel: de\n    plural_forms: "nplurals=2; plural=(n != 1);"\n    complete: '
        "[kiosk, bot]",
    )
    drafts = drafts.replace(
        '  en:\n    babel: en\n    plural_forms: "nplurals=2; plural=(n != 1);"\n    complete: []',
        '  en:\n    babel: en\n    plural_forms: "nplurals=2; plural=(n != 1);"\n    complete: '
        "[kiosk, bot]",
    )
    (root / "languages.yml").write_text(drafts, encoding="utf-8")
    i18n.reload_catalogs()
    yield root
    i18n.reload_catalogs()


WriteCatalog = Callable[..., Path]


@pytest.fixture
def write_catalog(locales_dir: Path) -> WriteCatalog:
    """write_catalog("ar", {"key": "text", "plural.key": ("one", "other")}, domain="kiosk",
    fuzzy={"key"})"""

    def _write(
        language: str,
        entries: dict[str, str | tuple[str, ...]],
        *,
        domain: str = "kiosk",
        fuzzy: set[str] | frozenset[str] = frozenset(),
        obsolete: dict[str, str] | None = None,
    ) -> Path:
        catalog: Catalog = new_catalog(i18n.get_language(language, locales_dir), domain)
        for key, text in entries.items():
            flags = ("fuzzy",) if key in fuzzy else ()
            if isinstance(text, tuple):
                catalog.add((key, key), string=text, flags=flags)
            else:
                catalog.add(key, string=text, flags=flags)
        path = i18n.catalog_path(locales_dir, language, domain)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=100)
            for key, text in (obsolete or {}).items():
                fh.write(f'\n#~ msgid "{key}"\n#~ msgstr "{text}"\n'.encode())
        i18n.reload_catalogs()
        return path

    return _write
