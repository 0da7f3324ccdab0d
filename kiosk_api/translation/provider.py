"""Offline machine translation through argostranslate: the only module that touches it.

argostranslate reads its settings from the environment when first imported and keeps global
state (package directory, loaded models), so this module configures it before the import,
pins it to one package directory at a time and serialises calls with a lock. It must never reach
the network: no package index, sentence splitting only with models bundled in the package.
"""

from __future__ import annotations

import atexit
import gc
import json
import logging
import os
import re
import shutil
import stat
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

logger = logging.getLogger(__name__)

PIVOT_LANGUAGE = "en"
ENGINE_NAME = "argos"
PACKAGE_SUFFIX = ".argosmodel"
# Real packages are 50-150 MB and unpack to about as much (model weights barely compress); far above
# that is not a translation package but an attempt to fill the disk.
MAX_PACKAGE_FILE_BYTES = 1024 * 2**20
MAX_PACKAGE_UNPACKED_BYTES = 2048 * 2**20
MAX_PACKAGE_MEMBERS = 1000
MAX_COMPRESSION_RATIO = 100

# Lotse language codes whose text an argostranslate model of another code reads well.
# Dari (fa_AF) is written in Persian script and close enough for the Persian models.
ARGOS_CODE_ALIASES = {"fa_af": "fa", "prs": "fa"}

# Sentence ends for the fallback splitter, incl. Arabic/Persian question mark and Ethiopic full
# stop.
_SENTENCE_END = re.compile(r"(?<=[.!?\u061f\u06d4\u1362\u3002])\s+")

_argos_lock = threading.RLock()
_argos_active_dir: Path | None = None


class PackageInstallError(ValueError):
    """A file given to install is not a usable argostranslate translation package."""


@dataclass(frozen=True)
class PackageInfo:
    """An installed translation package, read from its metadata.json."""

    source_language: str
    target_language: str
    source_name: str
    target_name: str
    package_version: str
    path: Path

    @property
    def pair(self) -> tuple[str, str]:
        return self.source_language, self.target_language


@dataclass(frozen=True)
class Route:
    """How to get from one language to another: one package, or two through the pivot language."""

    steps: tuple[PackageInfo, ...]

    @property
    def pivot_language(self) -> str | None:
        return self.steps[0].target_language if len(self.steps) > 1 else None

    @property
    def engine(self) -> str:
        """Identifies model and versions, so the cache never serves output of a replaced package."""
        parts = "+".join(
            f"{s.source_language}-{s.target_language}@{s.package_version}" for s in self.steps
        )
        return f"{ENGINE_NAME}:{parts}"


def argos_code(language: str) -> str:
    """The argostranslate code for a Lotse language code (fa_AF -> fa, pt-BR -> pt)."""
    code = language.strip().replace("-", "_").lower()
    if code in ARGOS_CODE_ALIASES:
        return ARGOS_CODE_ALIASES[code]
    return code.split("_", 1)[0]


def _load_argostranslate(packages_dir: Path) -> ModuleType:
    """Import argostranslate configured for offline use, pointed at packages_dir. Hold
    _argos_lock."""
    global _argos_active_dir
    packages_dir.mkdir(parents=True, exist_ok=True)
    if _argos_active_dir is None:
        # Read at import time by argostranslate.settings; forced so a user's settings.json cannot
        # switch on a remote provider, CUDA, or spaCy's model download.
        os.environ["ARGOS_PACKAGES_DIR"] = str(packages_dir)
        os.environ["ARGOS_MODEL_PROVIDER"] = "OPENNMT"
        os.environ["ARGOS_CHUNK_TYPE"] = "ARGOSTRANSLATE"
        os.environ["ARGOS_DEVICE_TYPE"] = "cpu"
        os.environ["ARGOS_PACKAGE_INDEX"] = "offline:"
    import argostranslate.settings as argos_settings
    import argostranslate.translate as argos_translate
    import minisbd.models

    if _argos_active_dir is None:
        # Also set after import, in case another module imported argostranslate first.
        argos_settings.model_provider = argos_settings.ModelProvider.OPENNMT
        argos_settings.chunk_type = argos_settings.ChunkType.ARGOSTRANSLATE
        argos_settings.device = "cpu"
        argos_settings.remote_package_index = "offline:index.json"
        minisbd.models.REPO_URL = "offline:"  # a model not bundled with a package is never fetched
        argos_translate.StanzaSentencizer = OfflineSentencizer
        argos_translate.MiniSBDSentencizer = OfflineSentencizer
    if _argos_active_dir != packages_dir:
        argos_settings.package_data_dir = packages_dir
        argos_settings.package_dirs = [packages_dir]
        _forget_loaded_models(argos_translate)
        _argos_active_dir = packages_dir
    return argos_translate


def _forget_loaded_models(argos_translate: ModuleType) -> None:
    # argostranslate keys loaded models by "from-to" only; a replaced package must be reloaded.
    argos_translate.installed_translates.clear()
    argos_translate.get_installed_languages.cache_clear()


def _release_loaded_models() -> None:
    """Frees the loaded translators and sentence models while the interpreter still runs: freed
    during its shutdown, their native worker threads can abort the process ("terminate called
    without an active exception")."""
    if _argos_active_dir is None:
        return
    import argostranslate.translate as argos_translate

    with _argos_lock:
        _forget_loaded_models(argos_translate)
    gc.collect()


atexit.register(_release_loaded_models)


class OfflineSentencizer:
    """Sentence splitting that never downloads: the package's own MiniSBD or Stanza model, else
    rules.

    Replaces argostranslate's sentencizers, which fetch models (MiniSBD) or resources.json (Stanza)
    from the internet when a package does not bundle them.
    """

    def __init__(self, pkg: Any) -> None:
        self.pkg = pkg
        self._split: Any = None

    def _load(self) -> Any:
        package_path = Path(self.pkg.package_path)
        minisbd_models = sorted((package_path / "minisbd").glob("*.onnx"))
        try:
            if minisbd_models:
                from minisbd import SBDetect

                detector = SBDetect(str(minisbd_models[0]), use_gpu=False)
                return detector.sentences
            stanza_dir = package_path / "stanza"
            if (stanza_dir / "resources.json").exists():
                import stanza

                pipeline = stanza.Pipeline(
                    lang=self.pkg.from_code,
                    dir=str(stanza_dir),
                    processors="tokenize",
                    use_gpu=False,
                    download_method=None,
                    logging_level="WARNING",
                )
                return lambda text: [sentence.text for sentence in pipeline(text).sentences]
        except Exception:  # noqa: BLE001  a broken bundled model must not stop translation
            logger.warning(
                "sentence model of package %s unusable, splitting by punctuation", package_path.name
            )
        return split_sentences

    def split_sentences(self, text: str) -> list[str]:
        if self._split is None:
            self._split = self._load()
        return list(self._split(text))


def split_sentences(text: str) -> list[str]:
    """Split at sentence-ending punctuation followed by white space."""
    sentences = [part for part in _SENTENCE_END.split(text.strip()) if part]
    return sentences or [text]


def read_package_metadata(package_dir: Path) -> PackageInfo | None:
    """The package in package_dir, or None if it is not a translation package."""
    try:
        metadata = json.loads((package_dir / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(metadata, dict) or metadata.get("type", "translate") != "translate":
        return None
    source, target = metadata.get("from_code"), metadata.get("to_code")
    if not isinstance(source, str) or not isinstance(target, str) or not source or not target:
        return None
    return PackageInfo(
        source_language=source,
        target_language=target,
        source_name=str(metadata.get("from_name") or source),
        target_name=str(metadata.get("to_name") or target),
        package_version=str(metadata.get("package_version") or "0"),
        path=package_dir,
    )


def inspect_package_file(
    path: Path,
    *,
    max_file_bytes: int = MAX_PACKAGE_FILE_BYTES,
    max_unpacked_bytes: int = MAX_PACKAGE_UNPACKED_BYTES,
) -> tuple[str, dict[str, Any]]:
    """Check that path is an .argosmodel archive of one translation package, within the size caps
    and without links or a zip bomb's compression ratio; return its folder and metadata."""
    if path.stat().st_size > max_file_bytes:
        raise PackageInstallError(f"{path.name}: larger than {max_file_bytes // 2**20} MB")
    if not zipfile.is_zipfile(path):
        raise PackageInstallError(f"{path.name}: not a zip archive")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_PACKAGE_MEMBERS:
            raise PackageInstallError(f"{path.name}: more than {MAX_PACKAGE_MEMBERS} files")
        if sum(member.file_size for member in members) > max_unpacked_bytes:
            raise PackageInstallError(
                f"{path.name}: unpacks to more than {max_unpacked_bytes // 2**20} MB"
            )
        for member in members:
            if stat.S_ISLNK(member.external_attr >> 16):
                raise PackageInstallError(f"{path.name}: contains a link ({member.filename})")
            if (
                member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
                and member.file_size > 2**20
            ):
                raise PackageInstallError(
                    f"{path.name}: {member.filename} is compressed beyond any model file"
                )
        names = {PurePosixPath(name) for name in archive.namelist()}
        roots = {name.parts[0] for name in names if name.parts}
        if len(roots) != 1 or any(name.is_absolute() or ".." in name.parts for name in names):
            raise PackageInstallError(f"{path.name}: must contain exactly one package directory")
        root = roots.pop()
        present = {name.as_posix() for name in names}
        for required in ("metadata.json", "model/model.bin"):
            if f"{root}/{required}" not in present:
                raise PackageInstallError(f"{path.name}: missing {required}")
        if not {f"{root}/sentencepiece.model", f"{root}/bpe.model"} & present:
            raise PackageInstallError(f"{path.name}: missing sentencepiece.model or bpe.model")
        try:
            metadata = json.loads(archive.read(f"{root}/metadata.json"))
        except ValueError as exc:
            raise PackageInstallError(f"{path.name}: metadata.json is not valid JSON") from exc
    if not isinstance(metadata, dict) or metadata.get("type", "translate") != "translate":
        raise PackageInstallError(f"{path.name}: not a translation package")
    if not isinstance(metadata.get("from_code"), str) or not isinstance(
        metadata.get("to_code"), str
    ):
        raise PackageInstallError(f"{path.name}: metadata.json lacks from_code/to_code")
    return root, metadata


class ArgosProvider:
    """Machine translation with the argostranslate packages installed in one directory."""

    def __init__(self, packages_dir: Path) -> None:
        self.packages_dir = packages_dir.resolve()

    def packages(self) -> list[PackageInfo]:
        if not self.packages_dir.is_dir():
            return []
        found = (
            read_package_metadata(child)
            for child in sorted(self.packages_dir.iterdir())
            if child.is_dir()
        )
        return [package for package in found if package is not None]

    def route(self, source_language: str, target_language: str) -> Route | None:
        """A direct package if one is installed, else two packages through English."""
        source, target = argos_code(source_language), argos_code(target_language)
        by_pair = {(p.source_language, p.target_language): p for p in self.packages()}
        if (source, target) in by_pair:
            return Route((by_pair[source, target],))
        first, second = by_pair.get((source, PIVOT_LANGUAGE)), by_pair.get((PIVOT_LANGUAGE, target))
        if first is not None and second is not None:
            return Route((first, second))
        return None

    def is_enabled(self, source_language: str, target_language: str) -> tuple[bool, str]:
        """Whether this pair can be translated, and why (a stable reason code, not user text)."""
        source, target = argos_code(source_language), argos_code(target_language)
        if not source or not target:
            return False, "unknown_language"
        if source == target:
            return False, "same_language"
        try:
            import argostranslate  # noqa: F401
        except ImportError:
            return False, "engine_not_installed"
        route = self.route(source, target)
        if route is None:
            return False, f"no_package:{source}->{target}"
        if route.pivot_language:
            return True, f"pivot:{route.pivot_language}"
        return True, "direct"

    def translate(self, text: str, route: Route) -> str:
        """Translate text along route. Raises if the engine fails; callers decide what to show."""
        with _argos_lock:
            argos_translate = _load_argostranslate(self.packages_dir)
            for step in route.steps:
                translation = argos_translate.get_translation_from_codes(
                    step.source_language, step.target_language
                )
                if translation is None:
                    raise RuntimeError(
                        f"package {step.source_language}->{step.target_language} did not load"
                    )
                text = translation.translate(text)
        return text

    def install(self, path: Path) -> list[PackageInfo]:
        """Install one .argosmodel file or every .argosmodel file in a directory."""
        if path.is_dir():
            files = sorted(path.glob(f"*{PACKAGE_SUFFIX}"))
            if not files:
                raise PackageInstallError(f"{path}: no {PACKAGE_SUFFIX} files")
        elif path.is_file():
            files = [path]
        else:
            raise PackageInstallError(f"{path}: no such file or directory")
        # Check every file before installing any, so a bad file in a directory installs nothing.
        checked = [(file, inspect_package_file(file)[0]) for file in files]
        installed: list[PackageInfo] = []
        with _argos_lock:
            argos_translate = _load_argostranslate(self.packages_dir)
            import argostranslate.package as argos_package

            for file, root in checked:
                target = self.packages_dir / root
                if target.exists():  # a reinstall replaces the folder, leaving no stale files
                    shutil.rmtree(target)
                argos_package.install_from_path(file)
                package = read_package_metadata(target)
                if package is None:
                    raise PackageInstallError(f"{file.name}: installed but unreadable")
                for other in self.packages():  # one version per pair, so routing is unambiguous
                    if other.pair == package.pair and other.path != package.path:
                        shutil.rmtree(other.path)
                installed.append(package)
            _forget_loaded_models(argos_translate)
        return installed


_providers: dict[Path, ArgosProvider] = {}
# The configured path as given -> the provider of its resolved path: resolving hits the disk, and
# desk views ask once per ticket.
_resolved: dict[Path, ArgosProvider] = {}


def get_provider(packages_dir: Path) -> ArgosProvider:
    provider = _resolved.get(packages_dir)
    if provider is None:
        key = packages_dir.resolve()
        if key not in _providers:
            _providers[key] = ArgosProvider(key)
        provider = _resolved[packages_dir] = _providers[key]
    return provider
