"""`make run` serves the web app and the scheduler together (scripts/serve): both start, the jobs
run, and Ctrl+C or either one failing stops both, with no process left behind (issue 11)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _group_members(pgid: int) -> list[int]:
    members = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members.append(int(status.parent.name))
    return members


def test_web_and_scheduler_start_together_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", "SECRET_KEY": "serve-test",
           "VENV": str(BIN.parent)}  # fmt: skip
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([str(BIN / "flask"), *command], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([str(ROOT / "scripts" / "serve"), str(port)], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        else:
            raise AssertionError(log.read_text()[-3000:])
        while time.monotonic() < deadline and "advance_campaigns" not in log.read_text():
            time.sleep(0.3)
        text = log.read_text()
        assert "scheduler started" in text and "advance_campaigns" in text, text[-3000:]
        members = _group_members(server.pid)
        assert len(members) >= 4  # the script, the scheduler, gunicorn's master and its workers
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl+C in the terminal sends
        server.wait(timeout=30)
        time.sleep(0.5)
        assert not [pid for pid in members if _alive(pid)], log.read_text()[-2000:]
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)


def test_a_bad_database_url_stops_both_with_the_reason(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg://planner:s3cret@127.0.0.1:1/planner",
           "SECRET_KEY": "serve-test", "VENV": str(BIN.parent)}  # fmt: skip
    started = time.monotonic()
    done = subprocess.run([str(ROOT / "scripts" / "serve"), str(_free_port())], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=90)  # fmt: skip
    assert done.returncode != 0 and time.monotonic() - started < 60
    assert "does not answer (connection refused" in done.stdout + done.stderr
    assert "s3cret" not in done.stdout + done.stderr
