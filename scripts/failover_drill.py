"""Failover drill: the app under gunicorn on a private Patroni cluster (etcd, two PostgreSQL
servers, synchronous replication), readers and writers over HTTP, then the leader killed.

    python scripts/failover_drill.py          # 3 rounds of every case (make failover-drill)
    python scripts/failover_drill.py --quick  # 1 round, shorter (make failover-drill-quick, CI)
    python scripts/failover_drill.py --case switchover --rounds 6   # one case, 6 times
    python scripts/failover_drill.py --rounds 1 --results docs/data/failover-timeline.json
    python scripts/failover_drill.py --summary docs/data/failover.json

Each round has nine cases (three with --quick). "leader lost": SIGKILL of the leader's Patroni
and postmaster; the standby is promoted, the old node is started again and must rejoin as a
streaming standby.
"postmaster lost": SIGKILL of the leader's postmaster alone; its Patroni restarts it in place.
"switchover": the planned handover, `patronictl switchover`; the old leader becomes a standby.
"etcd lost" (not in --quick): etcd killed for 30 s; the leader's Patroni demotes it, writes must
be refused at once (503) and each gunicorn worker log the outage once, not once per refusal.
"standby lost" (not in --quick): SIGKILL of the synchronous standby's Patroni and postmaster;
the leader goes on alone, and the standby, started again, must stream again.
"leader lost, a big import writing" (not in --quick): "leader lost" while the worker writes a
60,000-row import; public reads go on from the standby, and the import must be written whole.
"leader frozen 40 s" and "70 s" (not in --quick): the leader's Patroni stopped (SIGSTOP) and
woken (SIGCONT), its PostgreSQL up all along; the standby is promoted meanwhile, and the old
leader's Patroni, on waking, must find the key taken, demote and rewind its server.
"standby's PostgreSQL frozen 30 s" (not in --quick): the synchronous standby's PostgreSQL
stopped (SIGSTOP) and woken; the leader's commits wait for it meanwhile, each answered 503 at the
app's bound yet kept on the leader, so the writers' forms sent again must find their posts.
The app is never restarted or reconfigured: DATABASE_URL lists both servers (libpq keeps the one
that takes writes), DATABASE_REPLICA_URLS the same two (preferring a standby).

It prints, per case: public reads that failed, seconds writes were refused (from the kill to the
first acknowledged write after it), acknowledged posts lost, duplicated posts (the writers send
each form again, unchanged, until it is answered 302), 5xx answers other than 503, the slowest
answer, and how soon the node the fault hit (the old leader, or the standby) streams again. It
exits non-zero if an acknowledged post is lost or duplicated, a public read failed, an answer was
a 5xx other than 503 or took longer than DATABASE_TIMEOUT_SECONDS + 2 s, or the node hit did
not stream again within 60 s.
Without Patroni or etcd it says so loudly and passes, except under CI=true. Results:
docs/scale-out.md. `--results FILE` also writes each run's timeline as JSON: answers per second
around the kill, and the moments the drill saw (a leader again, writes back, the old leader
restarted and streaming), which `make plots` draws (docs/data/failover-timeline.json);
`--summary FILE` the figures it prints, per case, over every round (docs/data/failover.json).
"""

import argparse
import json
import math
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The load run's browser and server (scripts/load.py), the tests' Patroni cluster.
from scripts.load import (  # noqa: E402
    CSRF_TOKEN,
    PASSWORD,
    USERNAME,
    Browser,
    manage,
    start_server,
    stop_server,
)
from tests.patroni_cluster import (  # noqa: E402
    LOOP_WAIT,
    PATRONICTL,
    RETRY_TIMEOUT,
    TTL,
    Node,
    PatroniCluster,
    missing_programs,
)
from tests.private_postgres import children  # noqa: E402

READERS, WRITERS = 2, 2
GUNICORN_WORKERS = 4  # make serve's default
# Pauses between one client's requests: steady traffic that leaves the machine's cores to the
# servers (two cores run everything here).
READ_PAUSE, WRITE_PAUSE = 0.05, 0.1
# What a failing drill prints of the app's log: its warnings and errors, and the exception that
# ends each traceback (e.g. "django.db.utils.OperationalError: ...").
APP_LOG_LINES = re.compile(r" (ERROR|WARNING) |^[\w.]+(Error|Exception): ")
# The old leader must stream again within this many seconds of its restart (or switchover).
REJOIN_SECONDS = 60
# The app's bound on a request's wait for PostgreSQL (replicas/deadline.py), set for the drill's
# server; no answer may take longer than it plus SLACK_SECONDS (rendering, a busy machine).
DATABASE_TIMEOUT_SECONDS, SLACK_SECONDS = 15, 2
# What the admin says when a form sent again finds the post its first sending made (blog/admin.py).
SENT_BEFORE = "This form was sent before"
# After each case a new import and an export must go through the task worker within this many
# seconds: it tries a lost database again every 10 s at most (spreadsheets' db_worker command).
WORKER_SECONDS = 60
# Lists longer than this are exported by the worker, not streamed by the request.
EXPORT_STREAMED_MAX_ROWS = 5
IMPORT_STATE = re.compile(r'id="import-state"><strong>[^<]*</strong>: ([^.<]+)\.')
EXPORT_STATE = re.compile(r'id="export-state"><strong>[^<]*</strong>: ([^.<]+)\.')
POSTS = "/admin/blog/post/"
# "etcd lost": etcd killed this long, then started again. Meanwhile the leader's Patroni, unable to
# renew its key, demotes it: every write must be refused within ETCD_REFUSAL_SECONDS (no wait for
# a timeout), and each gunicorn worker log the outage once when it starts and once when it ends.
ETCD_OUTAGE_SECONDS, ETCD_REFUSAL_SECONDS = 30, 2.0
OUTAGE_STARTS, OUTAGE_ENDS = "the primary cannot take writes", "the primary is back"
# "leader lost, a big import writing": an import of this many rows, confirmed, its write under way
# in the worker when the leader is killed. It must then be written whole (the worker runs it
# again) within BIG_IMPORT_SECONDS of the cluster settling.
BIG_IMPORT_ROWS, BIG_IMPORT_SECONDS = 60_000, 300


@dataclass
class Event:
    kind: str  # "read", "write", or "admin" (the post list a write is redirected to)
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all
    body: str = ""
    # A write answered 302 because an earlier sending of the same form had made the post.
    sent_before: bool = False

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Traffic:
    """Readers (anonymous visitors of the public page) and writers (editors posting through the
    admin, each post a new body, its form sent again unchanged until it is answered 302) until
    stopped."""

    port: int
    author_id: str
    events: list[Event] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    setup_failures: list[str] = field(default_factory=list)
    ready: int = 0  # writers logged in, with their form's CSRF token

    def start(self) -> None:
        for _ in range(READERS):
            self.threads.append(threading.Thread(target=self.read, daemon=True))
        for number in range(WRITERS):
            self.threads.append(threading.Thread(target=self.write, args=(number,), daemon=True))
        for thread in self.threads:
            thread.start()
        deadline = time.monotonic() + 60
        while self.ready < WRITERS and not self.setup_failures:
            if time.monotonic() > deadline:
                self.setup_failures.append("the writers were not ready within 60 s")
            time.sleep(0.1)
        if self.setup_failures:
            self.stop()
            raise RuntimeError("; ".join(self.setup_failures))

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def request(
        self,
        browser: Browser,
        kind: str,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> tuple[Event, str, str]:
        """The request's event (also kept in self.events), the page it answered, and where it
        redirected to ("" if it did not)."""
        started = time.monotonic()
        try:
            status, location, page, _ = browser.request(method, path, form, files)
        except OSError:
            status, location, page = 0, None, ""
        event = Event(kind, started, time.monotonic(), status, (form or {}).get("body", ""))
        self.events.append(event)
        return event, page, location or ""

    def read(self) -> None:
        visitor = Browser(self.port)
        while not self.stopping.is_set():
            self.request(visitor, "read", "GET", "/")
            visitor.cookies.clear()  # a new visitor each time, as the public is
            time.sleep(READ_PAUSE)

    def write(self, writer: int) -> None:
        editor = Browser(self.port)
        editor.log_in()
        # One form, one CSRF token for the whole run: the admin's pages are refused while the
        # site is read-only, and the token stays good for the session.
        status, _, page, _ = editor.request("GET", "/admin/blog/post/add/")
        found = CSRF_TOKEN.search(page)
        if status != 200 or found is None:
            self.setup_failures.append(f"writer {writer}: the add form answered {status}: {page}")
            return
        token = found.group(1)
        self.ready += 1
        number = 0
        while not self.stopping.is_set():
            number += 1
            now = datetime.now(UTC)
            form = {
                "csrfmiddlewaretoken": token,
                # A new key per post, as each add form's hidden field holds (PostForm.form_key):
                # made here because the add form's page itself is refused while read-only.
                "form_key": str(uuid.uuid4()),
                "body": f"drill post {writer}-{number}",
                "author": self.author_id,
                "timestamp_0": now.strftime("%Y-%m-%d"),
                "timestamp_1": now.strftime("%H:%M:%S"),
                "_save": "Save",
            }
            # Sent again, unchanged, after every answer but the redirect (a 503, a 500, no
            # answer at all), as an editor does: the form key must keep it from posting twice.
            while True:
                sent, _, _ = self.request(editor, "write", "POST", "/admin/blog/post/add/", form)
                if sent.status == 302 or self.stopping.is_set():
                    break
                time.sleep(WRITE_PAUSE)
            if sent.status == 302:
                # Followed, as a browser does: the list shows (and so takes from the cookie)
                # the "was added" message; unread, such messages pile up and overflow into the
                # session, which every post would then have to save too.
                _, page, _ = self.request(editor, "admin", "GET", POSTS)
                sent.sent_before = SENT_BEFORE in page
            time.sleep(WRITE_PAUSE)

    def acknowledged_after(self, moment: float) -> Event | None:
        writes = [e for e in self.events if e.kind == "write" and e.started >= moment]
        return next((e for e in writes if e.status == 302), None)


def worker_pids(server: subprocess.Popen[bytes]) -> list[int]:
    """The `manage.py db_worker` processes that `make serve` runs beside gunicorn, in its process
    group."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
            if b"db_worker" in arguments and os.getpgid(int(entry.name)) == server.pid:
                pids.append(int(entry.name))
        except OSError:  # the process ended meanwhile
            continue
    return sorted(pids)


@dataclass
class WorkerWatch:
    """The task worker must outlive every case: the same process throughout (`make serve`'s loop
    would start a new one after a crash), and an import and an export complete after each case,
    sent as an editor does through the admin (the requests count among the traffic's)."""

    traffic: Traffic
    server: subprocess.Popen[bytes]
    pid: int = 0
    imports: int = 0

    def start(self) -> None:
        deadline = time.monotonic() + 60
        while not worker_pids(self.server):
            if time.monotonic() > deadline:
                raise RuntimeError("make serve started no db_worker within 60 s")
            time.sleep(0.2)
        (self.pid,) = worker_pids(self.server)
        self.editor = Browser(self.traffic.port)
        self.editor.log_in()

    def check(self) -> tuple[float, list[str]]:
        """(seconds the import and the export took together, what went wrong)."""
        started = time.monotonic()
        now = worker_pids(self.server)
        if now != [self.pid]:
            return 0.0, [f"the task worker {self.pid} is gone (db_worker processes now: {now})"]
        failures = []
        for name, job in [("an import", self.import_posts), ("an export", self.export_posts)]:
            state = job(started + WORKER_SECONDS)
            if state != "done":
                failures.append(f"{name} did not complete within {WORKER_SECONDS} s: {state}")
        return time.monotonic() - started, failures

    def get(self, path: str) -> str:
        return self.traffic.request(self.editor, "worker", "GET", path)[1]

    def post(self, path: str, form: dict[str, str], **files: tuple[str, bytes]) -> str:
        """Where the form redirected to ("" if it did not)."""
        return self.traffic.request(self.editor, "worker", "POST", path, form, files or None)[2]

    def import_posts(self, deadline: float) -> str:
        """Uploads two posts as CSV, confirms once checked; the last state seen."""
        self.imports += 1
        # An author's posts need distinct timestamps: one second apart, a minute per import.
        rows = [
            f"{USERNAME},drill import {self.imports}-{n},2026-01-01T{self.imports // 60:02d}:"
            f"{self.imports % 60:02d}:{n:02d}Z"
            for n in (1, 2)
        ]
        content = "\n".join(["author,body,timestamp", *rows]).encode()
        token = CSRF_TOKEN.search(self.get(POSTS + "import/"))
        if token is None:
            return "the import page has no form"
        form = {"csrfmiddlewaretoken": token.group(1)}
        status_page = self.post(POSTS + "import/", form, file=("drill.csv", content))
        if not status_page:
            return "the upload was not accepted"
        state = "?"
        while time.monotonic() < deadline:
            found = IMPORT_STATE.search(self.get(status_page))
            state = found.group(1) if found else "no state on its page"
            if state.startswith("checked"):
                self.post(status_page, form)  # confirmed
            elif state.startswith("done"):
                return "done"
            elif not state.startswith(("checking", "writing")):
                return state
            time.sleep(0.5)
        return state

    def upload_big_import(self) -> str:
        """Uploads BIG_IMPORT_ROWS posts as CSV, confirms them once checked, and returns once the
        worker is writing them: the import's page."""
        first = datetime(2025, 1, 1, tzinfo=UTC)
        rows = [
            f"{USERNAME},drill big import {n},{(first + timedelta(seconds=n)):%Y-%m-%dT%H:%M:%SZ}"
            for n in range(BIG_IMPORT_ROWS)
        ]
        content = "\n".join(["author,body,timestamp", *rows]).encode()
        token = CSRF_TOKEN.search(self.get(POSTS + "import/"))
        if token is None:
            raise RuntimeError("the import page has no form")
        form = {"csrfmiddlewaretoken": token.group(1)}
        status_page = self.post(POSTS + "import/", form, file=("big.csv", content))
        deadline = time.monotonic() + BIG_IMPORT_SECONDS
        while time.monotonic() < deadline:
            found = IMPORT_STATE.search(self.get(status_page))
            state = found.group(1) if found else "no state on its page"
            if state.startswith("checked"):
                self.post(status_page, form)  # confirmed
            elif state.startswith("writing"):
                return status_page
            elif not state.startswith("checking"):
                raise RuntimeError(f"the big import was not written: {state}")
            time.sleep(0.5)
        raise RuntimeError(f"the big import was not being written within {BIG_IMPORT_SECONDS} s")

    def import_state(self, status_page: str, deadline: float) -> str:
        """The import's state once it has left "writing", or the last seen at the deadline."""
        state = "?"
        while time.monotonic() < deadline:
            found = IMPORT_STATE.search(self.get(status_page))
            state = found.group(1) if found else "no state on its page"
            if not state.startswith("writing"):
                return state
            time.sleep(1)
        return state

    def export_posts(self, deadline: float) -> str:
        """Exports the post list as CSV (long enough to go through the worker), then downloads
        it; the last state seen."""
        _, _, status_page = self.traffic.request(
            self.editor, "worker", "GET", POSTS + "export/csv/"
        )
        if "/exports/" not in status_page:
            return f"the export was not given to the worker (redirected to {status_page!r})"
        state = "?"
        while time.monotonic() < deadline:
            found = EXPORT_STATE.search(self.get(status_page))
            state = found.group(1) if found else "no state on its page"
            if state.startswith("done"):
                download = self.traffic.request(
                    self.editor, "worker", "GET", status_page.rstrip("/") + "/download/"
                )[0]
                return "done" if download.status == 200 else f"download answered {download.status}"
            if not state.startswith("writing"):
                return state
            time.sleep(0.5)
        return state


@dataclass
class Case:
    name: str
    started: float = 0.0
    ended: float = 0.0
    killed: float = 0.0
    old_leader: str = ""
    new_leader: str = ""
    writes_refused: float = 0.0
    rejoined: float | None = None
    # Moments (time.monotonic()) for the timeline: a leader answering again, the old node's
    # Patroni started again (leader lost only), the old leader streaming from the new one.
    leading: float = 0.0
    restarted: float | None = None
    streaming: float | None = None
    worker_seconds: float = 0.0
    worker_failures: list[str] = field(default_factory=list)
    victim: str = ""  # the node the fault hit: the leader, or its standby
    # "leader lost, a big import writing": its state at the end, and seconds from the kill.
    big_import: str = ""
    big_import_seconds: float = 0.0
    log: str = ""  # what the app logged during the case
    counts: dict[str, float] = field(default_factory=dict)  # what report() counted (--summary)


def run_case(
    name: str,
    cluster: PatroniCluster,
    traffic: Traffic,
    kill: Callable[[Node], None],
    settle: float,
    worker: WorkerWatch,
    server_log: Path,
) -> Case:
    case = Case(name, started=time.monotonic())
    logged_before = len(server_log.read_text())
    old = cluster.leader()
    assert old is not None, "no leader before the case"
    case.old_leader = old.name
    # The standby case hits the leader's synchronous standby; the others, the leader.
    victim = next(n for n in cluster.nodes if n is not old) if name in STANDBY_CASES else old
    case.victim = victim.name
    big_import = worker.upload_big_import() if name in BIG_IMPORT_CASES else None
    time.sleep(settle)  # steady traffic first
    case.killed = time.monotonic()
    kill(victim)
    if name in STANDBY_CASES:
        case.leading = case.killed  # the leader leads throughout
    else:
        cluster.wait_for(lambda: cluster.leader() is not old, 30, f"{old.name} to stop leading")
        cluster.wait_for(lambda: cluster.leader() is not None, 90, "a leader again")
        case.leading = time.monotonic()
    if isinstance(kill, Freeze):
        # Until it wakes, writes wait for a synchronous standby that has left (the old leader's
        # PostgreSQL takes them) or that sleeps, up to the app's bound: refusals still to come.
        woken = kill.woken.wait(kill.seconds + 30)
        assert woken, f"{victim.name}'s {kill.what} was not woken"
    # Writes are back with the first post acknowledged after the last one refused.
    deadline = time.monotonic() + 90
    while True:
        refusals = [
            e
            for e in traffic.events
            if e.kind == "write" and e.started >= case.killed and e.status != 302
        ]
        back = traffic.acknowledged_after(refusals[-1].started if refusals else case.killed)
        if back is not None:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: writes did not come back within 90 s of a new leader")
        time.sleep(0.2)
    case.writes_refused = back.ended - case.killed if refusals else 0.0
    leader = cluster.leader()
    case.new_leader = leader.name if leader else "?"
    if isinstance(kill, Freeze):
        # A leader's Patroni woke, finds the key taken, demotes its server and rewinds it; a
        # standby's PostgreSQL woke, and streams on.
        case.restarted = kill.woken_at
        cluster.wait_for(
            lambda: victim.name in cluster.streaming(), 120, f"{victim.name} to stream again"
        )
        case.streaming = time.monotonic()
        case.rejoined = case.streaming - case.restarted
    elif victim.patroni is None or victim.patroni.poll() is not None:
        # The whole node was lost: start it again; Patroni rewinds it and it must rejoin.
        victim.start()
        case.restarted = time.monotonic()
        cluster.wait_for(
            lambda: victim.name in cluster.streaming(), 120, f"{victim.name} to rejoin"
        )
        case.streaming = time.monotonic()
        case.rejoined = case.streaming - case.restarted
    elif case.new_leader != old.name:
        # Demoted by a switchover: its Patroni makes it a standby of the new leader.
        cluster.wait_for(lambda: old.name in cluster.streaming(), 120, f"{old.name} to rejoin")
        case.streaming = time.monotonic()
        case.rejoined = case.streaming - case.killed
    cluster.wait_for(cluster.settled, 120, "the cluster to settle")
    if big_import is not None:
        # Its write died with the leader, all of it; the worker runs it again on the new one.
        case.big_import = worker.import_state(big_import, time.monotonic() + BIG_IMPORT_SECONDS)
        case.big_import_seconds = time.monotonic() - case.killed
        if not case.big_import.startswith("done"):
            case.worker_failures.append(f"the big import ended {case.big_import!r}")
    time.sleep(settle)  # steady traffic after
    seconds, failures = worker.check()
    case.worker_seconds = seconds
    case.worker_failures += failures
    case.ended = time.monotonic()
    case.log = server_log.read_text()[logged_before:]
    return case


def kill_node(node: Node) -> None:
    # Patroni first: were the postmaster killed first, Patroni would restart it.
    node.kill_patroni()
    node.kill_postmaster()


class Freeze:
    """A node's Patroni, or its PostgreSQL (the postmaster and every process it started),
    stopped (SIGSTOP) for `seconds`, then woken (SIGCONT); the other runs on meanwhile."""

    def __init__(self, seconds: float, what: str = "Patroni") -> None:
        self.seconds, self.what = seconds, what
        self.woken = threading.Event()
        self.woken_at = 0.0

    def __call__(self, node: Node) -> None:
        if self.what == "Patroni":
            assert node.patroni is not None
            pids = [node.patroni.pid]
        else:
            postmaster = node.postmaster_pid()
            assert postmaster is not None
            pids = [postmaster, *children(postmaster)]
        self.woken.clear()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)

        def wake() -> None:
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
            self.woken_at = time.monotonic()
            self.woken.set()

        timer = threading.Timer(self.seconds, wake)
        timer.daemon = True
        timer.start()


def kill_postmaster(node: Node) -> None:
    node.kill_postmaster()


def switch_over(node: Node) -> None:
    """The planned way (docs/scale-out.md): the leader hands over to its synchronous standby."""
    other = next(n for n in node.cluster.nodes if n is not node)
    subprocess.run(
        [PATRONICTL, "-c", str(node.config), "switchover"]
        + ["--leader", node.name, "--candidate", other.name, "--force"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def lose_etcd(node: Node) -> None:
    """etcd killed, and started again (with its data) ETCD_OUTAGE_SECONDS later."""
    node.cluster.kill_etcd()
    restart = threading.Timer(ETCD_OUTAGE_SECONDS, node.cluster.start_etcd)
    restart.daemon = True
    restart.start()


CASES: dict[str, Callable[[Node], None]] = {
    "leader lost": kill_node,
    "postmaster lost": kill_postmaster,
    "switchover": switch_over,
    "etcd lost": lose_etcd,
    "standby lost": kill_node,
    "leader lost, a big import writing": kill_node,
    "leader frozen 40 s": Freeze(40),
    "leader frozen 70 s": Freeze(70),
    "standby's PostgreSQL frozen 30 s": Freeze(30, "PostgreSQL"),
}
# The fault hits the leader's synchronous standby, not the leader.
STANDBY_CASES = {"standby lost", "standby's PostgreSQL frozen 30 s"}
BIG_IMPORT_CASES = {"leader lost, a big import writing"}
# The quick drill (CI) keeps to the three short cases: etcd's 30 s outage, the frozen leaders and
# the big import would add minutes each to CI.
QUICK_CASES = ["leader lost", "postmaster lost", "switchover"]


def report(case: Case, traffic: Traffic, bodies: dict[str, int]) -> list[str]:
    """Prints one case's figures; returns its failures."""
    events = [e for e in traffic.events if case.started <= e.started < case.ended]
    reads = [e for e in events if e.kind == "read"]
    writes = [e for e in events if e.kind == "write"]
    failed_reads = [e for e in reads if e.status != 200]
    acknowledged = [e for e in writes if e.status == 302]
    refused = [e for e in writes if e.status != 302]
    # One intended post per body, however many times its form was sent.
    intended = sorted({e.body for e in writes})
    lost = [e for e in acknowledged if bodies.get(e.body, 0) == 0]
    duplicated = [body for body in intended if bodies.get(body, 0) > 1]
    found_again = [e for e in acknowledged if e.sent_before]
    other_5xx = [e for e in events if e.status >= 500 and e.status != 503]
    slowest = max(events, key=lambda e: e.seconds)
    too_slow = [e for e in events if e.seconds > DATABASE_TIMEOUT_SECONDS + SLACK_SECONDS]
    statuses = sorted({e.status for e in refused})
    case.counts = {
        "public reads": len(reads),
        "public reads failed": len(failed_reads),
        "posts intended": len(intended),
        "posts acknowledged": len(acknowledged),
        "posts lost": len(lost),
        "posts duplicated": len(duplicated),
        "found made by an earlier sending": len(found_again),
        "answers refused": len(refused),
        "5xx other than 503": len(other_5xx),
        "slowest answer seconds": slowest.seconds,
    }
    if case.rejoined is not None:
        rejoin = f"{case.victim} streaming again {case.rejoined:.1f} s {back_from(case)}"
    elif case.name == "etcd lost":
        rejoin = f"{case.old_leader} demoted, then leading again, the standby streaming again"
    else:
        rejoin = f"{case.old_leader} restarted in place by its Patroni, the standby streaming again"
    print(
        f"{case.name}: leader {case.old_leader} -> {case.new_leader}; "
        f"writes refused for {case.writes_refused:.1f} s; "
        f"public reads {len(reads)}, failed {len(failed_reads)}; "
        f"posts intended {len(intended)}, acknowledged {len(acknowledged)}, "
        f"answers refused {len(refused)} {statuses}, lost {len(lost)}, "
        f"duplicated {len(duplicated)}, found made by an earlier sending {len(found_again)}; "
        f"5xx other than 503: {len(other_5xx)}; "
        f"slowest answer {slowest.seconds:.1f} s ({slowest.kind}); {rejoin}; "
        f"task worker: an import and an export in {case.worker_seconds:.1f} s"
        + (
            f"; the big import {case.big_import} {case.big_import_seconds:.0f} s after the kill"
            if case.big_import
            else ""
        ),
        flush=True,
    )
    failures = []
    if failed_reads:
        failures.append(f"{len(failed_reads)} public reads failed, e.g. {failed_reads[0]}")
    if lost:
        failures.append(f"{len(lost)} acknowledged posts lost, e.g. {lost[0].body!r}")
    if duplicated:
        failures.append(f"{len(duplicated)} posts duplicated, e.g. {duplicated[0]!r}")
    if other_5xx:
        failures.append(f"{len(other_5xx)} answers 5xx other than 503, e.g. {other_5xx[0]}")
    if too_slow:
        failures.append(
            f"{len(too_slow)} answers took longer than {DATABASE_TIMEOUT_SECONDS} + "
            f"{SLACK_SECONDS} s, the slowest {slowest.seconds:.1f} s: {slowest}"
        )
    failures += case.worker_failures
    errors = [line for line in case.log.splitlines() if " ERROR " in line]
    starts, ends = case.log.count(OUTAGE_STARTS), case.log.count(OUTAGE_ENDS)
    print(
        f"  app log: '{OUTAGE_STARTS}' {starts} times, '{OUTAGE_ENDS}' {ends} times, "
        f"ERROR lines {len(errors)}",
        *errors[:3],
        sep="\n    ",
        flush=True,
    )
    if case.name == "etcd lost":
        slowest_refusal = max((e.seconds for e in refused), default=0.0)
        print(f"  slowest refused write {slowest_refusal:.2f} s", flush=True)
        if slowest_refusal > ETCD_REFUSAL_SECONDS:
            failures.append(f"a write was refused only after {slowest_refusal:.1f} s")
        if errors or starts > GUNICORN_WORKERS or ends > GUNICORN_WORKERS:
            failures.append(
                f"more than one log line per outage start and end per worker: {starts} "
                f"starts, {ends} ends and {len(errors)} ERROR lines, e.g. {errors[:1]}"
            )
    if case.rejoined is not None and case.rejoined > REJOIN_SECONDS:
        failures.append(f"{case.victim} streamed again only after {case.rejoined:.1f} s")
    return [f"{case.name}: {failure}" for failure in failures]


def back_from(case: Case) -> str:
    """What the node the fault hit is timed from until it streams again; or, when it did not
    leave, why not."""
    fault = CASES[case.name]
    if isinstance(fault, Freeze):
        return f"after its {fault.what} woke"
    if case.restarted is not None:
        return "after its restart"
    if case.rejoined is not None:
        return "after the switchover"
    return "it leads again" if case.name == "etcd lost" else "it stays the leader"


def timeline(case: Case, traffic: Traffic) -> dict[str, object]:
    """One run's requests per second, by the second (from the kill) each was sent in."""
    first = math.floor(case.started - case.killed)
    seconds = list(range(first, math.floor(case.ended - case.killed) + 1))
    counts = {
        name: [0] * len(seconds)
        for name in ["reads answered", "reads failed", "writes acknowledged", "writes refused"]
    }
    for event in traffic.events:
        if case.started <= event.started < case.ended and event.kind in ("read", "write"):
            second = math.floor(event.started - case.killed) - first
            if event.kind == "read":
                name = "reads answered" if event.status == 200 else "reads failed"
            else:
                name = "writes acknowledged" if event.status == 302 else "writes refused"
            counts[name][second] += 1
    moments = {
        "a leader again": case.leading,
        "writes back": case.killed + case.writes_refused,
        "old leader restarted": case.restarted,
        "old leader streaming": case.streaming,
    }
    return {
        "case": case.name,
        "leader": f"{case.old_leader} -> {case.new_leader}",
        "seconds": seconds,
        "per second": counts,
        "moments": {
            name: round(moment - case.killed, 2) for name, moment in moments.items() if moment
        },
    }


def write_results(path: Path, cases: list[Case], traffic: Traffic) -> None:
    results = {
        "shows": "answers per second around each failover, from the moment the leader was lost",
        "source": "written by scripts/failover_drill.py --results",
        "measured": datetime.now(UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "python scripts/failover_drill.py " + " ".join(sys.argv[1:]),
        "runs": [timeline(case, traffic) for case in cases],
    }
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def write_summary(path: Path, cases: list[Case]) -> None:
    """Per case, over its runs: the median and worst of each time, the sum of each count."""

    def spread(values: list[float]) -> dict[str, float]:
        return {"median": round(statistics.median(values), 1), "worst": round(max(values), 1)}

    summary = []
    for name in dict.fromkeys(case.name for case in cases):
        runs = [case for case in cases if case.name == name]
        rejoined = [case.rejoined for case in runs if case.rejoined is not None]
        counts = {
            key: sum(int(case.counts[key]) for case in runs)
            for key in runs[0].counts
            if key != "slowest answer seconds"
        }
        summary.append(
            {
                "case": name,
                "writes refused seconds": spread([case.writes_refused for case in runs]),
                **counts,
                "slowest answer seconds": spread(
                    [case.counts["slowest answer seconds"] for case in runs]
                ),
                "worker seconds": spread([case.worker_seconds for case in runs]),
                "the node hit streaming again seconds": spread(rejoined) if rejoined else None,
                "the node hit streaming again from": back_from(runs[0]),
            }
        )
    results = {
        "shows": "the failover drill, per case: how long writes were refused, how soon the node"
        " the fault hit streamed again, the slowest answer and the task worker's import and export"
        " after each case",
        "source": "written by scripts/failover_drill.py --summary",
        "measured": datetime.now(UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "command": "python scripts/failover_drill.py " + " ".join(sys.argv[1:]),
        "runs per case": len(cases) // len(summary),  # each case runs once a round
        "cases": summary,
    }
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def drill(
    rounds: int,
    settle: float,
    cases_wanted: list[str],
    workdir: Path,
    results: Path | None,
    summary: Path | None,
) -> bool:
    cluster = PatroniCluster()
    try:
        started = time.monotonic()
        cluster.start()
        print(
            f"cluster: etcd and {len(cluster.nodes)} Patroni nodes, synchronous_mode, ttl {TTL} s, "
            f"loop_wait {LOOP_WAIT} s, retry_timeout {RETRY_TIMEOUT} s; "
            f"up in {time.monotonic() - started:.1f} s",
            flush=True,
        )
        cluster.the_leader().sql("CREATE DATABASE microblog")
        env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
        env |= {
            "DJANGO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "BEHIND_TLS_PROXY": "true",
            "STATIC_ROOT": str(workdir / "static"),
            # No restart and no new setting during the drill: both servers, in both settings.
            "DATABASE_URL": cluster.url("microblog"),
            "DATABASE_REPLICA_URLS": cluster.url("microblog"),
            "DATABASE_TIMEOUT_SECONDS": str(DATABASE_TIMEOUT_SECONDS),
            "EXPORT_STREAMED_MAX_ROWS": str(EXPORT_STREAMED_MAX_ROWS),
            "IMPORT_UPLOAD_DIR": str(workdir / "imports"),
            "EXPORT_DIR": str(workdir / "exports"),
        }
        server_log = workdir / "server.log"
        process, port = start_server(env, server_log)  # it migrates first
        try:
            create_staff = (
                "from accounts.models import User; "
                f"print(User.objects.create_superuser({USERNAME!r}, 'drill@example.com', "
                f"{PASSWORD!r}).pk)"
            )
            traffic = Traffic(port, manage(env, "shell", "-v0", "-c", create_staff))
            traffic.start()
            worker = WorkerWatch(traffic, process)
            worker.start()
            cases = []
            try:
                for _ in range(rounds):
                    for name in cases_wanted:
                        case = run_case(
                            name, cluster, traffic, CASES[name], settle, worker, server_log
                        )
                        cases.append(case)
            finally:
                traffic.stop()
        finally:
            stop_server(process)
        rows = cluster.the_leader().sql(
            "SELECT body, count(*) FROM blog_post GROUP BY body", database="microblog"
        )
        bodies = {body: count for body, count in rows}
        failures = [failure for case in cases for failure in report(case, traffic, bodies)]
        summarize(cases)
        if results:
            write_results(results, cases, traffic)
        if summary:
            write_summary(summary, cases)
        log = server_log.read_text()
        print(
            "app log: 'the primary cannot take writes' "
            f"{log.count('the primary cannot take writes')} times, 'the primary is back' "
            f"{log.count('the primary is back')} times (once per change per worker, 4 workers)"
        )
        for failure in failures:
            print(f"  FAILED: {failure}")
        if failures:  # what the app said, for whoever reads CI's output
            said = [line for line in log.splitlines() if APP_LOG_LINES.search(line)]
            print("app log's last warnings, errors and exceptions:", *said[-60:], sep="\n  ")
        return not failures
    finally:
        cluster.stop()


def summarize(cases: list[Case]) -> None:
    for name in dict.fromkeys(case.name for case in cases):
        refused = [case.writes_refused for case in cases if case.name == name]
        line = (
            f"{name}, {len(refused)} runs: writes refused median "
            f"{statistics.median(refused):.1f} s, worst {max(refused):.1f} s"
        )
        rejoined = [case.rejoined for case in cases if case.name == name and case.rejoined]
        if rejoined:
            line += (
                f"; the node hit streaming again median {statistics.median(rejoined):.1f} s, "
                f"worst {max(rejoined):.1f} s"
            )
        print(line)


def main() -> bool:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, shorter: CI")
    parser.add_argument("--rounds", type=int, help="rounds of the cases (3; 1 with --quick)")
    parser.add_argument(
        "--case", action="append", choices=list(CASES), help="only this case (repeatable)"
    )
    parser.add_argument(
        "--results", type=Path, help="write each run's timeline here as JSON (make plots)"
    )
    parser.add_argument(
        "--summary", type=Path, help="write each case's figures here as JSON (make plots)"
    )
    args = parser.parse_args()
    rounds, settle = (1, 2.0) if args.quick else (3, 5.0)
    rounds = args.rounds or rounds
    cases = args.case or (QUICK_CASES if args.quick else list(CASES))
    why = missing_programs()
    if why:
        print(f"!!!!! failover drill NOT RUN: {why}")
        return not os.environ.get("CI")  # CI installs them (make patroni): absence is a failure
    print(
        f"{rounds} rounds of {', '.join(cases)}; "
        f"{READERS} readers and {WRITERS} writers over HTTP; "
        f"gunicorn with 4 workers; {os.cpu_count()} CPUs",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="microblog-drill-") as tmp:
        return drill(rounds, settle, cases, Path(tmp), args.results, args.summary)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
