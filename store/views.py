"""Documented SQL views for economists. Plain SQL that runs unchanged on SQLite and PostgreSQL.

- `v_enterprise_web`: one row per enterprise, the latest state: its best website, the website
  state and the wave of its latest crawl, and the latest site-level labels (web sales,
  marketplace, social media) of a found website (revision 0005; see `VIEWS_0005`).
- `v_enterprise_wave`: one row per wave and enterprise, as recorded for that wave
  (`enterprise_wave`, docs/waves.md): `WHERE wave = '2026Q4'` gives any wave.
- `v_indicator`: one row per indicator value with its breakdown, uncertainty and provenance.
- `v_crawl_outcome`: one row per crawl run and outcome with its count of pages.

`VIEWS` is what revision 0002 created and stays as it was (0002 imports it, and a database
created before 0005 ran it); a revision that changes views adds its own dict (`VIEWS_0005`),
and `CURRENT_VIEWS` is every view of the newest schema.
"""

from __future__ import annotations

_LATEST_LABEL = """(SELECT c.{column} FROM classification c
      WHERE c.target_type = 'website' AND c.target_id = CAST(w.id AS VARCHAR(64))
        AND c.task = '{task}' ORDER BY c.id DESC LIMIT 1)"""


def _label(task: str, alias: str) -> str:
    label = _LATEST_LABEL.format(column="label", task=task)
    probability = _LATEST_LABEL.format(column="probability", task=task)
    return f"{label} AS {alias},\n    {probability} AS {alias}_probability"


VIEWS: dict[str, str] = {
    "v_enterprise_web": f"""
SELECT e.id AS enterprise_id, e.name, e.country, e.region, e.nace, e.nace_section,
    e.size_class, e.employees, e.weight, e.snapshot_id,
    w.id AS website_id, w.url AS website_url, w.status AS website_status,
    w.match_score, w.found_by, w.last_crawled_at,
    {_label('web_sales', 'web_sales')},
    {_label('marketplace', 'marketplace')},
    {_label('social_media', 'social_media')}
FROM enterprise e
LEFT JOIN website w ON w.id = (
    SELECT w2.id FROM website w2 WHERE w2.enterprise_id = e.id
    ORDER BY CASE w2.status WHEN 'linked' THEN 0 ELSE 1 END,
             COALESCE(w2.match_score, -1) DESC, w2.id
    LIMIT 1)
""",
    "v_indicator": """
SELECT iv.id AS indicator_value_id, iv.indicator, iv.period, iv.breakdown_key, iv.breakdown,
    iv.method, iv.estimate, iv.se, iv.ci_low, iv.ci_high, iv.cv, iv.n, iv.flags,
    iv.provenance, iv.created_at
FROM indicator_value iv
""",
    "v_crawl_outcome": """
SELECT p.run_id, r.spider, r.status AS run_status, r.started_at, p.outcome,
    COUNT(*) AS pages
FROM page p JOIN crawl_run r ON r.id = p.run_id
GROUP BY p.run_id, r.spider, r.status, r.started_at, p.outcome
""",
}


# --- revision 0005 (waves, issue 17) ---
# The best website and its state follow indicators/units.py exactly (found: status linked,
# verified or candidate and a page fetched 'ok'; unreachable: dead or unreachable; a found site
# beats one not crawled yet, which beats a dead one; then linked first, best match score,
# lowest id), and labels are shown for a found website only: a shop whose site died no longer
# shows web_sales = 'yes', so the view and the indicator count the same units (issue 17).
_FOUND = "('linked', 'verified', 'candidate')"
_UNREACHABLE = "('dead', 'unreachable')"
_STATE = f"""CASE WHEN {{w}}.id IS NULL THEN 'none'
        WHEN {{w}}.status IN {_UNREACHABLE} THEN 'unreachable'
        WHEN {{w}}.status NOT IN {_FOUND} THEN 'none'
        WHEN EXISTS (SELECT 1 FROM page p WHERE p.website_id = {{w}}.id AND p.outcome = 'ok')
            THEN 'found'
        ELSE 'not-crawled' END"""
_RANK = {"found": 3, "not-crawled": 2, "unreachable": 1, "none": 0}
_RANK_SQL = "CASE " + " ".join(f"WHEN {{state}} = '{name}' THEN {rank}"
                                 for name, rank in _RANK.items()) + " ELSE 0 END"
_LATEST_FOUND_LABEL = """CASE WHEN b.website_state = 'found' THEN (SELECT c.{column}
        FROM classification c WHERE c.target_type = 'website'
        AND c.target_id = CAST(b.website_id AS VARCHAR(64)) AND c.task = '{task}'
        ORDER BY c.id DESC LIMIT 1) END"""


def _found_label(task: str) -> str:
    label = _LATEST_FOUND_LABEL.format(column="label", task=task)
    probability = _LATEST_FOUND_LABEL.format(column="probability", task=task)
    return f"{label} AS {task},\n    {probability} AS {task}_probability"


_ENTERPRISE_COLUMNS = ("e.id AS enterprise_id, e.name, e.country, e.region, e.nace, "
                       "e.nace_section, e.size_class, e.employees, e.weight, e.snapshot_id")

VIEWS_0005: dict[str, str] = {
    "v_enterprise_web": f"""
SELECT b.enterprise_id, b.name, b.country, b.region, b.nace, b.nace_section, b.size_class,
    b.employees, b.weight, b.snapshot_id, b.website_id, b.website_url, b.website_status,
    b.match_score, b.found_by, b.last_crawled_at, b.website_state,
    (SELECT r.wave FROM site_visit sv JOIN crawl_run r ON r.id = sv.run_id
      WHERE sv.website_id = b.website_id AND sv.state = 'done' AND r.spider <> 'shop_listing'
      ORDER BY sv.run_id DESC LIMIT 1) AS wave,
    {_found_label('web_sales')},
    {_found_label('marketplace')},
    {_found_label('social_media')}
FROM (
  SELECT {_ENTERPRISE_COLUMNS},
    w.id AS website_id, w.url AS website_url, w.status AS website_status,
    w.match_score, w.found_by, w.last_crawled_at,
    {_STATE.format(w='w')} AS website_state
  FROM enterprise e
  LEFT JOIN website w ON w.id = (
    SELECT w2.id FROM website w2 WHERE w2.enterprise_id = e.id
    ORDER BY {_RANK_SQL.format(state=_STATE.format(w='w2'))} DESC,
             CASE w2.status WHEN 'linked' THEN 0 ELSE 1 END,
             COALESCE(w2.match_score, -1) DESC, w2.id
    LIMIT 1)
) b
""",
    "v_enterprise_wave": f"""
SELECT ew.wave, {_ENTERPRISE_COLUMNS},
    ew.website_id, ew.website_url, ew.website_status, ew.website_state,
    ew.web_sales, ew.web_sales_probability, ew.web_sales_evidence,
    ew.marketplace, ew.marketplace_probability, ew.marketplace_evidence,
    ew.social_media, ew.social_media_probability, ew.social_media_evidence,
    ew.recorded_at
FROM enterprise_wave ew JOIN enterprise e ON e.id = ew.enterprise_id
""",
}

CURRENT_VIEWS: dict[str, str] = {**VIEWS, **VIEWS_0005}
