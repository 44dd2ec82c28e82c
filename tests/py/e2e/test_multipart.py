"""Multipart uploads and forms parsed by Go, through a real runbolt (issue 3)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.py.conftest import TEST_PROJECT, BoltProcess


def _checksum(data: bytes) -> int:
    return sum(data) % 65521


def _raw_post(bolt: BoltProcess, target: str, content_type: str, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", bolt.port), timeout=10) as sock:
        head = f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        sock.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)
        data = b""
        while more := sock.recv(65536):
            data += more
    return data


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory, upload_dir: Path) -> Iterator[BoltProcess]:
    """A server whose spooled uploads go to upload_dir, so tests can see them deleted."""
    tmp = tmp_path_factory.mktemp("bolt-up")
    env = {"TEST_MARKER_DIR": str(tmp), "TEST_UPLOAD_DIR": str(upload_dir)}
    p = BoltProcess(TEST_PROJECT, tmp / "runbolt.log", env=env)
    p.wait_ready()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def uc(up: BoltProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=up.url, timeout=30) as c:
        yield c


def test_small_file_and_field(uc: httpx.Client) -> None:
    r = uc.post("/upload/one", data={"title": "report"}, files={"doc": ("a.txt", b"hello world", "text/plain")})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "title": "report",
        "doc": {
            "filename": "a.txt",
            "content_type": "text/plain",
            "size": 11,
            "len": 11,
            "head": "hello world",
            "sum": _checksum(b"hello world"),
        },
    }


def test_large_file_is_spooled_and_deleted_after_the_reply(uc: httpx.Client, upload_dir: Path) -> None:
    data = os.urandom(1 << 20)  # 1 MiB, over the test project's 64 KiB memory threshold
    r = uc.post("/upload/spooled", files={"doc": ("big.bin", data, "application/octet-stream")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["on_disk"] is True
    assert body["doc"]["size"] == len(data) and body["doc"]["len"] == len(data)
    assert body["doc"]["sum"] == _checksum(data)
    assert list(upload_dir.iterdir()) == [], "spooled uploads must be deleted once the handler answered"


def test_file_bigger_than_a_record_stays_in_memory(uc: httpx.Client) -> None:
    # Over bridge.BodyApartMin (32 KiB), under the 64 KiB threshold: the body travels apart
    # from its record and is the file's bytes themselves.
    data = os.urandom(48 << 10)
    r = uc.post("/upload/spooled", files={"doc": ("m.bin", data, "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert r.json()["on_disk"] is False
    assert (r.json()["doc"]["len"], r.json()["doc"]["sum"]) == (len(data), _checksum(data))


def test_small_file_stays_in_memory(uc: httpx.Client) -> None:
    r = uc.post("/upload/spooled", files={"doc": ("s.bin", b"x" * 100, "application/octet-stream")})
    assert r.json()["on_disk"] is False


def test_several_files_and_mixed_sizes(uc: httpx.Client, upload_dir: Path) -> None:
    blobs = [b"a" * 10, os.urandom(200_000), b"", b"z" * 65536]
    files = [("docs", (f"f{i}.bin", b, "application/octet-stream")) for i, b in enumerate(blobs)]
    r = uc.post("/upload/many", data={"note": "n"}, files=files)
    assert r.status_code == 200, r.text
    docs = r.json()["docs"]
    assert [d["filename"] for d in docs] == ["f0.bin", "f1.bin", "f2.bin", "f3.bin"]
    assert [d["size"] for d in docs] == [len(b) for b in blobs]
    assert [d["sum"] for d in docs] == [_checksum(b) for b in blobs]
    assert list(upload_dir.iterdir()) == []


def test_many_fields_multipart_and_urlencoded(uc: httpx.Client) -> None:
    files = {"unused": ("u.txt", b"u", "text/plain")}
    data = {"tags": [f"t{i}" for i in range(40)], "n": "7"}
    r = uc.post("/upload/fields", data=data, files=files)
    assert r.json() == {"tags": data["tags"], "n": 7}
    r = uc.post("/upload/fields", data=data)  # urlencoded, also parsed by Go
    assert r.json() == {"tags": data["tags"], "n": 7}


def test_request_form_and_files(uc: httpx.Client) -> None:
    r = uc.post("/upload/request", data={"a": "1", "b": "é"}, files={"f": ("x.txt", b"xyz", "text/plain")})
    assert r.status_code == 200, r.text
    assert r.json()["form"] == {"a": "1", "b": "é"}
    assert r.json()["files"]["f"]["head"] == "xyz"


def test_bytes_file_argument(uc: httpx.Client) -> None:
    assert uc.post("/upload/raw", files={"data": ("d", b"12345")}).json() == {"len": 5}


def test_missing_file_and_field_are_422(uc: httpx.Client) -> None:
    r = uc.post("/upload/one", data={"other": "x"}, files={"nope": ("a.txt", b"x")})
    assert r.status_code == 422
    assert sorted(tuple(e["loc"]) for e in r.json()["detail"]) == [("file", "doc"), ("form", "title")]


def test_file_constraints(uc: httpx.Client) -> None:
    ok = uc.post("/upload/limited", files={"doc": ("a.txt", b"fine", "text/plain")})
    assert ok.status_code == 200
    assert uc.post("/upload/limited", files={"doc": ("p.png", b"png!", "image/png")}).status_code == 200
    big = uc.post("/upload/limited", files={"doc": ("a.txt", b"x" * 1001, "text/plain")})
    assert big.status_code == 413
    assert "larger than 1000 bytes" in big.json()["detail"]
    wrong = uc.post("/upload/limited", files={"doc": ("a.pdf", b"%PDF", "application/pdf")})
    assert wrong.status_code == 415
    assert "application/pdf" in wrong.json()["detail"]
    small = uc.post("/upload/limited", files={"doc": ("a.txt", b"x", "text/plain")})
    assert small.status_code == 422
    assert small.json()["detail"][0]["loc"] == ["file", "doc"]


def test_max_files_per_argument_is_413(uc: httpx.Client) -> None:
    files = [("docs", (f"{i}.txt", b"x", "text/plain")) for i in range(3)]
    r = uc.post("/upload/capped", files=files)
    assert r.status_code == 413
    assert "at most 2" in r.json()["detail"]
    assert uc.post("/upload/capped", files=files[:2]).json() == {"count": 2}


def test_too_many_files_is_413(uc: httpx.Client) -> None:
    files = [("docs", (f"{i}.txt", b"x", "text/plain")) for i in range(11)]  # MULTIPART_MAX_FILES = 10
    r = uc.post("/upload/many", files=files)
    assert r.status_code == 413
    assert r.json() == {"detail": "Too many files (at most 10)"}


def test_too_many_fields_is_413(uc: httpx.Client) -> None:
    data = {f"k{i}": "v" for i in range(51)}  # MULTIPART_MAX_FIELDS = 50
    r = uc.post("/upload/many", data=data, files={"docs": ("a", b"a")})
    assert r.status_code == 413
    assert r.json() == {"detail": "Too many form fields (at most 50)"}
    assert uc.post("/upload/fields", data=data).status_code == 413  # urlencoded too


def test_body_over_max_body_size_is_413(uc: httpx.Client) -> None:
    r = uc.post("/upload/one", data={"title": "t"}, files={"doc": ("a", b"x" * 3_000_000)})
    assert r.status_code == 413


BAD_BODIES: list[tuple[str, str, bytes, int, str]] = [
    ("no boundary", "multipart/form-data", b"--x\r\n", 400, "boundary"),
    (
        "truncated",
        "multipart/form-data; boundary=XX",
        b'--XX\r\nContent-Disposition: form-data; name="title"\r\n\r\nabc',
        400,
        "Malformed multipart body",
    ),
    (
        "no name",
        "multipart/form-data; boundary=XX",
        b"--XX\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--XX--\r\n",
        400,
        "without a form-data name",
    ),
    (
        "bad utf-8 field",
        "multipart/form-data; boundary=XX",
        b'--XX\r\nContent-Disposition: form-data; name="title"\r\n\r\n\xff\xfe\r\n--XX--\r\n',
        400,
        "Invalid UTF-8",
    ),
    ("bad utf-8 urlencoded", "application/x-www-form-urlencoded", b"title=%ff", 400, "Invalid UTF-8"),
    ("NUL urlencoded", "application/x-www-form-urlencoded", b"title=a%00b", 400, "or NUL"),
    (
        "NUL multipart field",
        "multipart/form-data; boundary=XX",
        b'--XX\r\nContent-Disposition: form-data; name="title"\r\n\r\na\x00b\r\n--XX--\r\n',
        400,
        "or NUL in form field 'title'",
    ),
    ("garbage", "multipart/form-data; boundary=XX", b"\x00\x01garbage", 400, "Malformed multipart body"),
]


@pytest.mark.parametrize(("case", "ctype", "body", "status", "detail"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_multipart_bodies(
    up: BoltProcess, uc: httpx.Client, case: str, ctype: str, body: bytes, status: int, detail: str
) -> None:
    raw = _raw_post(up, "/upload/one", ctype, body)
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}".encode()), raw[:200]
    assert b"application/json" in head
    assert detail.encode() in payload
    assert uc.post("/upload/raw", files={"data": ("d", b"1")}).json() == {"len": 1}  # still serving


def test_part_headers_over_the_header_limit_are_413(up: BoltProcess) -> None:
    pad = b"X-Pad: " + b"a" * 20_000 + b"\r\n"  # MAX_HEADER_BYTES is 16 KiB
    body = b'--XX\r\nContent-Disposition: form-data; name="title"\r\n' + pad + b"\r\nabc\r\n--XX--\r\n"
    raw = _raw_post(up, "/upload/one", "multipart/form-data; boundary=XX", body)
    assert raw.startswith(b"HTTP/1.1 413")
    assert raw.endswith(b'{"detail":"Multipart part headers too large"}')


def test_wrong_content_type_on_a_file_route_is_422(uc: httpx.Client) -> None:
    r = uc.post("/upload/one", json={"title": "x"})
    assert r.status_code == 422


def test_upload_filenames_are_stripped_of_directories(up: BoltProcess) -> None:
    """Issue 15: the handler's ``filename`` never carries a path; ``raw_filename`` keeps
    what the client sent (RFC 5987 ``filename*`` decoded)."""
    names = [
        'filename="../../etc/passwd"',
        'filename="C:\\\\Users\\\\x\\\\report.pdf"',
        'filename="/abs/path.txt"',
        "filename*=UTF-8''..%2Fevil.txt",
        'filename=".."',
        'filename="plain.txt"',
    ]
    body = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="docs"; ' + n.encode() + b"\r\n\r\nx\r\n" for n in names
    )
    reply = _raw_post(up, "/upload/names", "multipart/form-data; boundary=B", body + b"--B--\r\n")
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), reply
    assert httpx.Response(200, content=payload).json() == [
        ["passwd", "../../etc/passwd"],
        ["report.pdf", "C:\\Users\\x\\report.pdf"],
        ["path.txt", "/abs/path.txt"],
        ["evil.txt", "../evil.txt"],
        [None, ".."],
        ["plain.txt", "plain.txt"],
    ]
