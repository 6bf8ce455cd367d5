"""Documented SQL views for economists. Plain SQL that runs unchanged on SQLite and PostgreSQL.

- `v_enterprise_web`: one row per enterprise with its best website (linked first, then highest
  match score) and the latest site-level labels (web sales, marketplace, social media).
- `v_indicator`: one row per indicator value with its breakdown, uncertainty and provenance.
- `v_crawl_outcome`: one row per crawl run and outcome with its count of pages.
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
