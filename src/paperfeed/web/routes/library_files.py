"""Import into and export from the reader's library (signed in). The import form on /library posts
to /library/import (multipart: the file, and a collection or a new collection's name) and gets the
library page again saying what the import did; scripts post the same fields to /api/library/import
for an api_models.ImportReport. GET /api/library/export?collection=&format=bibtex|ris|csl-json is the
library, or one collection, as a file to download. A file holds at most citations.MAX_IMPORT_BYTES
(5 MB): a larger body is refused (413) before it is read in (web/uploads.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from paperfeed.citations import MAX_IMPORT_BYTES
from paperfeed.config import Settings
from paperfeed.db.users import User
from paperfeed.errors import InvalidInput
from paperfeed.library_files import ImportOutcome, export_library, import_citations, named_work
from paperfeed.web import api_models as api
from paperfeed.web import library
from paperfeed.web.deps import ConnDep, EngineDep, SettingsDep, UserDep
from paperfeed.web.library import CollectionField
from paperfeed.web.render import JsonResponse, wants_json
from paperfeed.web.uploads import FORM_OVERHEAD, bounded_route

router = APIRouter(route_class=bounded_route(MAX_IMPORT_BYTES + FORM_OVERHEAD, stated=MAX_IMPORT_BYTES))
FileField = Annotated[UploadFile, File(description="BibTeX, RIS, CSL-JSON, or a list of arXiv ids and DOIs; "
                                                   "at most 5 MB.")]
NewCollection = Annotated[str | None, Form(max_length=200, description="Or a collection by name, made if new.")]
CollectionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="One collection; else the library.")]
Format = Annotated[Literal["bibtex", "ris", "csl-json"], Query(description="bibtex, ris or csl-json.")]
MEDIA_TYPES = {"bibtex": "application/x-bibtex", "ris": "application/x-research-info-systems",
               "csl-json": "application/json"}
EXTENSIONS = {"bibtex": "bib", "ris": "ris", "csl-json": "json"}
EXPORT_DOCS = {200: {"description": "The papers, newest saved first, as a file to download.", "content": {
    "application/x-bibtex": {"schema": {"type": "string"}},
    "application/x-research-info-systems": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "array", "items": {"type": "object"},
                                    "description": "CSL-JSON items (csl-json)."}}}}}


def report_model(outcome: ImportOutcome) -> api.ImportReport:
    collection = outcome.collection
    return api.ImportReport(
        collection=api.CollectionRef(id=collection.id, name=collection.name) if collection else None,
        saved=outcome.saved, alreadySaved=outcome.already_saved, fetched=outcome.fetched,
        notFound=[named_work(work) for work in outcome.not_found],
        problems=[api.ImportProblem(line=problem.line, message=problem.message) for problem in outcome.problems],
        unfetched=outcome.unfetched)


async def _import(request: Request, engine: sa.Engine, settings: Settings, user: User, file: UploadFile,
                  collection: int | None, new_collection: str | None) -> api.ImportReport:
    library.count(request, "import", user)
    data = await file.read(MAX_IMPORT_BYTES + 1)  # one byte more: parse_citations names the limit
    outcome = await run_in_threadpool(import_citations, engine, settings, user.id, data, filename=file.filename,
                                      collection_id=collection, new_collection=new_collection)
    return report_model(outcome)


@router.post("/library/import", response_model=api.ImportReport, responses={
    303: {"description": "Signed out: to the sign-in page."}},
    summary="Import a citation file into your library (form or JSON); the library page says what it did")
async def import_form(request: Request, engine: EngineDep, settings: SettingsDep, user: UserDep, file: FileField,
                      collection: CollectionField = None, new_collection: NewCollection = None):
    if user is None:
        return library.to_sign_in(request, library.LIBRARY)
    try:
        report, error = await _import(request, engine, settings, user, file, collection, new_collection), None
    except InvalidInput as exc:  # the file or the collection's name: the page says why
        if wants_json(request):
            raise
        report, error = None, str(exc)
    if wants_json(request):
        return JsonResponse(report.model_dump(mode="json"))
    shown = report.collection.id if report and report.collection else None
    return await run_in_threadpool(_page, request, engine, user, shown, report, error)


def _page(request: Request, engine: sa.Engine, user: User, collection_id: int | None, report: api.ImportReport | None,
          error: str | None) -> Response:
    with engine.connect() as conn:
        return library.library_page_response(request, conn, user, collection_id, report=report, error=error,
                                             status_code=400 if error else 200)


@router.post("/api/library/import", response_model=api.ImportReport, responses=api.API_ERRORS,
             tags=["library"], summary="Import a citation file into your library (multipart: file, collection)")
async def api_import(request: Request, engine: EngineDep, settings: SettingsDep, user: UserDep, file: FileField,
                     collection: CollectionField = None, new_collection: NewCollection = None):
    reader = library.signed_in(user)
    return JsonResponse((await _import(request, engine, settings, reader, file, collection, new_collection))
                        .model_dump(mode="json"))


@router.get("/api/library/export", response_class=Response, responses={**api.API_ERRORS, **EXPORT_DOCS},
            tags=["library"], summary="Your library, or one collection, as BibTeX, RIS or CSL-JSON")
def export(conn: ConnDep, user: UserDep, format: Format = "bibtex", collection: CollectionQuery = None):
    reader = library.signed_in(user)
    text = export_library(conn, reader.id, format, collection)
    name = f"paperfeed-{'collection-' + str(collection) if collection else 'library'}.{EXTENSIONS[format]}"
    return Response(text, media_type=MEDIA_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private"})
