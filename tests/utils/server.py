"""The API as users run it, for tests that need a real server: ``clusterkg serve`` in a subprocess (its own
event loop, its own log), talking to a given Neo4j."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from graph.server import free_port
from schema.settings import Settings


class ApiServer:
    """``clusterkg serve`` on a free port with ``settings``' Neo4j and the extra variables of ``env``; its
    output goes to ``log``, or its log (stderr) to a pipe (``process.stderr``) with ``pipe_stderr``."""

    def __init__(
        self, settings: Settings, log: Path, env: dict[str, str], *, pipe_stderr: bool = False
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {
            **os.environ,
            "NEO4J_URI": settings.neo4j_uri,
            "NEO4J_USER": settings.neo4j_user,
            "NEO4J_PASSWORD": settings.neo4j_password,
            "CLUSTERKG_ENVIRONMENT": "test",
            **env,
        }
        self.pipe_stderr = pipe_stderr
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 300.0) -> None:
        """Start the server and wait until ``/healthz`` answers (the model loads first)."""
        command = [
            sys.executable,
            "-c",
            "from api.cli import main; main()",
            "serve",
            "--port",
            str(self.port),
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                stdout=out,
                stderr=subprocess.PIPE if self.pipe_stderr else subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the API server exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the API server did not answer within {timeout:.0f} s")

    def log_size(self) -> int:
        return self.log.stat().st_size

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
