"""Gap 8: translation packages (.argosmodel, zip archives an admin installs) had no size cap: a
zip bomb or a huge file could fill the disk, and a link inside could point anywhere."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest

from kiosk_api.translation.provider import PackageInstallError, inspect_package_file

METADATA = {"type": "translate", "from_code": "ar", "to_code": "de", "package_version": "1.0"}


def package(path: Path, *, extra: dict[str, bytes] | None = None, link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("translate-ar_de/metadata.json", json.dumps(METADATA))
        archive.writestr("translate-ar_de/model/model.bin", bytes(range(256)) * 64)
        archive.writestr("translate-ar_de/sentencepiece.model", b"spm")
        for name, content in (extra or {}).items():
            archive.writestr(f"translate-ar_de/{name}", content)
        if link:
            info = zipfile.ZipInfo(f"translate-ar_de/{link}")
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def test_a_well_formed_package_passes(tmp_path: Path) -> None:
    root, metadata = inspect_package_file(package(tmp_path / "ok.argosmodel"))
    assert root == "translate-ar_de" and metadata["to_code"] == "de"


def test_a_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = package(tmp_path / "bomb.argosmodel", extra={"model/padding.bin": bytes(64 * 2**20)})
    assert bomb.stat().st_size < 2**20  # 64 MB of zeros in well under 1 MB
    with pytest.raises(PackageInstallError, match="compressed beyond"):
        inspect_package_file(bomb)


def test_a_package_over_the_size_caps_is_refused(tmp_path: Path) -> None:
    path = package(tmp_path / "big.argosmodel", extra={"model/more.bin": bytes(range(256)) * 8192})
    with pytest.raises(PackageInstallError, match="larger than"):
        inspect_package_file(path, max_file_bytes=1024)
    with pytest.raises(PackageInstallError, match="unpacks to more than"):
        inspect_package_file(path, max_unpacked_bytes=2**20)


def test_a_link_inside_the_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageInstallError, match="link"):
        inspect_package_file(package(tmp_path / "link.argosmodel", link="model/vocab"))
