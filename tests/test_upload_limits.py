"""A zip that unpacks to far more than was uploaded is refused before it is read (issue 10, §2)."""

from __future__ import annotations

import io
import zipfile

import pytest
from conftest import demo_client
from flask import Flask
from test_input_pitfalls import _token

from targeting.inputs import files


def _whitespace_zip(megabytes: int) -> bytes:
    """A valid FeatureCollection padded with whitespace: it compresses to almost nothing."""
    body = b'{"type": "FeatureCollection", "features": [' + b" " * (megabytes * 2**20) + b"]}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("areas.geojson", body)
    return buffer.getvalue()


def test_upload_page_names_the_limit(demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_UNZIPPED_BYTES", 4 * 2**20)
    client = demo_client(demo_app)
    path = "/targeting/upload/boundaries"
    response = client.post(path, data={"csrf_token": _token(client, path), "set_name": "Bomb", "id_field": "GEOID",
                                       "file": (io.BytesIO(_whitespace_zip(8)), "bomb.zip")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "unpacks to 8 MB, more than the 4 MB" in response.get_data(as_text=True)
