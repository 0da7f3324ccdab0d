"""The process helpers: a stopped server takes its children along; a failed start shows its log."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.processes import ServerFailed, start_process


def test_stop_ends_the_children_too(tmp_path: Path) -> None:
    child_pid_file = tmp_path / "child.pid"
    script = f"sleep 300 & echo $! > {child_pid_file}; wait"
    server = start_process("shell", ["bash", "-c", script], env=dict(os.environ), log_dir=tmp_path)
    deadline = time.monotonic() + 10
    while not child_pid_file.exists() or not child_pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.05)
    child = int(child_pid_file.read_text())
    server.stop(timeout=5)
    deadline = time.monotonic() + 5  # a signal is delivered asynchronously
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(child)


def running(pid: int) -> bool:
    """True unless the process is gone or a zombie (an ended orphan that nobody has reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_server_that_exits_at_start_fails_with_its_log(tmp_path: Path) -> None:
    server = start_process(
        "broken",
        [sys.executable, "-c", "print('no database here'); raise SystemExit(3)"],
        env=dict(os.environ),
        log_dir=tmp_path,
    )
    with pytest.raises(ServerFailed, match="(?s)exited with code 3.*no database here"):
        server.wait_until_answering(f"http://127.0.0.1:{free_port()}/health", timeout=30)
