"""The fast path of `store.warc.read_html`: a page's raw HTML back from the crawl's gzipped
WARC file (classification reads every stored page this way).

Reading a record back costs little more than inflating it, and zlib's inflate was a tenth of
the classification's CPU per page. Each record is its own gzip member, so `read_html` here
inflates the one member at the offset with ISA-L (python-isal: the same deflate format, about
2.5x faster to inflate than zlib on the reference pages), splits off the WARC and HTTP headers
and returns the payload: the same bytes warcio gives for the records the crawler writes (a
response record, its HTTP headers, the body as received). Anything else (another record type,
a chunked or content-encoded payload, which warcio decodes, a damaged record) is handed to
warcio (`store.warc.read_record`), so the result is always warcio's.
"""

from __future__ import annotations

import os
import zlib

try:
    from isal.isal_zlib import decompressobj
    from isal.isal_zlib import error as InflateError
except ImportError:  # a platform without isal wheels: zlib, slower, same bytes
    from zlib import decompressobj
    from zlib import error as InflateError

_CHUNK = 1 << 16  # compressed bytes read at a time (a typical page's member is 20-80 kB)
_MAX_HEADER = 1 << 16  # WARC or HTTP header block larger than this: let warcio decide


def plain_payload(warc_file: str | os.PathLike[str], offset: int) -> bytes | None:
    """The payload of a plain response record at `offset`, or None for anything else."""
    if offset is None or int(offset) < 0 or not str(warc_file).endswith(".gz"):
        return None
    try:
        record = _inflate_member(warc_file, int(offset))
    except (OSError, InflateError):
        return None
    if record is None:
        return None
    warc_end = record.find(b"\r\n\r\n", 0, _MAX_HEADER)
    if warc_end < 0 or not record.startswith(b"WARC/"):
        return None
    fields = _fields(record[:warc_end])
    if fields.get(b"warc-type") != b"response" or \
            not fields.get(b"content-type", b"").startswith(b"application/http"):
        return None
    try:
        length = int(fields.get(b"content-length", b""))
    except ValueError:
        return None
    block = record[warc_end + 4 : warc_end + 4 + length]
    if len(block) != length:
        return None  # cut short: warcio says what that means
    http_end = block.find(b"\r\n\r\n", 0, _MAX_HEADER)
    if http_end < 0 or not block.startswith(b"HTTP/"):
        return None
    http = _fields(block[:http_end])
    if b"content-encoding" in http or b"transfer-encoding" in http:
        return None  # warcio decodes these
    return block[http_end + 4 :]


def _inflate_member(warc_file: str | os.PathLike[str], offset: int) -> bytes | None:
    """The decompressed gzip member starting at `offset` (None if it is not one or ends
    early)."""
    inflater = decompressobj(zlib.MAX_WBITS | 16)  # gzip framing, one member
    parts: list[bytes] = []
    with open(warc_file, "rb") as handle:
        handle.seek(offset)
        while not inflater.eof:
            chunk = handle.read(_CHUNK)
            if not chunk:
                return None
            parts.append(inflater.decompress(chunk))
    return b"".join(parts)


def _fields(block: bytes) -> dict[bytes, bytes]:
    """Header fields after the first line, names lower-cased (the first occurrence wins, as
    warcio's get_header returns it)."""
    fields: dict[bytes, bytes] = {}
    for line in block.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon:
            fields.setdefault(name.strip().lower(), value.strip())
    return fields
