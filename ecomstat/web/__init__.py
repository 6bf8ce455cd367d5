"""`ecomstat serve`: one web application for crawl staff, economists and register clerks over
the same store, library and permissions as the CLI (issue 18).

- `app.py` builds the ASGI application (`create_app`); `middleware.py` is its one middleware
  (session or trusted-proxy user, CSRF check on every unsafe method, security headers, error
  pages for what fails before a route); `errors.py` turns every error into a page in words.
- `users.py` is the users-and-roles library (scrypt hashes, sessions, sign-in failures in the
  store) that `ecomstat user ...`, the admin pages and the demo share; `auth.py` the session,
  CSRF-token, rate-limit and proxy rules the middleware applies.
- `deps.py` holds what every route needs (the signed-in user and role, the store, settings);
  `render.py` renders the Jinja2 templates in `templates/`.
- One router per area in `routes/` (auth, admin, operator, economist, clerk), with the reads the
  library has no function for in `operator_data.py`, `clerk_data.py`, `economist_data.py`,
  `economist_map.py` (the 9.c.1 map as SVG) and `downloads.py` (CSV, XLSX, Parquet).
- `static/` ships every asset (htmx, Chart.js, CSS, the pages' scripts): no CDN.
"""
