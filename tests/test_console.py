"""The development console (`make run`) is quiet: a request's id, method, path and user appear
only on the lines written while that request is served, and a browser's /favicon.ico is answered
instead of logging a 404 every first visit."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

from tests.child_process import PROJECT_ROOT, child_environment, run_python


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port, path):
    """(status, content type) of a GET, retried while runserver starts."""
    deadline = time.monotonic() + 30
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status, response.getheader("Content-Type")
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            connection.close()


def test_runserver_lines_carry_request_fields_only_when_they_belong_to_a_request(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/app.db", "DEBUG": "true"}
    migrated = run_python("manage.py", "migrate", "-v0", env=env)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=PROJECT_ROOT,
        env=child_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert get(port, "/") == (200, "text/html; charset=utf-8")
        assert get(port, "/favicon.ico") == (200, "image/x-icon")
        assert get(port, "/no-such-page")[0] == 404
    finally:
        os.killpg(server.pid, signal.SIGINT)
        console = server.communicate(timeout=30)[0]

    # runserver's own access line names the request already: no row of dashes after it.
    assert "request_id=-" not in console
    assert 'INFO django.server "GET / HTTP/1.1" 200' in console
    assert 'INFO django.server "GET /favicon.ico HTTP/1.1" 200' in console
    # A line written while a request is served still says which request it was.
    [not_found] = [line for line in console.splitlines() if "Not Found" in line]
    assert "WARNING django.request request_id=" in not_found
    assert "method=GET path=/no-such-page user_id=- Not Found: /no-such-page" in not_found


# No django_db mark: pytest-django fails the test if the view touches the database.
def test_the_favicon_is_a_small_cached_icon_that_needs_no_database(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content.startswith(b"\x00\x00\x01\x00")  # an .ico file's signature
    assert len(response.content) < 1024
    assert "max-age=604800" in response["Cache-Control"]
    assert client.post("/favicon.ico").status_code == 405
