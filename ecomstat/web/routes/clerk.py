"""The register clerks' area (issue 18 item 4): the worklist (sort, filters, search, paged in
SQL), a finding with the register and web values side by side and the stored page that states
it, decisions (accept / reject / done with a note) and manual links.

Decisions and links are recorded by `register.decisions.decide` and `link`, the functions
`ecomstat register decide` and `ecomstat register link` call, with the signed-in user's name as
who decided; the next `register validate` keeps them while the evidence is unchanged."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from ecomstat.errors import BadInput, EcomstatError
from ecomstat.register import decisions
from ecomstat.register.report import FIELDS, SIZE_CLASSES, SORTS, VERDICT_ORDER, WorklistFilter
from ecomstat.web import clerk_data, operator_data
from ecomstat.web.deps import Role, User, get_engine, require_role
from ecomstat.web.render import render
from ecomstat.web.routes.operator import raw_response, snapshot_or_404, when

router = APIRouter(prefix="/clerk")

Clerk = Annotated[User, Depends(require_role(Role.register))]
Store = Annotated[Engine, Depends(get_engine)]

DECIDED = {"accept": "accepted", "reject": "rejected", "done": "marked done"}
FILTER_KEYS = ("verdict", "field", "country", "nace", "size", "state", "q", "sort", "wave")


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, f"clerk/{name}", {"when": when, **context}, status_code=status_code)


def _filter(request: Request) -> clerk_data.ClerkFilter:
    params = request.query_params

    def many(key: str) -> list[str]:
        return [v.strip() for value in params.getlist(key) for v in value.split(",") if v.strip()]

    worklist = WorklistFilter(verdicts=many("verdict"), fields=many("field"), nace=many("nace"),
                              sizes=many("size"), search=params.get("q", "").strip() or None,
                              sort=params.get("sort") or "priority", wave=params.get("wave") or None)
    return clerk_data.ClerkFilter(worklist, many("country"), params.get("state") or "open")


def _current_query(request: Request, **changes: Any) -> str:
    """The worklist's query string with `changes` (None removes a key)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k in FILTER_KEYS or k == "page"]
    pairs = [(k, v) for k, v in pairs if k not in changes] + [(k, v) for k, v in changes.items() if v is not None]
    return urlencode([(k, v) for k, v in pairs if v != ""])


@router.get("/", include_in_schema=False)
def home(user: Clerk) -> RedirectResponse:
    return RedirectResponse("/clerk/worklist", status_code=303)


@router.get("/worklist")
def worklist(request: Request, user: Clerk, engine: Store) -> Response:
    flt = _filter(request)
    try:
        page = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        page = 1
    error = None
    try:
        result = clerk_data.worklist_page(engine, flt, page)
    except BadInput as exc:  # an unknown verdict, sort or wave in the address: say so, show nothing
        error, result = str(exc), clerk_data.WorklistPage([], 0, 1, 1, None, [], [])
    message = None
    if request.query_params.get("decided", "").isdigit():
        how = DECIDED.get(request.query_params.get("as", ""), "decided")
        message = f"Finding {request.query_params['decided']} {how}."
    if request.query_params.get("linked"):
        message = f"Website linked to {request.query_params['linked']}."
    here = "/clerk/worklist" + (f"?{q}" if (q := _current_query(request)) else "")
    return _page(request, "worklist.html", {
        "result": result, "flt": flt, "error": error, "message": message, "here": here,
        "params": request.query_params, "verdicts": list(VERDICT_ORDER), "fields": FIELDS,
        "sizes": SIZE_CLASSES, "sorts": SORTS, "states": clerk_data.STATES,
        "page_url": lambda n: "/clerk/worklist?" + _current_query(request, page=n),
    }, status_code=400 if error else 200)


def _next(form: Any, default: str) -> str:
    """Where to go back after a decision: a clerk page of this site only (never another host)."""
    target = str(form.get("next") or "")
    return target if target.startswith("/clerk/") and not target.startswith("//") else default


def _with(url: str, **params: Any) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


@router.post("/findings/{finding_id}/decide")
async def decide(request: Request, finding_id: int, user: Clerk, engine: Store) -> Response:
    form = await request.form()
    decision = str(form.get("decision") or "")
    note = str(form.get("note") or "").strip() or None
    try:
        decisions.decide(engine, str(finding_id), decision, by=user.name, note=note)
    except EcomstatError as exc:
        return _detail(request, engine, finding_id, error=str(exc), status_code=400)
    back = _next(form, f"/clerk/findings/{finding_id}")
    return RedirectResponse(_with(back, decided=finding_id, **{"as": decision}), status_code=303)


@router.post("/link")
async def link(request: Request, user: Clerk, engine: Store) -> Response:
    form = await request.form()
    enterprise_id = str(form.get("enterprise_id") or "").strip()
    url = str(form.get("url") or "").strip()
    note = str(form.get("note") or "").strip() or None
    back = _next(form, "/clerk/worklist")
    try:
        decisions.link(engine, enterprise_id, url, by=user.name, note=note)
    except EcomstatError as exc:
        return _page(request, "link.html", {"error": str(exc), "enterprise_id": enterprise_id, "url": url,
                                            "note": note or "", "next": back}, status_code=400)
    return RedirectResponse(_with(back, linked=enterprise_id), status_code=303)


@router.get("/link")
def link_form(request: Request, user: Clerk) -> Response:
    return _page(request, "link.html", {"error": None, "enterprise_id": request.query_params.get("enterprise", ""),
                                        "url": "", "note": "", "next": "/clerk/worklist"})


def _detail(request: Request, engine: Engine, finding_id: int, *, error: str | None = None,
            status_code: int = 200) -> Response:
    try:
        detail = clerk_data.finding(engine, finding_id)
    except BadInput as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    message = None
    if request.query_params.get("decided"):
        message = f"Finding {finding_id} {DECIDED.get(request.query_params.get('as', ''), 'decided')}."
    if request.query_params.get("linked"):
        message = f"Website linked to {request.query_params['linked']}."
    return _page(request, "finding.html", {"d": detail, "f": detail.row, "error": error, "message": message},
                 status_code=status_code)


@router.get("/findings/{finding_id}")
def finding_detail(request: Request, finding_id: int, user: Clerk, engine: Store) -> Response:
    return _detail(request, engine, finding_id)


def _evidence_page(engine: Engine, finding_id: int) -> int:
    try:
        row = clerk_data.finding(engine, finding_id).row
    except BadInput as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    page_id = operator_data.page_for_url(engine, row["evidence_url"], row["website_id"]) \
        if row["evidence_url"] else None
    if page_id is None:
        raise HTTPException(status_code=404, detail=f"no stored page for finding {finding_id}: "
                            f"{row['evidence_url'] or 'it names no page'} was not kept")
    return page_id


@router.get("/findings/{finding_id}/snapshot")
def snapshot(request: Request, finding_id: int, user: Clerk, engine: Store) -> Response:
    snap = snapshot_or_404(engine, _evidence_page(engine, finding_id))
    return _page(request, "snapshot.html", {"snap": snap, "finding_id": finding_id,
                                            "raw_url": f"/clerk/findings/{finding_id}/snapshot/raw"})


@router.get("/findings/{finding_id}/snapshot/raw")
def snapshot_raw(finding_id: int, user: Clerk, engine: Store) -> Response:
    return raw_response(snapshot_or_404(engine, _evidence_page(engine, finding_id)))
