"""Real server processes on loopback for tests: granian or gunicorn over ``cms.wsgi:application``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def govsite(env: dict, *args: str, timeout: int = 300) -> str:
    """Run ``govsite <args>`` in a child process with ``env``; its stdout."""
    return subprocess.run([str(BIN / "govsite"), *args], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True, timeout=timeout).stdout


def shell_json(env: dict, code: str):
    """Run Python in ``govsite shell`` and parse the JSON it prints on its last line."""
    return json.loads(govsite(env, "shell", "-c", code).strip().splitlines()[-1])


class Server:
    """One server process (``kind`` granian or gunicorn, ``workers`` processes) on a free port."""

    def __init__(self, env: dict, kind: str = "gunicorn", workers: int = 1, threads: int = 4):
        self.env, self.kind, self.workers, self.threads = env, kind, workers, threads
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "granian":
            return [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
                    "--workers", str(self.workers), "--blocking-threads", str(self.threads), "--no-access-log", "--log-level",
                    "warning", "cms.wsgi:application"]
        return [str(BIN / "gunicorn"), "cms.wsgi:application", "-b", f"127.0.0.1:{self.port}", "-w",
                str(self.workers), "-k", "gthread", "--threads", str(self.threads), "--timeout", "60", "--log-level", "warning"]

    def start(self) -> Server:
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/api/openapi.json", timeout=2).read()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()) from None
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """SIGKILL, as a crash would: no worker finishes what it was doing."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def call(method: str, url: str, body: dict | None = None, headers: dict | None = None, timeout: float = 60):
    """One JSON request; returns ``(status, json body, headers)`` for errors too (headers: case-insensitive)."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}"), r.headers
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            parsed = {"raw": raw.decode("utf-8", "replace")}
        return e.code, parsed, e.headers
