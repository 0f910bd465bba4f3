"""A private Patroni cluster for the failover drill (scripts/failover_drill.py): one etcd and
two PostgreSQL servers managed by Patroni, each on free loopback ports in a temporary folder,
as the `postgres` OS user when we are root (docs/scale-out.md, "When the primary fails").

etcd comes from Debian, Patroni from PyPI into .venv-patroni under Debian's own Python
(`make patroni`; requirements-patroni.txt says why not Debian's Patroni)."""

import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from contextlib import suppress
from pathlib import Path
from typing import Any

import psycopg

from tests.private_postgres import server_programs
from tests.servers import closed_port

MISSING = "Patroni or etcd is not installed (make patroni installs them)"
PATRONI_BIN = Path(__file__).resolve().parent.parent / ".venv-patroni" / "bin"
PATRONI, PATRONICTL = str(PATRONI_BIN / "patroni"), str(PATRONI_BIN / "patronictl")
SCOPE = "microblog"
SUPERUSER_PASSWORD = "drill-superuser"
# How fast a dead leader is replaced: its lock in etcd lives `ttl` seconds unless renewed;
# each node's loop runs every `loop_wait`; a DCS or PostgreSQL operation is retried for
# `retry_timeout` before the leader gives up (Patroni asks loop_wait + 2 × retry_timeout ≤ ttl).
# 20 s is the smallest ttl Patroni 4 accepts (it raises a smaller one to 20, with a warning).
TTL, LOOP_WAIT, RETRY_TIMEOUT = 20, 2, 3


def missing_programs() -> str | None:
    """Why the cluster cannot start here, or None."""
    if not (os.access(PATRONI, os.X_OK) and shutil.which("etcd")):
        return MISSING
    if server_programs() is None:
        return "PostgreSQL's server programs are not installed"
    return None


class Node:
    """One PostgreSQL server and the Patroni that manages it."""

    def __init__(self, cluster: "PatroniCluster", name: str) -> None:
        self.cluster, self.name = cluster, name
        self.port, self.rest_port = closed_port(), closed_port()
        self.data = cluster.path / name
        self.config = cluster.path / f"{name}.yml"
        self.log = cluster.path / f"{name}.log"
        self.patroni: subprocess.Popen[bytes] | None = None

    def write_config(self) -> None:
        path = self.cluster.path
        config = {
            "scope": SCOPE,
            "name": self.name,
            "log": {"level": "INFO"},
            "restapi": {
                "listen": f"127.0.0.1:{self.rest_port}",
                "connect_address": f"127.0.0.1:{self.rest_port}",
            },
            "etcd3": {"hosts": f"127.0.0.1:{self.cluster.etcd_port}"},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL,
                    "loop_wait": LOOP_WAIT,
                    "retry_timeout": RETRY_TIMEOUT,
                    # A commit returns once the synchronous standby has it; only that standby
                    # may be promoted, so no acknowledged commit is lost in a failover.
                    "synchronous_mode": True,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "use_slots": True,
                        "parameters": {"wal_log_hints": "on", "hot_standby": "on"},
                    },
                },
                "initdb": [{"encoding": "UTF8"}, "data-checksums"],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{self.port}",
                "connect_address": f"127.0.0.1:{self.port}",
                "data_dir": str(self.data),
                "bin_dir": str(server_programs()),
                "pgpass": str(path / f"{self.name}.pgpass"),
                "pg_hba": [
                    "local all all trust",
                    "host replication replicator 127.0.0.1/32 md5",
                    "host all all 127.0.0.1/32 md5",
                ],
                "authentication": {
                    "superuser": {"username": "postgres", "password": SUPERUSER_PASSWORD},
                    "replication": {"username": "replicator", "password": "drill-replicator"},
                    "rewind": {"username": "rewinder", "password": "drill-rewinder"},
                },
                "parameters": {"unix_socket_directories": str(path)},
            },
        }
        # JSON is YAML: no YAML library needed here.
        self.cluster.write(self.config, json.dumps(config, indent=2))

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.patroni = subprocess.Popen(
                [PATRONI, str(self.config)],
                cwd=self.cluster.path,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self.cluster.as_postgres,
            )

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill_postmaster(self) -> None:
        pid = self.postmaster_pid()
        if pid:
            _kill(pid)

    def kill_patroni(self) -> None:
        if self.patroni and self.patroni.poll() is None:
            self.patroni.kill()
            self.patroni.wait()

    def role(self) -> str | None:
        """What Patroni says this node is ("leader", "sync_standby", "replica"), or None."""
        for member in self.cluster.members():
            if member["name"] == self.name:
                return member.get("role")
        return None

    def sql(self, query: str, params: tuple[Any, ...] = (), database: str = "postgres") -> Any:
        url = self.cluster.url(database, ports=[self.port], session="any")
        with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else None


class PatroniCluster:
    def __init__(self, nodes: int = 2) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="microblog-patroni-"))
        self.as_postgres: dict[str, Any] = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.path, user.pw_uid, user.pw_gid)
            # Popen(user=...) makes the process Patroni itself (runuser would stand between,
            # and its pid is not Patroni's). HOME: Patroni and libpq look there.
            self.as_postgres = {
                "user": user.pw_uid,
                "group": user.pw_gid,
                "extra_groups": [],
                "env": {**os.environ, "HOME": str(self.path), "USER": "postgres"},
            }
        os.chmod(self.path, 0o711)
        self.etcd_port, self.etcd_peer_port = closed_port(), closed_port()
        self.etcd: subprocess.Popen[bytes] | None = None
        self.nodes = [Node(self, f"node{number}") for number in range(1, nodes + 1)]

    def write(self, path: Path, text: str) -> None:
        path.write_text(text)
        if self.as_postgres:
            shutil.chown(path, "postgres", "postgres")
        path.chmod(0o600)

    def start(self) -> None:
        """etcd, then the first node (the leader), then the others, streaming (about 10 s)."""
        self.start_etcd()
        for node in self.nodes:
            node.write_config()
        first, *others = self.nodes
        first.start()
        self.wait_for(lambda: self.leader() is first, 60, "the first node to lead")
        for node in others:
            node.start()
        self.wait_for(self.settled, 90, "the standbys to stream, one of them synchronous")

    def start_etcd(self) -> None:
        """etcd on its ports, with its data folder: started again, it has the cluster's keys."""
        client = f"http://127.0.0.1:{self.etcd_port}"
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        with open(self.path / "etcd.log", "ab") as log:
            self.etcd = subprocess.Popen(
                ["etcd", "--name", "e1", "--data-dir", str(self.path / "etcd")]
                + ["--listen-client-urls", client, "--advertise-client-urls", client]
                + ["--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer]
                + ["--initial-cluster", f"e1={peer}", "--initial-cluster-state", "new"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill_etcd(self) -> None:
        if self.etcd and self.etcd.poll() is None:
            self.etcd.kill()
            self.etcd.wait()

    def settled(self) -> bool:
        """A leader, every other node streaming from it, one of them its synchronous standby."""
        leader = self.leader()
        roles = [member.get("role") for member in self.members()]
        return (
            leader is not None
            and len(self.streaming()) == len(self.nodes) - 1
            and "sync_standby" in roles
        )

    def members(self) -> list[dict[str, Any]]:
        """Patroni's view of the cluster, from the first node whose REST API answers."""
        for node in self.nodes:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{node.rest_port}/cluster", timeout=1
                ) as response:
                    return json.load(response)["members"]
            except OSError:
                continue
        return []

    def leader(self) -> Node | None:
        """The node that leads and whose PostgreSQL takes writes, or None."""
        for member in self.members():
            if member.get("role") == "leader" and member.get("state") == "running":
                node = next(n for n in self.nodes if n.name == member["name"])
                try:
                    if node.sql("SELECT NOT pg_is_in_recovery()")[0][0]:
                        return node
                except psycopg.Error:
                    return None
        return None

    def the_leader(self) -> Node:
        """The leader, which there must be now."""
        leader = self.leader()
        if leader is None:
            raise RuntimeError(f"the cluster has no leader: {self.members()}")
        return leader

    def streaming(self) -> list[str]:
        """The names of the nodes streaming from the leader (pg_stat_replication; not a
        pg_basebackup cloning a new one)."""
        leader = self.leader()
        if leader is None:
            return []
        try:
            rows = leader.sql(
                "SELECT application_name FROM pg_stat_replication "
                "WHERE state = 'streaming' AND application_name = ANY(%s)",
                ([node.name for node in self.nodes],),
            )
        except psycopg.Error:
            return []
        return sorted(name for (name,) in rows)

    def url(
        self,
        database: str,
        ports: list[int] | None = None,
        session: str | None = None,
    ) -> str:
        """A URL for the app (libpq's multi-host form) or, with `ports`, for some nodes only."""
        ports = ports or [node.port for node in self.nodes]
        hosts = ",".join(f"127.0.0.1:{port}" for port in ports)
        query = f"?target_session_attrs={session}" if session else ""
        return f"postgres://postgres:{SUPERUSER_PASSWORD}@{hosts}/{database}{query}"

    def wait_for(self, condition: Any, seconds: float, what: str) -> float:
        """Seconds until `condition()` held; raises after `seconds`."""
        started = time.monotonic()
        while not condition():
            if time.monotonic() - started > seconds:
                raise TimeoutError(f"timed out after {seconds} s waiting for {what}")
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self) -> None:
        for node in self.nodes:
            node.kill_patroni()
            node.kill_postmaster()
        self.kill_etcd()
        shutil.rmtree(self.path, ignore_errors=True)


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):  # gone already
        os.kill(pid, signal.SIGKILL)
