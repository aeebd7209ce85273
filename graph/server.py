"""The managed local Neo4j Community server, for machines without Docker.

Neo4j publishes no server tarball to Maven Central, but it does publish the Community artifacts
(``org.neo4j:neo4j``, Bolt connector included). ``install`` resolves them with Maven into the cache folder
once and compiles the small launcher ``neo4j/ClusterkgNeo4j.java``; ``start`` runs it in the background on
127.0.0.1 with a pid file and waits until Bolt answers; ``stop`` ends only the process named in that pid file,
and only if it still is our launcher.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from schema.errors import Neo4jServerError
from schema.settings import Settings

log = logging.getLogger(__name__)

LAUNCHER_CLASS = "ClusterkgNeo4j"
HOST = "127.0.0.1"
READY_MARKER = b"clusterkg-neo4j ready"
SCRATCH_PASSWORD = "clusterkg-scratch-password"
DEFAULT_CONFIG = {"internal.dbms.index.vector.population_ram_buffer_size": "512"}
"""Server settings of our own, under those of ``CLUSTERKG_NEO4J_CONFIG``. A vector index populated over
stored vectors buffers up to 512 MB before it writes a Lucene segment (Neo4j's default: 1 MB), so 100,000
vectors become one HNSW graph instead of 20, searched at a third of the cost (``matching/vector_index.py``).
"""


def free_port() -> int:
    """A loopback port nobody listens on right now, for throwaway servers (tests, benchmarks)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def scratch_server(home: Path, **overrides: Any) -> Iterator[tuple[Settings, ManagedNeo4j]]:
    """An empty managed server of its own in ``home``, on a free port, stopped on the way out: a benchmark
    measures a server that nothing else loads. ``overrides`` are further settings (heap, page cache, ...);
    the caller removes ``home``."""
    port = free_port()
    settings = Settings(
        environment="test",
        home=home,
        neo4j_uri=f"bolt://{HOST}:{port}",
        neo4j_bolt_port=port,
        neo4j_password=SCRATCH_PASSWORD,
        **overrides,
    )
    server = ManagedNeo4j(settings)
    server.start()
    try:
        yield settings, server
    finally:
        server.stop()


@dataclass(frozen=True)
class ServerStatus:
    """Whether the managed server runs, and where."""

    running: bool
    pid: int | None
    uri: str
    data_dir: Path
    log_file: Path


class ManagedNeo4j:
    """Fetches, starts, stops and reports on one managed Neo4j server (one data folder, one Bolt port)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.version = settings.neo4j_version
        self.port = settings.neo4j_bolt_port
        self.data_dir = settings.data_dir
        self.artifacts_dir = settings.cache_dir / f"neo4j-{self.version}"
        self.lib_dir = self.artifacts_dir / "lib"
        self.launcher_source = (files("graph") / "neo4j").joinpath(f"{LAUNCHER_CLASS}.java").read_text()
        # One folder per version of the launcher's source, so an edited launcher is compiled again.
        digest = hashlib.sha256(self.launcher_source.encode()).hexdigest()[:12]
        self.classes_dir = self.artifacts_dir / f"classes-{digest}"
        self.pid_file = self.data_dir / "neo4j.pid"
        self.log_file = self.data_dir / "neo4j.log"
        self.settings_file = self.data_dir / "neo4j-settings.conf"

    @property
    def uri(self) -> str:
        return f"bolt://{HOST}:{self.port}"

    # --- artifacts ---------------------------------------------------------------------------------------
    def installed(self) -> bool:
        return (self.classes_dir / f"{LAUNCHER_CLASS}.class").exists() and any(
            self.lib_dir.glob("neo4j-*.jar")
        )

    def install(self) -> Path:
        """Resolve the Neo4j Community jars with Maven and compile the launcher (once each; cached)."""
        if self.installed():
            return self.artifacts_dir
        for tool in ("mvn", "javac", "java"):
            if shutil.which(tool) is None:
                raise Neo4jServerError(f"`{tool}` is not on PATH; the managed Neo4j needs Java 17+ and Maven")
        work = self.artifacts_dir / "build"
        work.mkdir(parents=True, exist_ok=True)
        if not any(self.lib_dir.glob("neo4j-*.jar")):
            self._resolve(work)
        source = work / f"{LAUNCHER_CLASS}.java"
        source.write_text(self.launcher_source)
        staging = self.classes_dir.with_name(self.classes_dir.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        self._run(
            ["javac", "-cp", f"{self.lib_dir}/*", "-d", str(staging), str(source)],
            "compiling the Neo4j launcher",
        )
        staging.rename(self.classes_dir)
        log.info("Neo4j Community %s installed in %s", self.version, self.artifacts_dir)
        return self.artifacts_dir

    def _resolve(self, work: Path) -> None:
        """Fetch the Community jars from Maven Central into ``lib`` (all or nothing)."""
        pom = work / "pom.xml"
        pom.write_text((files("graph") / "neo4j").joinpath("pom.xml").read_text())
        staging = self.artifacts_dir / "lib.partial"
        shutil.rmtree(staging, ignore_errors=True)
        log.info("Resolving Neo4j Community %s from Maven Central (once) ...", self.version)
        self._run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(pom),
                f"-Dneo4j.version={self.version}",
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
            ],
            "resolving the Neo4j artifacts with Maven",
        )
        shutil.rmtree(self.lib_dir, ignore_errors=True)
        staging.rename(self.lib_dir)

    @staticmethod
    def _run(cmd: list[str], what: str) -> None:
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip()[-2000:]
            raise Neo4jServerError(f"{what} failed (exit {done.returncode}):\n{tail}")

    # --- process -----------------------------------------------------------------------------------------
    def _pid(self) -> int | None:
        """The pid in the pid file, if that process is alive and is our launcher."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            return None
        if LAUNCHER_CLASS.encode() not in cmdline or str(self.data_dir).encode() not in cmdline:
            return None
        return pid

    def config(self) -> dict[str, str]:
        """The server settings written to the settings file the launcher loads."""
        return {**DEFAULT_CONFIG, **self.settings.neo4j_config}

    def status(self) -> ServerStatus:
        pid = self._pid()
        return ServerStatus(pid is not None, pid, self.uri, self.data_dir, self.log_file)

    def start(self) -> ServerStatus:
        """Start the server in the background (if it is not running) and wait until Bolt answers."""
        current = self.status()
        if current.running:
            log.info("Neo4j already runs (pid %s) at %s", current.pid, self.uri)
            self.wait_until_ready()
            return current
        self._check_port_free()
        self.install()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        self.settings_file.write_text(
            "".join(f"{name}={value}\n" for name, value in sorted(self.config().items()))
        )
        cmd = [
            "java",
            # A fixed heap (Neo4j's advice: no resizing pauses) and the throughput collector: the managed
            # server mostly runs batched ingest transactions, whose young garbage G1 copied at three
            # times the CPU cost (bench/bench_ingest.py, 2 cores).
            f"-Xms{self.settings.neo4j_heap}",
            f"-Xmx{self.settings.neo4j_heap}",
            "-XX:+UseParallelGC",
            "-Dfile.encoding=UTF-8",
            *self.settings.neo4j_jvm_options.split(),
            "-cp",
            f"{self.lib_dir}/*:{self.classes_dir}",
            LAUNCHER_CLASS,
            str(self.data_dir),
            HOST,
            str(self.port),
            self.settings.neo4j_pagecache,
            str(self.settings_file),
        ]
        env = {**os.environ, "CLUSTERKG_NEO4J_PASSWORD": self.settings.neo4j_password}
        with self.log_file.open("ab") as out:
            process = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        log.info("Started Neo4j %s (pid %s), data in %s", self.version, process.pid, self.data_dir)
        try:
            self.wait_until_ready(process, log_offset)
        except Neo4jServerError:
            self.stop()
            raise
        return self.status()

    def wait_until_ready(self, process: subprocess.Popen[bytes] | None = None, log_offset: int = 0) -> None:
        """Wait until the launcher says it is ready (it sets the password after Bolt opens), then until
        Bolt answers with the configured credentials, or the start timeout passes."""
        deadline = time.monotonic() + self.settings.neo4j_start_timeout
        auth = (self.settings.neo4j_user, self.settings.neo4j_password)
        while time.monotonic() < deadline:
            if process is not None:
                if process.poll() is not None:
                    why = self._cause(log_offset)
                    raise Neo4jServerError(
                        f"Neo4j exited with code {process.returncode} while starting: {why}; its log: "
                        f"{self.log_file}"
                    )
                if not self._said_ready(log_offset):
                    time.sleep(0.3)
                    continue
            try:
                with GraphDatabase.driver(self.uri, auth=auth) as driver:
                    driver.verify_connectivity()
                return
            except AuthError as e:
                raise Neo4jServerError(
                    f"Neo4j at {self.uri} refused the configured password ({e.message}); the data folder "
                    f"{self.data_dir} was created with another NEO4J_PASSWORD"
                ) from e
            except (ServiceUnavailable, OSError):
                time.sleep(0.5)
        raise Neo4jServerError(
            f"Neo4j did not answer at {self.uri} within {self.settings.neo4j_start_timeout:.0f} s; "
            f"see {self.log_file}:\n" + self._log_tail()
        )

    def _said_ready(self, offset: int) -> bool:
        with self.log_file.open("rb") as f:
            f.seek(offset)
            return READY_MARKER in f.read()

    def _check_port_free(self) -> None:
        """Refuse a Bolt port another program listens on, in one sentence: Neo4j would start, fail to bind
        and leave a Java stack trace as the reason."""
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Neo4j binds: TIME_WAIT is no owner
            try:
                s.bind((HOST, self.port))
            except OSError as e:
                raise Neo4jServerError(
                    f"port {self.port} of {HOST} is taken by another program ({e.strerror}): choose another "
                    "with --port or CLUSTERKG_NEO4J_BOLT_PORT"
                ) from e

    def _cause(self, offset: int) -> str:
        """Why the server stopped, in one line, where 20 lines of Java frames said it: the first line of the
        stack trace it wrote to its log from ``offset`` (which names a setting it could not read), and its
        innermost ``Caused by:`` when that says more (a port it could not bind)."""
        with self.log_file.open("rb") as f:
            f.seek(offset)
            lines = f.read().decode(errors="replace").splitlines()
        cause = "Caused by: "
        said = [line for line in lines if line.strip() and not line.startswith((" ", "\t", cause))]
        first = said[-1].removeprefix('Exception in thread "main" ') if said else "its log says nothing"
        causes = [line.removeprefix(cause).strip() for line in lines if line.startswith(cause)]
        if causes and causes[-1].rpartition(": ")[2] not in first:
            return f"{first}; caused by {causes[-1]}"
        return first

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server this data folder's pid file names; returns whether one was running."""
        pid = self._pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and not _is_zombie(pid):
            time.sleep(0.2)
        if Path(f"/proc/{pid}").exists() and not _is_zombie(pid):
            log.warning("Neo4j (pid %s) did not stop within %.0f s; killing it", pid, timeout)
            os.kill(pid, signal.SIGKILL)
        _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        log.info("Stopped Neo4j (pid %s)", pid)
        return True


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system, all threads) process ``pid`` has used so far, from ``/proc``; ``None`` when
    unknown. Benchmarks read it for the managed server: on a shared machine, server CPU per request or row
    says more than wall-clock time."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return False


def _reap(pid: int) -> None:
    """Collect the exit status when the server is our own child (tests start it in-process)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
