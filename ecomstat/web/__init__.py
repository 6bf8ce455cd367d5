"""`ecomstat serve`: one web application for crawl staff, economists and register clerks over
the same store, library and permissions as the CLI (issue 18).

Layout: `app.py` builds the ASGI application (`create_app`); `deps.py` holds what every page
needs (the signed-in user and their role, the store's engine, the settings); `render.py` renders
the server-side Jinja2 templates in `templates/`; each area of the application is one router in
`routes/` (auth, admin, operator, economist, clerk); `static/` ships every asset (no CDN).
"""
