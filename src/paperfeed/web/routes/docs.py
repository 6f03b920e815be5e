"""The API documentation at /docs: Swagger UI served from this site (installed from npm with the
other front-end libraries), so it works offline and under the site's script policy (no inline code)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from paperfeed.web.render import VENDOR_DIR

router = APIRouter(include_in_schema=False)


def swagger_installed() -> bool:
    return (VENDOR_DIR / "swagger-ui" / "swagger-ui-bundle.js").exists()


@router.get("/docs")
def api_docs(request: Request):
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "docs.html", {"swagger": swagger_installed()},
                                      headers={"Vary": "Accept"})
