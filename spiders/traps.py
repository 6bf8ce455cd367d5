"""Crawler-trap detection: calendars, session ids, endless query permutations, repeated path
segments, over-long URLs. Checked before a link is scheduled (so a trap never costs page budget)
and again in a downloader middleware (a redirect can lead into one)."""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import parse_qsl, urlsplit

SESSION_KEYS = {"sid", "sessionid", "session_id", "session", "phpsessid", "jsessionid", "sess",
                "s_id", "zenid", "oscsid", "cfid", "cftoken"}
CALENDAR_KEYS = {"date", "day", "month", "year", "week", "cal", "calendar", "from", "to", "d", "m",
                 "y", "datum", "fecha", "jour", "mois", "tag", "monat", "jahr"}
CALENDAR_WORDS = re.compile(
    r"calendar|kalender|calendrier|calendario|agenda|events?|termine|veranstaltungen|archive",
    re.IGNORECASE,
)
DATE_LIKE = re.compile(r"(?:^|[/=_-])(?:19|20|21)\d{2}(?:[/_-](?:0?[1-9]|1[0-2]))(?:[/_-]\d{1,2})?")
YEAR_SEGMENT = re.compile(r"^(?:19|20|21)\d{2}$")
MAX_QUERY_VARIANTS = 8  # distinct query strings for one path before further ones are traps
MAX_SEGMENT_REPEAT = 2


class TrapDetector:
    """Per-crawl detector; `reason(url)` is None for a normal URL, else why it is a trap."""

    def __init__(self, max_url_length: int = 2048) -> None:
        self.max_url_length = max_url_length
        self._queries: dict[str, set[str]] = defaultdict(set)

    def reason(self, url: str) -> str | None:
        if len(url) > self.max_url_length:
            return "url-too-long"
        parts = urlsplit(url)
        path = parts.path
        lowered_path = path.lower()
        if ";jsessionid=" in lowered_path or ";sid=" in lowered_path:
            return "session-id"
        query = parse_qsl(parts.query, keep_blank_values=True)
        keys = {key.lower() for key, _ in query}
        if keys & SESSION_KEYS:
            return "session-id"
        segments = [seg for seg in lowered_path.split("/") if seg]
        if _repeats(segments):
            return "repeated-path"
        calendar_context = bool(CALENDAR_WORDS.search(lowered_path))
        if calendar_context and (DATE_LIKE.search(lowered_path + "?" + parts.query.lower())
                                 or keys & CALENDAR_KEYS
                                 or any(YEAR_SEGMENT.match(seg) for seg in segments)):
            return "calendar"
        if keys & CALENDAR_KEYS and DATE_LIKE.search("=" + parts.query):
            return "calendar"
        if parts.query:
            variants = self._queries[f"{parts.netloc}{path}"]
            normal = "&".join(sorted(f"{k}={v}" for k, v in query))
            if normal not in variants and len(variants) >= MAX_QUERY_VARIANTS:
                return "query-permutations"
            variants.add(normal)
        return None


def _repeats(segments: list[str]) -> bool:
    """A segment more than MAX_SEGMENT_REPEAT times, or a run repeated back to back (a/b/a/b:
    relative-link loops). Linear in the number of segments: a 2,000-character URL may have
    1,000 of them, and the crawl's reactor thread checks every link of every page."""
    counts: dict[str, int] = defaultdict(int)
    for seg in segments:
        counts[seg] += 1
        if counts[seg] > MAX_SEGMENT_REPEAT:
            return True
    return _has_tandem_run(segments)


def _has_tandem_run(segments: list[str]) -> bool:
    """Whether segments[s:s+k] == segments[s+k:s+2k] for some k > 1. With every segment at most
    twice, a position's next equal segment is unique, so such a run is k consecutive positions
    whose next equal segment is exactly k further on: one pass over those offsets finds it."""
    next_same: dict[str, int] = {}
    offsets = [0] * len(segments)
    for index in range(len(segments) - 1, -1, -1):
        later = next_same.get(segments[index])
        offsets[index] = later - index if later is not None else 0
        next_same[segments[index]] = index
    run_offset, run_length = 0, 0
    for offset in offsets:
        run_length = run_length + 1 if offset == run_offset and offset else 1
        run_offset = offset
        if offset > 1 and run_length >= offset:
            return True
    return False
