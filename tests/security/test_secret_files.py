"""Gap 8: secret files. The first admin's password was written world-readable first and chmod-ed
after, through whatever file or link stood at its path; var/ had the default mode."""

from __future__ import annotations

import stat
from pathlib import Path

from kiosk_api.cli import write_secret_file


def test_a_secret_file_is_this_users_only_from_the_start(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir(mode=0o755)
    secret = folder / "admin-password.txt"
    write_secret_file(secret, "s3cret\n")
    assert secret.read_text(encoding="utf-8") == "s3cret\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [path.name for path in folder.iterdir()] == [
        "admin-password.txt"
    ]  # no temporary file left


def test_a_link_planted_at_the_path_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    secret = tmp_path / "var" / "admin-password.txt"
    secret.parent.mkdir()
    secret.symlink_to(victim)
    write_secret_file(secret, "s3cret\n")
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert not secret.is_symlink() and secret.read_text(encoding="utf-8") == "s3cret\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
