"""The operator area (issue 18 item 2): campaigns (list, add, edit, pause/resume, run now,
history), scheduler liveness, crawl runs with live figures, a run's sites and their stored pages.

Every write calls the function the `ecomstat schedule ...` command calls; "run now" starts
`ecomstat schedule run-now` in its own process (operator_data.start_run_now), so the request
returns at once and the campaign page follows the run. Live parts are fragments that
static/operator.js fetches again every few seconds while something runs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine
from starlette.datastructures import FormData

from ecomstat.errors import BadInput, EcomstatError
from ecomstat.scheduler import campaigns
from ecomstat.scheduler.cron import configured_timezone
from ecomstat.scheduler.errors import InvalidCampaign, UnknownCampaign
from ecomstat.scheduler.liveness import scheduler_state
from ecomstat.scheduler.steps import INDICATOR_METHODS, STEPS
from ecomstat.settings import Settings
from ecomstat.spiders.live import list_runs, runs_of_campaign_runs, show_run
from ecomstat.web import operator_data
from ecomstat.web.deps import Role, User, get_engine, get_settings, require_role
from ecomstat.web.render import render

router = APIRouter(prefix="/operator")

Operator = Annotated[User, Depends(require_role(Role.operator))]
Store = Annotated[Engine, Depends(get_engine)]
Config = Annotated[Settings, Depends(get_settings)]

REFRESH_SECONDS = 2  # how often a live fragment is fetched again while something runs
MESSAGES = {"added": "Campaign added.", "changed": "Campaign changed.", "paused": "Campaign paused.",
            "resumed": "Campaign resumed.", "started": "Run started: it shows below as it goes."}


def when(value: dt.datetime | None, zone: dt.tzinfo | None = None) -> str:
    """A stored time for people: to the second, in UTC (stored times) or `zone`."""
    if value is None:
        return "–"
    if value.tzinfo is None:  # SQLite returns the stored UTC times naive
        value = value.replace(tzinfo=dt.timezone.utc)
    value = value.astimezone(zone or dt.timezone.utc)
    return value.strftime("%Y-%m-%d %H:%M:%S ") + (value.tzname() or "")


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, f"operator/{name}", {"when": when, "refresh": REFRESH_SECONDS, **context},
                  status_code=status_code)


def _campaign(engine: Engine, name: str) -> Any:
    try:
        return campaigns.get(engine, name)
    except UnknownCampaign as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


def _back(name: str, done: str, **extra: Any) -> RedirectResponse:
    query = urlencode({"done": done, **extra})
    return RedirectResponse(f"/operator/campaigns/{name}?{query}", status_code=303)


@router.get("/", include_in_schema=False)
def home(user: Operator) -> RedirectResponse:
    return RedirectResponse("/operator/campaigns", status_code=303)


# --- campaigns ---


@router.get("/campaigns")
def campaign_list(request: Request, user: Operator, engine: Store, settings: Config) -> Response:
    service = scheduler_state(engine, settings=settings)
    return _page(request, "campaigns.html", {
        "statuses": campaigns.status(engine), "service": service, "zone": configured_timezone(),
        "message": MESSAGES.get(request.query_params.get("done", "")),
    })


@router.get("/campaigns/new")
def campaign_new(request: Request, user: Operator) -> Response:
    return _form(request, None, {"selection": "all", "retries": 1, "retry_delay": 30.0, "steps": []})


def _form(request: Request, name: str | None, values: dict[str, Any], error: str | None = None) -> Response:
    return _page(request, "campaign_form.html", {
        "name": name, "values": values, "error": error, "steps": STEPS,
        "methods": INDICATOR_METHODS, "zone": configured_timezone().key,
    }, status_code=400 if error else 200)


def _number(form: FormData, key: str, kind: type) -> Any:
    text = str(form.get(key) or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise InvalidCampaign(f"{key.replace('_', ' ')} must be a number, got {text!r}") from None


def _form_values(form: FormData) -> dict[str, Any]:
    """The campaign form as the fields CampaignSpec and campaigns.edit take (blank = not set)."""
    def text(key: str) -> str | None:
        return str(form.get(key) or "").strip() or None

    return {"cron": text("cron") or "", "steps": [str(s) for s in form.getlist("steps")],
            "selection": text("selection") or "all", "max_pages": _number(form, "max_pages", int),
            "retries": _number(form, "retries", int), "retry_delay": _number(form, "retry_delay", float),
            "step_timeout": _number(form, "step_timeout", float), "command": text("command"),
            "indicators_method": text("indicators_method"), "audit_set": text("audit_set"),
            "wave": text("wave")}


def _raw(form: FormData) -> dict[str, Any]:
    """What was typed, to show the form again after an error."""
    return {**{k: form.get(k) for k in form.keys()}, "steps": list(form.getlist("steps"))}


def _check_command(user: User, command: str | None, before: str | None = None) -> None:
    """The `command` step runs any program on the server as the server's user: from the web,
    only an admin may set or change it (an operator account must not be a shell)."""
    if command != before and not user.can(Role.admin):
        raise InvalidCampaign("only an admin may set the program of the `command` step from the web "
                              "(it runs on the server); ask one, or use `ecomstat schedule add/edit "
                              "--command` on the server")


@router.post("/campaigns")
async def campaign_add(request: Request, user: Operator, engine: Store, settings: Config) -> Response:
    form = await request.form()
    name = str(form.get("name") or "").strip()
    try:
        values = _form_values(form)
        _check_command(user, values["command"])
        if values["retries"] is None:
            values["retries"] = 1
        if values["retry_delay"] is None:
            values["retry_delay"] = 30.0
        spec = campaigns.CampaignSpec(name=name, **values)
        campaigns.add(engine, settings.database_url, spec)
    except EcomstatError as exc:
        return _form(request, None, _raw(form), str(exc))
    return _back(name, "added")


@router.get("/campaigns/{name}/edit")
def campaign_edit_form(request: Request, name: str, user: Operator, engine: Store) -> Response:
    campaign = _campaign(engine, name)
    values = {"cron": campaign.cron, "steps": list(campaign.steps), "selection": campaign.selection,
              **(campaign.options or {})}
    return _form(request, name, values)


@router.post("/campaigns/{name}/edit")
async def campaign_edit(request: Request, name: str, user: Operator, engine: Store,
                        settings: Config) -> Response:
    campaign = _campaign(engine, name)
    form = await request.form()
    try:
        values = _form_values(form)
        _check_command(user, values["command"], (campaign.options or {}).get("command"))
        # a blank optional number clears it; blank retries keep the campaign's own
        changes = {k: v for k, v in values.items() if v is not None or k in (
            "max_pages", "step_timeout", "command", "indicators_method", "audit_set", "wave")}
        campaigns.edit(engine, settings.database_url, name, changes)
    except EcomstatError as exc:
        return _form(request, name, _raw(form), str(exc))
    return _back(name, "changed")


@router.post("/campaigns/{name}/pause")
def campaign_pause(name: str, user: Operator, engine: Store) -> Response:
    _campaign(engine, name)
    campaigns.set_paused(engine, name, True)
    return _back(name, "paused")


@router.post("/campaigns/{name}/resume")
def campaign_resume(name: str, user: Operator, engine: Store) -> Response:
    _campaign(engine, name)
    campaigns.set_paused(engine, name, False)
    return _back(name, "resumed")


@router.post("/campaigns/{name}/run")
def campaign_run_now(request: Request, name: str, user: Operator, engine: Store,
                     settings: Config) -> Response:
    _campaign(engine, name)
    running = operator_data.running_run(engine, name)
    if running is not None:
        return _detail(request, engine, name, error=f"Run {running} of {name} is still going on; "
                       "a campaign runs once at a time.", status_code=409)
    newest = campaigns.history(engine, name, 1)
    operator_data.start_run_now(settings, name)
    return _back(name, "started", after=newest[0][1].id if newest else 0)


@router.get("/campaigns/{name}")
def campaign_detail(request: Request, name: str, user: Operator, engine: Store) -> Response:
    return _detail(request, engine, name)


def _history(engine: Engine, name: str, after: int | None) -> dict[str, Any]:
    """The campaign's runs with the live figures of their running crawl steps. `after`: the newest
    run id when "run now" was pressed: the fragment stays live until a newer run shows."""
    entries = [run for _, run in campaigns.history(engine, name, 30)]
    crawls = runs_of_campaign_runs(engine, [r.id for r in entries if r.status == "running"])
    waiting = after is not None and (entries[0].id if entries else 0) <= after
    failure = operator_data.launch_failure(name) if waiting else None
    if failure is not None:
        waiting = False  # the process ended without recording a run: say why, stop polling
    live = waiting or any(r.status == "running" for r in entries)
    return {"runs": entries, "crawls": crawls, "live": live, "waiting": waiting, "after": after,
            "launch_failure": failure}


def _after(request: Request) -> int | None:
    text = request.query_params.get("after", "")
    return int(text) if text.isdigit() else None


def _detail(request: Request, engine: Engine, name: str, *, error: str | None = None,
            status_code: int = 200) -> Response:
    campaign = _campaign(engine, name)
    status = next((s for s in campaigns.status(engine) if s.campaign.name == name), None)
    return _page(request, "campaign.html", {
        "campaign": campaign, "status": status, "zone": configured_timezone(), "error": error,
        "message": MESSAGES.get(request.query_params.get("done", "")),
        **_history(engine, name, _after(request)),
    }, status_code=status_code)


@router.get("/campaigns/{name}/history")
def campaign_history(request: Request, name: str, user: Operator, engine: Store) -> Response:
    _campaign(engine, name)
    return _page(request, "_history.html", {"name": name, **_history(engine, name, _after(request))})


# --- crawl runs ---


def _crawls(engine: Engine) -> dict[str, Any]:
    runs = list_runs(engine, limit=50)
    return {"runs": [r.summary() for r in runs], "live": any(r.state == "running" for r in runs)}


@router.get("/crawls")
def crawl_list(request: Request, user: Operator, engine: Store, settings: Config) -> Response:
    return _page(request, "crawls.html", {"service": scheduler_state(engine, settings=settings),
                                          **_crawls(engine)})


@router.get("/crawls/live")
def crawl_list_live(request: Request, user: Operator, engine: Store) -> Response:
    return _page(request, "_crawls.html", _crawls(engine))


def _figures(engine: Engine, run_id: int) -> dict[str, Any]:
    try:
        figures, detail = show_run(engine, run_id, error_sites=50)
    except BadInput as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    stored = operator_data.first_pages(engine, run_id, [e["website_id"] for e in detail["errors_per_site"]])
    return {"run": figures.summary(), "detail": detail, "live": figures.state == "running",
            "error": figures.run.error, "stored": stored}


@router.get("/crawls/{run_id}")
def crawl_detail(request: Request, run_id: int, user: Operator, engine: Store) -> Response:
    figures = _figures(engine, run_id)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    problems = request.query_params.get("problems") == "1"
    sites, total = operator_data.run_sites(engine, run_id, page=page, problems_only=problems)
    pages = max(1, -(-total // operator_data.SITES_PER_PAGE))
    return _page(request, "crawl.html", {**figures, "sites": sites, "total": total, "page": page,
                                         "pages": pages, "problems": problems})


@router.get("/crawls/{run_id}/live")
def crawl_detail_live(request: Request, run_id: int, user: Operator, engine: Store) -> Response:
    return _page(request, "_crawl_figures.html", _figures(engine, run_id))


# --- stored pages (shown as text: a hostile page never runs in our origin) ---


def snapshot_or_404(engine: Engine, page_id: int) -> operator_data.Snapshot:
    try:
        return operator_data.snapshot(engine, page_id)
    except BadInput as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


def raw_response(snap: operator_data.Snapshot) -> Response:
    """The stored source as plain text, in a sandbox: even a browser that sniffed it as HTML
    would run no script with our origin (CSP sandbox, nosniff)."""
    return Response(snap.body, media_type="text/plain; charset=utf-8", headers={
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "X-Content-Type-Options": "nosniff", "Content-Disposition": "inline",
        "Cache-Control": "no-store"})


@router.get("/pages/{page_id}")
def stored_page(request: Request, page_id: int, user: Operator, engine: Store) -> Response:
    snap = snapshot_or_404(engine, page_id)
    return _page(request, "page.html", {"snap": snap, "raw_url": f"/operator/pages/{page_id}/raw"})


@router.get("/pages/{page_id}/raw")
def stored_page_raw(page_id: int, user: Operator, engine: Store) -> Response:
    return raw_response(snapshot_or_404(engine, page_id))
