"""Item pipelines: raw responses to WARC (first), then batched idempotent writes to the store."""
