"""The storage contract, run against both backends: a local folder and a real S3 (SeaweedFS)."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.storage import LocalStorage, S3Storage, Storage, StorageError
from tests.seaweedfs import SeaweedFS


def _s3(server: SeaweedFS, bucket: str) -> S3Storage:
    from portal.config import load_settings

    settings = load_settings({})
    settings.update(server.settings(bucket))
    return S3Storage(settings)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "files")
    else:
        yield _s3(request.getfixturevalue("s3_server"), "portal-test")


def _read(storage: Storage, key: str) -> bytes:
    return b"".join(storage.open(key))


def test_round_trip(backend: Storage) -> None:
    key = f"documents/{uuid.uuid4().hex}"
    content = "Vedtægter for Foreningen Æblegården — §1 Navn og hjemsted".encode() * 2000
    backend.put(key, content, "application/pdf")
    assert backend.exists(key)
    assert _read(backend, key) == content
    backend.delete(key)
    assert not backend.exists(key)


def test_overwrite_and_delete_twice(backend: Storage) -> None:
    key = f"documents/{uuid.uuid4().hex}"
    backend.put(key, b"first", "text/plain")
    backend.put(key, b"second", "text/plain")
    assert _read(backend, key) == b"second"
    backend.delete(key)
    backend.delete(key)  # deleting what is gone is not an error
    assert not backend.exists(key)


def test_missing_key_is_a_storage_error(backend: Storage) -> None:
    with pytest.raises(StorageError):
        _read(backend, f"documents/{uuid.uuid4().hex}")


def test_local_keys_cannot_escape_the_folder(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    with pytest.raises(StorageError):
        storage.put("../outside", b"x", "text/plain")


def _fetch(url: str) -> tuple[int, bytes, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback test server
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def test_presigned_url_works_then_expires_and_refuses_tampering(s3_server: SeaweedFS) -> None:
    storage = _s3(s3_server, "portal-test")
    key = f"documents/{uuid.uuid4().hex}"
    storage.put(key, b"%PDF-1.4 indhold", "application/pdf")
    disposition = "attachment; filename=\"Aarsrapport.pdf\"; filename*=UTF-8''%C3%85rsrapport.pdf"
    url = storage.presigned_url(
        key, filename=disposition, content_type="application/pdf", seconds=2
    )
    assert url is not None

    status, body, headers = _fetch(url)
    assert status == 200 and body == b"%PDF-1.4 indhold"
    assert headers["Content-Disposition"] == disposition

    tampered = re.sub(
        r"(X-Amz-Signature=)([0-9a-f])",
        lambda m: m.group(1) + ("0" if m.group(2) != "0" else "1"),
        url,
    )
    assert _fetch(tampered)[0] == 403
    other_key = url.replace(key, f"documents/{uuid.uuid4().hex}")
    assert _fetch(other_key)[0] == 403

    time.sleep(3)
    assert _fetch(url)[0] == 403  # expired


def test_local_backend_has_no_presigned_urls(tmp_path: Path) -> None:
    assert (
        LocalStorage(tmp_path).presigned_url("k", filename="f", content_type="t", seconds=10)
        is None
    )


def test_unreachable_store_is_a_storage_error(tmp_path: Path) -> None:
    from portal.config import load_settings
    from tests.seaweedfs import free_port

    settings = load_settings({})
    settings.update(
        {
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
            "S3_ACCESS_KEY_ID": "k",
            "S3_SECRET_ACCESS_KEY": "s",
        }
    )
    storage = S3Storage(settings)
    with pytest.raises(StorageError):
        storage.put("documents/x", b"data", "application/pdf")
    with pytest.raises(StorageError):
        storage.open("documents/x")
