"""Two app replicas behind Debian's nginx, run with deploy/nginx.conf (issue 8, "More than one server").

The nginx config is the deployed one with three changes: the upstream's `server app:8501` becomes one line per
local replica, it listens on a free loopback port, and it adds an `X-Upstream` header ($upstream_addr) so the
tests can see which replica answered. nginx runs as the test's user, with its pid, logs and temp files in a tmp
folder. Checks: one client (one cookie jar) always reaches one replica, fresh clients spread over both, a long
share link gets through, and a share link opened in Chromium still works after its replica is killed and the
page is reloaded.
"""

import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, _free_port, offline_page
from test_browser import player, wait_idle

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin may not be on a non-root PATH
DEPLOYED_CONF = ROOT / "deploy" / "nginx.conf"
COOKIE = "playground_replica"
START_TIMEOUT = 120  # seconds; other engineers' tests share this machine's two cores
PAGE_TIMEOUT = 180_000  # ms; the first run of the script on a replica imports torch


def nginx_config(tmp: Path, listen_port: int, replica_ports: list[int]) -> str:
    """deploy/nginx.conf inside a main config for an unprivileged nginx that keeps all its files in `tmp`."""
    site = DEPLOYED_CONF.read_text()
    site, n = re.subn(r"^(\s*)server app:8501\b([^;]*);$",
                      lambda m: "\n".join(f"{m[1]}server 127.0.0.1:{p}{m[2]};" for p in replica_ports), site,
                      flags=re.M)
    assert n == 1, "deploy/nginx.conf should have one `server app:8501 …;` line in its upstream"
    site, n = re.subn(r"^(\s*)listen 8080;$", rf"\g<1>listen 127.0.0.1:{listen_port};", site, flags=re.M)
    assert n == 1, "deploy/nginx.conf should listen on 8080"
    cookie_header = "add_header Set-Cookie $playground_set_cookie always;"
    assert site.count(cookie_header) == 1
    site = site.replace(cookie_header, f"{cookie_header}\n    add_header X-Upstream $upstream_addr always;")
    temp = "\n".join(f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                             "scgi"))
    user = "user root root;\n" if os.geteuid() == 0 else ""  # else workers would run as nobody, shut out of tmp
    return (f"{user}worker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'} notice;\n"
            f"events {{ worker_connections 512; }}\nhttp {{\n    access_log {tmp / 'access.log'};\n{temp}\n"
            f"{site}\n}}\n")


def get(opener, url, timeout=30):
    """GET `url`; returns (status, headers) also for error statuses."""
    try:
        with opener.open(url, timeout=timeout) as response:
            response.read()
            return response.status, response.headers
    except urllib.error.HTTPError as err:
        return err.code, err.headers


def served_by(headers) -> str:
    """The replica that answered: the last address nginx tried ($upstream_addr lists each one it tried)."""
    tried = headers.get("X-Upstream") or headers.get("x-upstream") or ""  # Playwright lower-cases header names
    return tried.split(",")[-1].strip()


def share_link(config: dict) -> str:
    """The Playground with a configuration in the URL, as the app's share links write it."""
    return "/?lang=en&c=" + urllib.parse.quote(json.dumps(config, separators=(",", ":")), safe="")


def routing_cookies(headers) -> list[str]:
    return [c for c in headers.get_all("Set-Cookie") or [] if c.startswith(f"{COOKIE}=")]


def client():
    """A new HTTP client with its own cookie jar, like a new browser."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


class Cluster:
    """Two `streamlit run app.py` replicas and an nginx in front of them, all on loopback."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.ports = [_free_port(), _free_port()]
        self.replicas: dict[str, subprocess.Popen] = {}  # "127.0.0.1:port" -> process
        self.nginx: subprocess.Popen | None = None
        self.url = ""

    @property
    def addresses(self) -> set[str]:
        return {f"127.0.0.1:{port}" for port in self.ports}

    def _start_replica(self, port: int) -> None:
        # The log goes to a file, not to a pipe that could fill up and block the server.
        with open(self.tmp / f"replica-{port}.log", "ab") as log:
            self.replicas[f"127.0.0.1:{port}"] = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                 "--server.headless", "true", "--server.address", "127.0.0.1"],
                cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=log, stderr=subprocess.STDOUT)

    def _wait(self, url: str, process: subprocess.Popen, log: Path) -> None:
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if process.poll() is not None:
                break
            try:
                if urllib.request.urlopen(url, timeout=5).read().strip() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"{url} did not come up: " + log.read_text(errors="replace")[-3000:])

    def ensure_up(self) -> None:
        """Start every replica that is not running (a test may have killed one), and nginx once."""
        for port in self.ports:
            process = self.replicas.get(f"127.0.0.1:{port}")
            if process is None or process.poll() is not None:
                self._start_replica(port)
        for port in self.ports:
            self._wait(f"http://127.0.0.1:{port}/_stcore/health", self.replicas[f"127.0.0.1:{port}"],
                       self.tmp / f"replica-{port}.log")
        if self.nginx is None:
            self._start_nginx()

    def _start_nginx(self) -> None:
        port = _free_port()
        conf = self.tmp / "nginx.conf"
        conf.write_text(nginx_config(self.tmp, port, self.ports))
        command = [NGINX, "-e", str(self.tmp / "error.log"), "-p", str(self.tmp), "-c", str(conf)]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr
        self.nginx = subprocess.Popen([*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        self._wait(f"{self.url}/_nginx/health", self.nginx, self.tmp / "error.log")

    def kill(self, address: str) -> None:
        """Kill a replica at once, as a crash or a lost machine would."""
        self.replicas[address].kill()
        self.replicas[address].wait(timeout=30)

    def stop(self) -> None:
        for process in [*self.replicas.values(), self.nginx]:
            if process is not None and process.poll() is None:
                process.terminate()  # nginx: fast shutdown, its workers go with it
        for process in [*self.replicas.values(), self.nginx]:
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.fail("Debian's nginx is missing: run `bash test.sh`, which installs it")
    cluster = Cluster(tmp_path_factory.mktemp("replicas"))
    try:
        cluster.ensure_up()
        yield cluster
    finally:
        cluster.stop()


def test_one_client_always_reaches_the_same_replica(cluster):
    cluster.ensure_up()
    browser = client()
    status, headers = get(browser, f"{cluster.url}/_stcore/health")
    assert status == 200
    assert routing_cookies(headers)  # nginx pins the new client with a cookie
    first = served_by(headers)
    assert first in cluster.addresses
    for path in ["/", "/_stcore/health", "/_stcore/host-config", "/regression", "/?lang=zh"] * 4:
        status, headers = get(browser, cluster.url + path)
        assert status == 200, path
        assert served_by(headers) == first, path
        assert not routing_cookies(headers)  # the cookie is set once, not on every response


def test_fresh_clients_land_on_both_replicas(cluster):
    """Each new browser gets a random routing cookie, so a class behind one NAT spreads over the replicas."""
    cluster.ensure_up()
    seen = set()
    for _ in range(40):  # both replicas with probability 1 - 2**-39
        status, headers = get(client(), f"{cluster.url}/_stcore/health")
        assert status == 200
        seen.add(served_by(headers))
        if seen == cluster.addresses:
            break
    assert seen == cluster.addresses


def test_a_long_share_link_gets_through(cluster):
    """nginx's default 8 kB request-line buffer would answer 414 to a long `?c=…` share link."""
    cluster.ensure_up()
    link = share_link({"steps": 123, "note": "x" * 16_000})
    assert len(link) > 16_000
    status, headers = get(client(), cluster.url + link)
    assert served_by(headers) in cluster.addresses  # nginx passed it on
    assert status == 200


@pytest.fixture
def lb_page(browser):
    """A Chromium page that refuses every request not to this machine, collecting console errors."""
    page = offline_page(browser)
    try:
        yield page
    finally:
        page.context.close()


def assert_page_works(page) -> None:
    """The race's player has drawn and no exception box is shown."""
    page.wait_for_selector("iframe[src*='/component/'], [data-testid='stException']")
    assert page.locator("[data-testid='stException']").all_inner_texts() == []
    assert player(page).evaluate("playerState().lastDraw")


def steps_value(page) -> str:
    return page.locator("[data-testid=stSidebar] input[aria-label='Steps']").input_value()


@pytest.mark.browser
def test_a_share_link_survives_its_replica_dying(cluster, lb_page):
    cluster.ensure_up()
    page = lb_page
    page.set_default_timeout(PAGE_TIMEOUT)

    response = page.goto(cluster.url + share_link({"steps": 123}))
    first = served_by(response.headers)
    assert first in cluster.addresses
    assert any(c["name"] == COOKIE for c in page.context.cookies())
    wait_idle(page, timeout=PAGE_TIMEOUT)  # the websocket is connected through nginx and the script has run
    assert_page_works(page)
    assert steps_value(page) == "123"  # the configuration came from the URL

    cluster.kill(first)  # the student's replica dies under the open page
    page.errors.clear()
    response = page.reload()  # the same URL and the same routing cookie, now pointing at a dead replica
    assert served_by(response.headers) == (cluster.addresses - {first}).pop()
    wait_idle(page, timeout=PAGE_TIMEOUT)
    assert_page_works(page)
    assert steps_value(page) == "123"  # the other replica rebuilt the same scenario from the URL
    assert not page.errors, page.errors
    assert not page.outside, page.outside


def test_nginx_drops_idle_upstream_connections_before_streamlit_does():
    """Streamlit's server (uvicorn) closes a keep-alive connection after `timeout_keep_alive` s idle; a request
    nginx sends on a connection closing at that moment fails (502s on a page's scripts, seen in this test file's
    replica test). nginx must let its cached connections go first."""
    import uvicorn

    upstream = re.search(r"upstream playground \{(.*?)\n\}", DEPLOYED_CONF.read_text(), re.S).group(1)
    ours = re.search(r"^\s*keepalive_timeout\s+(\d+)s;", upstream, re.M)
    assert ours, "no keepalive_timeout in the upstream block"
    assert int(ours.group(1)) < uvicorn.Config(app=None).timeout_keep_alive
