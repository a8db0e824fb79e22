"""Hostile input against the office pages (issue 13.5, 13.10): never a 500, always a 4xx with
an Indonesian message (JSON where the route is JSON).

The office is mounted in the portal app as ``ptsp serve`` does. Cases: 100,000 nested ``[`` as a
JSON or JSON Lines upload, a CSV with one 5 MB cell, ids past 2^63 in every numeric path, random
path ids, and an 11 MB upload sent chunked (no Content-Length) to a real uvicorn server, which
must stop reading at the cap.
"""

from __future__ import annotations

import socket
import threading

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.office_support import FakeConverter, cheap_hashing, csrf_of, login, registry_factory
from tests.web_support import LiveServer

pytestmark = pytest.mark.integration
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
HUGE = (str(2**63), str(2**64), "9" * 40, "1" + "0" * 400)
ENGLISH = ("Internal Server Error", "Traceback", "not UTF-8", "field larger", "recursion",
           "Input should be", "Layanan terganggu")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The portal with the office mounted (as ``ptsp serve``), one user per role."""
    from ptsp.office import create_user, mount_office
    from ptsp.profile import load_profile
    from ptsp.web import create_app
    from tests.office_support import PASSWORD, ROLE_USERS
    from tests.ptsp_support import write_profile

    tmp = tmp_path_factory.mktemp("kantor-fuzz")
    profile = load_profile(write_profile(tmp, None))
    factory = registry_factory(profile, f"sqlite:///{tmp / 'registry.sqlite'}")
    app = create_app(profile, factory)
    with pytest.MonkeyPatch.context() as mp:
        cheap_hashing(mp)
        office = mount_office(app, profile=profile, registry_factory=factory,
                              catalog=__import__("generator.catalog").catalog.load_catalog(),
                              data_dir=tmp / "kantor", converter_factory=FakeConverter)
        for role, name in ROLE_USERS.items():
            create_user(office.store, name, role, PASSWORD)
        yield app


@pytest.fixture(scope="module")
def bo(served):
    with TestClient(served, raise_server_exceptions=False) as c:
        assert login(c, "bo1").status_code == 303
        yield c


def csrf(client) -> str:
    return csrf_of(client.get("/kantor/unggah").text)


def assert_clean(r, *, json_route: bool = False) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    for word in ENGLISH:
        assert word not in r.text, (word, r.text[:300])
    if json_route:
        assert r.headers["content-type"].startswith("application/json"), r.headers
        assert r.json()["error"]


def upload(client, name: str, data: bytes, ctype: str = "text/csv"):
    return client.post("/kantor/unggah", data={"csrf_token": csrf(client)},
                       files={"berkas": (name, data, ctype)})


@pytest.mark.parametrize("name", ["a.json", "a.jsonl"])
def test_deeply_nested_json(bo, name):
    r = upload(bo, name, b"[" * 100_000, "application/json")
    assert_clean(r)
    assert r.status_code == 400 and "terlalu dalam bersarang" in r.text


def test_csv_with_one_huge_cell(bo):
    for body in (b"application_id,permit\n" + b"A" * (5 * 1024 * 1024) + b",X\n",
                 b"A" * (5 * 1024 * 1024) + b",permit\nx,y\n"):
        r = upload(bo, "a.csv", body)
        assert_clean(r)
        assert r.status_code == 400 and "tidak dapat dibaca" in r.text


@pytest.mark.parametrize("body,words", [
    (b"\xff\xfe\x00a,b\n", "bukan teks UTF-8"),
    (b"PK\x03\x04 bukan zip", "bukan buku kerja Excel"),
    (b'{"a": 1}', "daftar (array)"),
    (b"[1, 2", "bukan JSON yang sah"),
])
def test_unreadable_files_in_indonesian(bo, body, words):
    name = "a.xlsx" if body.startswith(b"PK") else "a.json" if body[:1] in b"[{" else "a.csv"
    r = upload(bo, name, body)
    assert_clean(r)
    assert words in r.text and "File is not a zip file" not in r.text


@pytest.mark.parametrize("huge", HUGE)
def test_ids_beyond_2_63(served, bo, huge):
    kadis = TestClient(served, raise_server_exceptions=False)
    with kadis:
        login(kadis, "kadis1")
        for client, path, json_route in (
                (bo, f"/kantor/unggah/{huge}", False),
                (bo, f"/kantor/pekerjaan/{huge}", False),
                (bo, f"/kantor/pekerjaan/{huge}/status.json", True),
                (kadis, f"/kantor/pekerjaan/{huge}/status.json", True),
                (kadis, f"/kantor/draf/x/halaman/{huge}.png", False)):
            r = client.get(path)
            assert_clean(r, json_route=json_route)
            assert r.status_code == 404, (path, r.status_code)
        r = bo.post(f"/kantor/unggah/{huge}/buat", data={"csrf_token": csrf(bo)})
        assert_clean(r)
        assert r.status_code == 404 and "Unggahan tidak ditemukan" in r.text


@FUZZ
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126,
                                      exclude_characters="/?#%"), min_size=1, max_size=60)
       .filter(lambda t: t.strip(".") != ""))
def test_random_numeric_ids(bo, text):
    for path, json_route in ((f"/kantor/unggah/{text}", False),
                             (f"/kantor/pekerjaan/{text}/status.json", True)):
        r = bo.get(path)
        assert_clean(r, json_route=json_route)
        assert r.status_code in (403, 404), (path, r.status_code)


def test_chunked_upload_stops_at_the_cap(served):
    """An upload without Content-Length is cut off at 10 MB while it is read: the server
    answers 413 long before a 40 MB body is through (before the fix it read all of it and
    answered 400)."""
    with TestClient(served) as c:
        login(c, "bo1")
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        token = csrf(c)
    with LiveServer(served) as server:
        boundary = "batas-uji"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"berkas\"; "
                f"filename=\"besar.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                "application_id,permit\r\n").encode()
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        sock.sendall((f"POST /kantor/unggah HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                      f"Cookie: {cookie}\r\nTransfer-Encoding: chunked\r\n"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n").encode())

        def chunk(data: bytes) -> bytes:
            return f"{len(data):x}\r\n".encode() + data + b"\r\n"

        sock.sendall(chunk(head))
        row = b"APP-1,ITAK\r\n" * 5000
        sent = [len(head)]
        stop = threading.Event()

        def send() -> None:  # a client that would send 40 MB if nobody stopped it
            try:
                while sent[0] < 40 * 1024 * 1024 and not stop.is_set():
                    sock.sendall(chunk(row))
                    sent[0] += len(row)
                sock.sendall(b"0\r\n\r\n")
            except OSError:
                pass

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        except (TimeoutError, ConnectionResetError):
            pass
        stop.set()
        at_answer = sent[0]
        sock.close()
        sender.join(10)
    status = answer.split(b"\r\n", 1)[0]
    assert b" 413 " in status, answer[:300]
    assert at_answer < 20 * 1024 * 1024, at_answer


def test_an_unexpected_error_on_a_json_route_answers_json(served, bo, monkeypatch):
    """Whatever goes wrong behind ``status.json``, the answer is JSON, not the HTML page."""
    store = served.state.office.store

    def broken(job_id):
        raise RuntimeError("database went away")

    monkeypatch.setattr(store, "job", broken)
    r = bo.get("/kantor/pekerjaan/1/status.json")
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/json")
    assert "Terjadi kesalahan" in r.json()["error"]["message"]
    assert "database went away" not in r.text
