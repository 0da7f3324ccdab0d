"""Catalog tooling: `python -m tools.i18n_tools extract|update|compile|check`.

extract  keys from t("key") / nt("key", n) / translate("key", ...) calls in kiosk_api/ into
         locales/kiosk.pot
update   bring every enabled language's <domain>.po in line with the template (kiosk.pot + en keys)
compile  write .mo files next to every .po (all domains; nothing to do is not an error)
check    fail on missing, empty, fuzzy, stale entries, placeholders unlike the en text, wrong
         plural rules
"""

from __future__ import annotations

import argparse
import ast
import gettext
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from kiosk_api import i18n

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Domains whose keys are extracted from Python source here; others (bot) bring their own .pot.
EXTRACT_SOURCES = {"kiosk": PROJECT_ROOT / "kiosk_api"}
SOURCE_LANGUAGE = "en"
_CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|(?<!\{)\{(\w*)(?:[!:][^{}]*)?\}(?!\})")


# --- extraction ----------------------------------------------------------------------------------


# Calls whose first positional argument is a catalog key: the t/nt markers and the i18n functions
# themselves.
SINGULAR_KEYWORDS = ("t", "translate", "translate_text", "_t")
PLURAL_KEYWORDS = ("nt", "translate_plural")


def _literal_keys(node: ast.expr) -> list[str]:
    """The key(s) a literal argument can take: "a.b", or both branches of `"a" if x else "b"`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal_keys(node.body) + _literal_keys(node.orelse)
    return []


def extract_python_keys(fileobj, keywords, comment_tags, options):  # type: ignore[no-untyped-def]
    """A Babel extraction method reading the syntax tree, so `t("a" if x else "b")` gives two
    keys, not "ab"."""
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = (
            node.func.id
            if isinstance(node.func, ast.Name)
            else node.func.attr
            if isinstance(node.func, ast.Attribute)
            else None
        )
        if name not in keywords:
            continue
        for key in _literal_keys(node.args[0]):
            yield node.lineno, name, (key, key) if name in PLURAL_KEYWORDS else key, []


def extract_keys(source: Path) -> tuple[dict[str, list[tuple[str, int]]], set[str]]:
    """Keys used in t()/nt()/translate()... calls under `source`: key -> locations, and the set
    used as plurals."""
    keys: dict[str, list[tuple[str, int]]] = {}
    plural: set[str] = set()
    keywords: dict[str, tuple[int, ...] | None] = {
        **dict.fromkeys(SINGULAR_KEYWORDS),
        **dict.fromkeys(PLURAL_KEYWORDS, (1, 2)),
    }
    found = extract_from_dir(
        str(source),
        method_map=[("**.py", extract_python_keys)],
        keywords=keywords,
        comment_tags=(),
        strip_comment_tags=True,
    )
    for filename, lineno, message, _comments, _context in found:
        key = message[0] if isinstance(message, (list, tuple)) else message
        if not key:
            continue
        rel = (source.name + "/" + filename).replace("\\", "/")
        keys.setdefault(key, []).append((rel, lineno))
        if isinstance(message, (list, tuple)):
            plural.add(key)
    return keys, plural


def build_template(domain: str, locales_dir: Path) -> Catalog:
    """The extracted keys as a template catalog (kiosk); for other domains the .pot on disk."""
    pot = locales_dir / f"{domain}.pot"
    source = EXTRACT_SOURCES.get(domain)
    if source is None or not source.is_dir():
        if pot.exists():
            return i18n.read_catalog(pot)
        return Catalog(domain=domain, project="Lotse")
    template = Catalog(domain=domain, project="Lotse", version="1", fuzzy=False)
    keys, plural = extract_keys(source)
    for key in sorted(keys):
        template.add((key, key) if key in plural else key, locations=keys[key])
    return template


def write_catalog(catalog: Catalog, path: Path, *, omit_locations: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(
            fh,
            catalog,
            width=100,
            no_location=omit_locations,
            ignore_obsolete=True,
            include_previous=False,
            sort_output=False,
        )


def write_template(domain: str, locales_dir: Path) -> Catalog:
    """Write <domain>.pot; its date only changes with its keys, so unchanged runs leave no diff."""
    template = build_template(domain, locales_dir)
    pot = locales_dir / f"{domain}.pot"
    if pot.exists():
        old = i18n.read_catalog(pot)
        if [(m.id, m.locations) for m in old if m.id] == [
            (m.id, m.locations) for m in template if m.id
        ]:
            template.creation_date = old.creation_date
    write_catalog(template, pot)
    return template


def cmd_extract(locales_dir: Path, domains: list[str]) -> int:
    for domain in domains:
        if domain in EXTRACT_SOURCES:
            print(f"{domain}.pot: {len(write_template(domain, locales_dir))} keys")
    return 0


# --- update --------------------------------------------------------------------------------------


def effective_keys(
    domain: str, locales_dir: Path, template: Catalog | None = None
) -> dict[str, Message]:
    """Template keys plus the keys of the en catalog (the source language; holds keys built at
    run time)."""
    template = template if template is not None else build_template(domain, locales_dir)
    keys: dict[str, Message] = {
        m.id if isinstance(m.id, str) else m.id[0]: m for m in template if m.id
    }
    en_path = i18n.catalog_path(locales_dir, SOURCE_LANGUAGE, domain)
    if en_path.exists():
        for message in i18n.read_catalog(en_path):
            if message.id:
                key = message.id if isinstance(message.id, str) else message.id[0]
                keys.setdefault(key, message)
    return keys


def _set_plural_header(catalog: Catalog, plural_forms: str) -> None:
    match = re.fullmatch(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*", plural_forms)
    if not match:
        raise ValueError(f"bad plural_forms in languages.yml: {plural_forms!r}")
    catalog._num_plurals = int(match.group(1))  # Babel only takes these from a parsed header
    catalog._plural_expr = match.group(2)


def new_catalog(language: i18n.Language, domain: str) -> Catalog:
    catalog = Catalog(
        locale=language.babel_locale,
        domain=domain,
        project="Lotse",
        version="1",
        copyright_holder="Lotse",
        fuzzy=False,
    )
    catalog.locale = Locale.parse(language.babel_locale)
    _set_plural_header(catalog, language.plural_forms)
    return catalog


def update_domain(
    domain: str, locales_dir: Path, removed: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    """Create or update <lang>/LC_MESSAGES/<domain>.po for every enabled language; returns what
    changed.

    `removed`: keys that left the code since the last extraction; they leave every catalog, en
    included.
    """
    notes: list[str] = []
    keys = {k: m for k, m in effective_keys(domain, locales_dir).items() if k not in removed}
    template = Catalog(domain=domain, project="Lotse")
    for key, message in keys.items():
        template.add(message.id, locations=message.locations, auto_comments=message.auto_comments)
    for language in i18n.languages(locales_dir):
        path = i18n.catalog_path(locales_dir, language.code, domain)
        if path.exists():
            catalog = i18n.read_catalog(path)
        else:
            catalog = new_catalog(language, domain)
            notes.append(f"created {path.relative_to(locales_dir)}")
        _set_plural_header(catalog, language.plural_forms)
        before = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        catalog.update(
            template,
            no_fuzzy_matching=True,
            update_header_comment=False,
            update_creation_date=False,
        )
        dropped = sorted(k if isinstance(k, str) else k[0] for k in catalog.obsolete)
        if dropped:
            notes.append(f"{path.relative_to(locales_dir)}: removed stale {', '.join(dropped)}")
        added = sorted(
            {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id} - before
        )
        if added:
            notes.append(f"{path.relative_to(locales_dir)}: added {len(added)} untranslated keys")
        write_catalog(catalog, path, omit_locations=True)
    return notes


def _template_keys(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {m.id if isinstance(m.id, str) else m.id[0] for m in i18n.read_catalog(path) if m.id}


def cmd_update(locales_dir: Path, domains: list[str]) -> int:
    for domain in domains:
        removed: set[str] = set()
        if domain in EXTRACT_SOURCES:
            before = _template_keys(locales_dir / f"{domain}.pot")
            write_template(domain, locales_dir)
            removed = before - _template_keys(locales_dir / f"{domain}.pot")
        for note in update_domain(domain, locales_dir, removed):
            print(f"{domain}: {note}")
    return 0


# --- compile -------------------------------------------------------------------------------------


def cmd_compile(locales_dir: Path, domains: list[str]) -> int:
    count = 0
    for domain in domains:
        for po in sorted(locales_dir.glob(f"*/LC_MESSAGES/{domain}.po")):
            catalog = i18n.read_catalog(po)
            with open(po.with_suffix(".mo"), "wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            count += 1
    print(f"compiled {count} catalogs" if count else "no catalogs to compile")
    i18n.reload_catalogs()
    return 0


# --- check ---------------------------------------------------------------------------------------


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, where: str, what: str) -> None:
        self.errors.append(f"{where}: {what}")

    def warn(self, where: str, what: str) -> None:
        self.warnings.append(f"{where}: {what}")


def placeholders(text: str) -> set[str]:
    """Named placeholders in a text: {name} and %(name)s (escaped {{ }} are not placeholders)."""
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def cldr_plural_mismatch(plural_forms: str, babel_locale: str, up_to: int = 1000) -> str | None:
    """Why a Plural-Forms header disagrees with CLDR's rules for whole numbers 0..up_to, or None."""
    match = re.fullmatch(
        r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*", plural_forms or ""
    )
    if not match:
        return f"no valid Plural-Forms header ({plural_forms!r})"
    nplurals = int(match.group(1))
    try:
        rule = gettext.c2py(match.group(2))
    except (ValueError, SyntaxError) as exc:
        return f"plural expression does not parse: {exc}"
    cldr = Locale.parse(babel_locale).plural_form
    categories = [cldr(n) for n in range(up_to + 1)]
    used = [c for c in _CLDR_ORDER if c in categories]
    if nplurals != len(used):
        return (
            f"nplurals={nplurals}, CLDR has {len(used)} forms for whole numbers ({', '.join(used)})"
        )
    for n, category in enumerate(categories):
        if rule(n) != used.index(category):
            return (
                f"plural form for n={n} is {rule(n)}, CLDR says {category!r} (form "
                f"{used.index(category)})"
            )
    return None


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _forms(message: Message) -> list[str]:
    if isinstance(message.string, (list, tuple)):
        return list(message.string)
    return [message.string or ""]


def discover_domains(locales_dir: Path) -> list[str]:
    found = {p.stem for p in locales_dir.glob("*.pot")} | {
        p.stem for p in locales_dir.glob("*/LC_MESSAGES/*.po")
    }
    return sorted(found | {d for d in EXTRACT_SOURCES if d in found})


def check_domain(domain: str, locales_dir: Path, report: Report, *, strict: bool = False) -> None:
    keys = effective_keys(domain, locales_dir)
    en_text: dict[str, list[str]] = {}
    enabled = {lang.code: lang for lang in i18n.languages(locales_dir)}
    for po in sorted(locales_dir.glob(f"*/LC_MESSAGES/{domain}.po")):
        if po.parent.parent.name not in enabled:
            report.error(
                str(po.relative_to(locales_dir)), "catalog for a language not in languages.yml"
            )
    en_path = i18n.catalog_path(locales_dir, SOURCE_LANGUAGE, domain)
    if en_path.exists():
        for message in i18n.read_catalog(en_path):
            if message.id and not message.fuzzy:
                en_text[_key(message)] = _forms(message)
    for code, language in enabled.items():
        path = i18n.catalog_path(locales_dir, code, domain)
        where = str(path.relative_to(locales_dir))
        if not path.exists():
            report.error(where, "catalog missing (run make catalogs-update)")
            continue
        try:
            with open(path, "rb") as fh:
                catalog = read_po(fh, abort_invalid=True)
        except Exception as exc:  # a broken file must be reported, whatever Babel raises
            report.error(where, f"does not parse: {exc}")
            # go on with what Babel can read, so the cause (e.g. a wrong header) is reported too
            try:
                with open(path, "rb") as fh:
                    catalog = read_po(fh, abort_invalid=False)
            except Exception:
                continue
        # Babel fills in a default Plural-Forms when the file has none; only a parsed header sets
        # _num_plurals.
        header = (
            dict(catalog.mime_headers).get("Plural-Forms", "")
            if catalog._num_plurals is not None
            else ""
        )
        if _normalize_plural(header) != _normalize_plural(language.plural_forms):
            report.error(
                where,
                f"Plural-Forms {header!r} differs from languages.yml {language.plural_forms!r}",
            )
        problem = cldr_plural_mismatch(header, language.babel_locale)
        if problem:
            report.error(where, f"plural rules: {problem}")
        required = strict or code in (SOURCE_LANGUAGE, "de") or domain in language.complete
        for key in sorted(catalog.obsolete):
            report.error(where, f"stale (obsolete) entry {key if isinstance(key, str) else key[0]}")
        present: set[str] = set()
        for message in catalog:
            if not message.id:
                continue
            key = _key(message)
            present.add(key)
            if key not in keys:
                report.error(where, f"stale entry {key} (not in template nor en catalog)")
                continue
            if message.fuzzy:
                report.error(where, f"fuzzy entry {key}")
                continue
            forms = _forms(message)
            if isinstance(message.id, (list, tuple)) and len(forms) != catalog.num_plurals:
                report.error(
                    where,
                    f"{key} has {len(forms)} plural forms, the language has {catalog.num_plurals}",
                )
            if not all(forms):
                (report.error if required else report.warn)(where, f"empty entry {key}")
                continue
            if code != SOURCE_LANGUAGE and key in en_text and all(en_text[key]):
                expected = set().union(*(placeholders(f) for f in en_text[key]))
                got = [placeholders(f) for f in forms]
                if set().union(*got) != expected or any(g - expected for g in got):
                    report.error(
                        where,
                        f"{key} placeholders {sorted(set().union(*got))} differ from en "
                        f"{sorted(expected)}",
                    )
        for key in sorted(set(keys) - present):
            (report.error if required else report.warn)(where, f"missing entry {key}")


def _normalize_plural(text: str) -> str:
    return re.sub(r"\s+", "", text or "").rstrip(";")


def check(
    locales_dir: Path, domains: Iterable[str] | None = None, *, strict: bool = False
) -> Report:
    report = Report()
    for domain in list(domains) if domains else discover_domains(locales_dir):
        check_domain(domain, locales_dir, report, strict=strict)
    return report


def cmd_check(locales_dir: Path, domains: list[str] | None, strict: bool, verbose: bool) -> int:
    found = list(domains) if domains else discover_domains(locales_dir)
    report = check(locales_dir, found, strict=strict)
    for line in report.errors:
        print(f"ERROR {line}")
    if verbose:
        for line in report.warnings:
            print(f"warning {line}")
    untranslated = len(report.warnings)
    print(
        f"catalogs check: domains {', '.join(found) or 'none'}; {len(report.errors)} errors; "
        f"{untranslated} untranslated entries in languages not yet marked complete (they fall back "
        "to en, de)"
    )
    return 1 if report.errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.i18n_tools",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["extract", "update", "compile", "check"])
    parser.add_argument(
        "--locales", type=Path, default=i18n.DEFAULT_LOCALES_DIR, help="locales directory"
    )
    parser.add_argument(
        "--domain", action="append", help="only this domain (repeatable); default: all present"
    )
    parser.add_argument(
        "--strict", action="store_true", help="check: every language must be complete"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="check: list untranslated entries too"
    )
    args = parser.parse_args(argv)
    locales_dir: Path = args.locales.resolve()
    if args.command == "check":
        return cmd_check(locales_dir, args.domain, args.strict, args.verbose)
    if args.command == "compile":
        return cmd_compile(locales_dir, args.domain or discover_domains(locales_dir))
    # extract/update touch only the kiosk domain unless told otherwise: bot catalogs have their own
    # owner.
    domains = args.domain or sorted(EXTRACT_SOURCES)
    if args.command == "extract":
        return cmd_extract(locales_dir, domains)
    return cmd_update(locales_dir, domains)


if __name__ == "__main__":
    sys.exit(main())
