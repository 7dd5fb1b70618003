"""The HTML pages' routes: the caseworker page, the rules page, the documentation, the sources and their
texts. The pages themselves are made in :mod:`reform_rules.web.pages`."""
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from reform_rules.web import pages
from reform_rules.web.api_rules import filter_date, web
from reform_rules.web.bodies import InputError
from reform_rules.web.i18n import UI, pick_lang


def page_citizen(request: Request, lang: str | None = None) -> HTMLResponse:
    return HTMLResponse(pages.citizen_page(web(request), pick_lang(lang)))


def page_rules(request: Request, lang: str | None = None, date: str | None = None, subject: str | None = None,
               status: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang)
    try:
        on, problem = filter_date(date), None
    except InputError as exc:
        on, problem = None, exc.messages[0]
    return HTMLResponse(pages.rules_page(web(request), chosen, on, subject or None, status or None, problem, date))


def page_docs(request: Request, lang: str | None = None) -> HTMLResponse:
    return HTMLResponse(pages.docs_page(web(request), pick_lang(lang)))


def page_sources(request: Request, lang: str | None = None) -> HTMLResponse:
    return HTMLResponse(pages.sources_page(web(request), pick_lang(lang)))


def source_text(request: Request, source_id: str) -> PlainTextResponse:
    """The copy of a seed document as it is in rules/seeds/."""
    text = web(request).seeds.text(source_id)
    if text is None:
        raise InputError(f"source: no document text for {source_id!r}", status=404, error="not_found")
    return PlainTextResponse(text, headers={"content-disposition": f'inline; filename="{source_id}.txt"'})


def page_source(request: Request, source_id: str, lang: str | None = None) -> HTMLResponse:
    chosen = pick_lang(lang)
    html = pages.source_page(web(request), chosen, source_id)
    if html is None:
        raise InputError(UI[chosen]["src_not_found"].format(id=source_id), status=404, error="not_found")
    return HTMLResponse(html)


def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg")


def add_page_routes(router: APIRouter) -> None:
    """The pages (GET and HEAD), outside the API's OpenAPI document."""
    for path, endpoint in (("/", page_citizen), ("/rules", page_rules), ("/docs", page_docs),
                           ("/sources", page_sources)):
        router.add_api_route(path, endpoint, methods=["GET", "HEAD"], response_class=HTMLResponse,
                             include_in_schema=False)
    # the text before the page: "/sources/{source_id}" would match "seed-003.txt" too
    router.add_api_route("/sources/{source_id}.txt", source_text, methods=["GET", "HEAD"], include_in_schema=False)
    router.add_api_route("/sources/{source_id}", page_source, methods=["GET", "HEAD"], response_class=HTMLResponse,
                         include_in_schema=False)
    router.add_api_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)
