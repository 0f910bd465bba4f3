"""The app served by gunicorn in a child process, and just enough of a browser to use it."""

import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from tests.child_process import PROJECT_ROOT, child_environment

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class AppServer:
    """gunicorn (one worker: one process's replica checks to reason about) on a free port."""

    def __init__(self, env):
        self.log = Path(tempfile.mkstemp(prefix="microblog-gunicorn-", suffix=".log")[1])
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "microblog.wsgi", "--workers", "1"]
                + ["--bind", "127.0.0.1:0", "--no-control-socket"],
                cwd=PROJECT_ROOT,
                env=child_environment({"DJANGO_ENV": "development", **env}),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while not (listening := re.search(r"Listening at: http://[\d.]+:(\d+)", self.output())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"gunicorn did not start:\n{self.output()}")
            time.sleep(0.05)
        self.port = int(listening.group(1))

    def output(self):
        return self.log.read_text()

    def stop(self):
        self.begin_stopping()
        self.process.wait(timeout=30)
        self.log.unlink(missing_ok=True)

    def begin_stopping(self):
        """Stopping takes gunicorn a second: several servers are stopped side by side."""
        if self.process.poll() is None:
            # SIGINT: gunicorn's quick shutdown, without waiting for idle workers.
            os.killpg(self.process.pid, signal.SIGINT)


class Browser:
    """Cookies and CSRF tokens, as a browser keeps them."""

    def __init__(self, server):
        self.port = server.port
        self.cookies = {}

    def request(self, method, path, form=None):
        """(status, body text, response headers)."""
        origin = f"http://127.0.0.1:{self.port}"
        headers = {
            "Origin": origin,
            "Referer": origin + path,
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, text, response.headers

    def get(self, path):
        status, text, _ = self.request("GET", path)
        return status, text

    def submit(self, path, form):
        """GET the form at `path` for its CSRF token, then POST `form` to it; the status."""
        _, page = self.get(path)
        form = {"csrfmiddlewaretoken": CSRF_TOKEN.search(page).group(1), **form}
        return self.request("POST", path, form)[0]

    def log_in(self, username, password):
        form = {"username": username, "password": password}
        status = self.submit("/admin/login/?next=/admin/", form)
        assert status == 302, f"the admin login failed ({status})"
