"""`read_html`'s fast path gives exactly warcio's payload, and hands warcio whatever it does not
read itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomstat.errors import BadInput
from ecomstat.store.warc import WarcFileWriter, read_html, read_record
from ecomstat.store.warc_payload import plain_payload


def read_with_warcio(path: Path, offset: int) -> bytes:
    return read_record(path, offset)[1]

BODIES = [b"<html><body><p>plain</p></body></html>", b"", "<p>é €</p>".encode() * 5_000,
          bytes(range(256)) * 400]


@pytest.fixture()
def warc(tmp_path: Path) -> tuple[Path, list[int]]:
    writer = WarcFileWriter(tmp_path / "t.warc.gz")
    offsets = [writer.write_response(f"https://shop.example/{i}", 200,
                                     [("Content-Type", "text/html; charset=utf-8")], body)
               for i, body in enumerate(BODIES)]
    offsets.append(writer.write_response("https://shop.example/gz", 200,
                                         [("Content-Encoding", "gzip")], b"<p>not gzip</p>"))
    chunked = b"5\r\nhello\r\n0\r\n\r\n"
    offsets.append(writer.write_response("https://shop.example/chunked", 200,
                                         [("Transfer-Encoding", "chunked")], chunked))
    writer.close()
    return writer.path, offsets


def test_payload_equals_warcio(warc: tuple[Path, list[int]]) -> None:
    path, offsets = warc
    for offset, body in zip(offsets, BODIES):
        assert plain_payload(path, offset) == body  # read without warcio
        assert read_html(path, offset) == read_with_warcio(path, offset) == body


def test_encoded_payloads_are_left_to_warcio(warc: tuple[Path, list[int]]) -> None:
    path, offsets = warc
    for offset in offsets[len(BODIES):]:
        assert plain_payload(path, offset) is None
        assert read_html(path, offset) == read_with_warcio(path, offset)


def test_bad_offsets_and_files_fail_as_warcio_does(warc: tuple[Path, list[int]],
                                                   tmp_path: Path) -> None:
    path, offsets = warc
    for bad_path, offset in ((path, offsets[1] + 3), (path, -1),
                             (tmp_path / "missing.warc.gz", 0)):
        assert plain_payload(bad_path, offset) is None
        with pytest.raises(BadInput):
            read_html(bad_path, offset)
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(path.read_bytes()[: offsets[3] + 100])  # the last record cut short
    assert plain_payload(cut, offsets[3]) is None
