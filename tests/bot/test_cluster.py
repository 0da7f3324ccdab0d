"""`make run-cluster` as tests use it: HAProxy in front of two kiosk API processes, two action
servers and two Rasa servers on PostgreSQL and Redis (scripts/run_cluster.sh). A client registers
through the proxy while an instance of Rasa, one of the kiosk API and one action server are killed
in the middle: the conversation goes on on the others, no turn is lost or doubled, and the record is
made.

Runs under scripts/with_postgres.sh and scripts/with_redis.sh (make test-bot)."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests
from servers import ROOT

from bot.nlg.catalogs import all_catalogs
from tests.support.ports import free_port

READY_LINE = "Lotse cluster is running"


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.url = f"http://127.0.0.1:{port}"
        self.secrets = dict(
            line.split("=", 1) for line in (folder / "secrets.env").read_text().split()
        )

    def pid(self, name: str) -> int:
        return int((self.folder / f"{name}.pid").read_text())

    def kill(self, name: str) -> None:
        """One instance, without warning (its start script execs the server: one process), between
        two requests: a request it had already begun gets 502 from the proxy, which never sends a
        request twice (the client sends it again)."""
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        # Dead once it is gone, or a zombie whose other threads have exited too (they share the
        # open files, its listening socket among them): its port then refuses at once.
        for _ in range(200):
            try:
                zombie = "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
                if zombie and len(os.listdir(f"/proc/{pid}/task")) <= 1:
                    return
            except FileNotFoundError:
                return
            time.sleep(0.05)
        raise AssertionError(f"{name} did not die")

    def servers(self, backend: str) -> dict[str, dict[str, str]]:
        """HAProxy's own view of a backend's servers: status and requests sent (`stot`)."""
        port = (self.folder / "stats.port").read_text().strip()
        table = requests.get(f"http://127.0.0.1:{port}/stats;csv", timeout=10).text
        rows = csv.DictReader(io.StringIO(table.lstrip("# ")))
        return {
            row["svname"]: row
            for row in rows
            if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def say(self, sender: str, message: str) -> list[dict]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=120,
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict:
        token = jwt.encode(
            {"user": {"username": "tests", "role": "admin"}},
            self.secrets["RASA_JWT_SECRET"],
            algorithm="HS256",
        )
        response = requests.get(
            f"{self.url}/conversations/{sender}/tracker",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not os.environ.get("LOTSE_TEST_POSTGRES_URL") or not os.environ.get("LOTSE_TEST_REDIS_URL"):
        pytest.fail(
            "run under scripts/with_postgres.sh and scripts/with_redis.sh (make test-bot does)"
        )
    folder = tmp_path_factory.mktemp("cluster")
    port = free_port()
    env = dict(os.environ, LOTSE_CLUSTER_DIR=str(folder), LOTSE_CLUSTER_PORT=str(port))
    for name in ("LOTSE_API_URL", "LOTSE_BOT_TOKEN", "LOTSE_DATABASE_URL", "LOTSE_RASA_URL"):
        env.pop(name, None)  # the session's own servers' settings, not the cluster's
    log = (folder / "run-cluster.log").open("w")
    script = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run_cluster.sh")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 420
        while READY_LINE not in (folder / "run-cluster.log").read_text():
            if script.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((folder / "run-cluster.log").read_text()[-3000:])
            time.sleep(1)
        yield Cluster(folder, port)
    finally:
        os.killpg(script.pid, signal.SIGTERM)
        try:
            script.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(script.pid, signal.SIGKILL)
        log.close()


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def test_a_registration_goes_on_when_an_instance_of_each_part_dies_halfway(
    cluster: Cluster,
) -> None:
    de = all_catalogs()["de"]
    sender = f"cluster-{uuid.uuid4().hex[:10]}"
    assert texts(cluster.say(sender, "Guten Tag")).startswith(de["utter_disclosure"].split("{")[0])
    # `make run-cluster` serves every example site: the bot asks for the office first (issue 16).
    assert de["utter_ask_site"] in texts(cluster.say(sender, "Ich möchte mich anmelden"))
    assert "Version" in texts(cluster.say(sender, "44135"))  # Dortmund, then the consent notice
    consented = texts(cluster.say(sender, "/affirm"))
    if de["utter_ask_given_name"] not in consented:  # consent first, then the registration offered
        assert de["utter_ask_given_name"] in texts(cluster.say(sender, "/start_registration"))
    # Both Rasa instances have served this conversation (the proxy spreads REST requests).
    assert all(int(row["stot"]) > 0 for row in cluster.servers("rasa").values())

    cluster.kill("rasa-1")
    assert de["utter_ask_family_name"] in texts(cluster.say(sender, "Amal"))
    assert de["utter_ask_birth_date"] in texts(cluster.say(sender, "Haddad"))
    cluster.kill("kiosk-1")
    cluster.kill("actions-1")
    assert de["utter_ask_phone"] in texts(cluster.say(sender, "31.12.1990"))
    assert de["utter_ask_residence_status"] in texts(cluster.say(sender, "/skip"))
    cluster.say(sender, '/inform{"residence_status":"permit_25_2"}')
    summary = texts(cluster.say(sender, "Ich möchte Grundsicherungsgeld beantragen"))
    assert "Amal" in summary and "Haddad" in summary
    done = texts(cluster.say(sender, "/affirm"))

    tracker = cluster.tracker(sender)
    reference = tracker["slots"]["reference_code"]
    assert reference and reference in done and re.search(r"PIN: \d{6}", done)
    # Every turn once, each answered before the next was read: nothing lost, nothing doubled.
    kinds = [e["event"] for e in tracker["events"] if e["event"] in ("user", "bot")]
    assert "user,user" not in ",".join(kinds)
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"][-3:] == [
        '/inform{"residence_status":"permit_25_2"}',
        "Ich möchte Grundsicherungsgeld beantragen",
        "/affirm",
    ]
    # The proxy's health checks (every second, two failures) take the killed instances out.
    for _ in range(100):
        statuses = [
            cluster.servers(backend)[f"{backend}-1"]["status"]
            for backend in ("rasa", "kiosk", "actions")
        ]
        if all(status.startswith("DOWN") for status in statuses):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the proxy still sends to a dead instance")
    admin = requests.post(
        f"{cluster.url}/api/v1/staff/login",
        json={
            "username": "admin",
            "password": (cluster.folder / "admin-password.txt").read_text().strip(),
        },
        timeout=30,
    )
    assert admin.status_code == 200, admin.text
