"""Issue 13 item 8: behind a TLS reverse proxy, ``ptsp serve --proxy-headers`` marks the office's
cookies Secure for requests the proxy says came over HTTPS, and only when the proxy's address is
in ``--forwarded-allow-ips``. Real ``ptsp serve`` processes, real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from http.cookies import SimpleCookie

import httpx
import pytest

from tests.ptsp_support import write_profile
from tests.signer_support import free_port

pytestmark = pytest.mark.integration
PTSP = [sys.executable, "-c", "from ptsp.cli import main; main()"]
PASSWORD = "kata-sandi-uji-123"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("proxy")
    profile = write_profile(tmp)
    db = f"sqlite:///{tmp / 'registry.sqlite'}"
    env = {**os.environ, "UJI_PW": PASSWORD}
    r = subprocess.run([*PTSP, "--profile", str(profile), "--db", db, "users", "add", "kadis1",
                        "--role", "kadis", "--password-env", "UJI_PW"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return profile, db


def serve(setup, *extra: str):
    profile, db = setup
    port = free_port()
    proc = subprocess.Popen([*PTSP, "--profile", str(profile), "--db", db, "serve", "--port",
                             str(port), *extra], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/", timeout=1)
            return proc, url
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read()) from None
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("ptsp serve did not start")


def cookie_flags(response: httpx.Response) -> dict[str, bool]:
    """{cookie name: has Secure} of every Set-Cookie header."""
    out = {}
    for header in response.headers.get_list("set-cookie"):
        c = SimpleCookie()
        c.load(header)
        for name, morsel in c.items():
            out[name] = bool(morsel["secure"])
    return out


def login(url: str, headers: dict[str, str]) -> dict[str, bool]:
    import re

    with httpx.Client(base_url=url, headers=headers) as c:
        page = c.get("/kantor/masuk")
        flags = cookie_flags(page)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        # the client keeps cookies marked Secure only over https: send them by hand
        cookies = "; ".join(f"{k}={v}" for k, v in page.cookies.items()) or \
            page.headers["set-cookie"].split(";")[0]
        r = c.post("/kantor/masuk", data={"csrf_token": token, "username": "kadis1",
                                          "password": PASSWORD},
                   headers={"cookie": cookies})
        assert r.status_code == 303, r.text
        # the pre-login cookie of the form, the session cookie of the login
        return {"kantor_pra": flags["kantor_pra"], "kantor_sesi": cookie_flags(r)["kantor_sesi"]}


HTTPS = {"x-forwarded-proto": "https"}


def test_secure_cookies_behind_a_trusted_proxy(setup):
    proc, url = serve(setup, "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1")
    try:
        flags = login(url, HTTPS)
        assert flags and all(flags.values()), flags  # login and session cookie: Secure
        flags = login(url, {})  # plain http straight to the server: not Secure
        assert flags and not any(flags.values()), flags
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_forwarded_proto_ignored_from_untrusted_addresses(setup):
    proc, url = serve(setup, "--proxy-headers", "--forwarded-allow-ips", "10.9.8.7")
    try:
        flags = login(url, HTTPS)
        assert flags and not any(flags.values()), flags
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_forwarded_proto_ignored_without_proxy_headers(setup):
    proc, url = serve(setup)
    try:
        flags = login(url, HTTPS)
        assert flags and not any(flags.values()), flags
    finally:
        proc.terminate()
        proc.wait(timeout=20)
