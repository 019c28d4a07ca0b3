"""Small Sphinx extension that keeps the built pages self-contained and error-free.

* sphinx-thebe (always loaded by Jupyter Book 1) registers its configuration script once per
  build environment pass, so pages declare ``const THEBE_JS_URL`` twice and the browser reports
  a SyntaxError. The course does not use Thebe (live code runs on Binder), so its scripts are
  dropped from every page.
* docutils wraps citations in ``<div role="list">`` whose entries carry ``role="doc-biblioentry"``;
  accessibility checkers (axe) do not accept those entries as list items, so every link inside a
  reference becomes an invalid child of the list. The bibliography keeps its look without the two
  roles.
"""

from __future__ import annotations


def _is_thebe(js) -> bool:
    filename = getattr(js, "filename", None) or ""
    body = (getattr(js, "attributes", None) or {}).get("body", "")
    return "thebe" in filename or "THEBE_JS_URL" in body


def _drop_thebe(app, pagename, templatename, context, doctree):
    if "script_files" in context:
        context["script_files"] = [js for js in context["script_files"] if not _is_thebe(js)]


def _plain_citation_lists(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and "citation-list" in body:
        body = body.replace('<div role="list" class="citation-list">', '<div class="citation-list">')
        context["body"] = body.replace(' role="doc-biblioentry"', "")


def setup(app):
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _plain_citation_lists, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
