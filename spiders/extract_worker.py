"""`python -m spiders.extract_worker`: the extraction worker process of a crawl (started by
`spiders.extract_pool`). Reads length-prefixed pickled requests `(html, url, max_text_chars)` on
stdin and answers each, in order, on the original stdout with a pickled `("ok", PageContent)` or
`("error", message)`. Ends at end of input, i.e. when the crawl process closes the pipe or dies.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import BinaryIO

HEADER = struct.Struct("!I")


def read_frame(stream: BinaryIO) -> bytes | None:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    payload = stream.read(size)
    return payload if len(payload) == size else None


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    from spiders.extract import extract_page, warm_up

    warm_up()
    while (frame := read_frame(requests)) is not None:
        html, url, max_text_chars = pickle.loads(frame)
        try:
            content = extract_page(html, url, max_text_chars=max_text_chars)
            content.tree = None  # an lxml tree does not pickle
            answer = pickle.dumps(("ok", content), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # the crawl process extracts this page itself
            answer = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
        answers.write(HEADER.pack(len(answer)) + answer)
        answers.flush()


def main() -> None:
    # Ctrl-C reaches the whole process group: the crawl process ends us by closing the pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # answers go to a private copy of stdout; anything a library prints goes to stderr (the log)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
