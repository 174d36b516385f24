"""Sphinx extension (listed in _config.yml): before Sphinx looks for pages, execute
every stale or missing notebook of variants.yml, so that a plain
`jupyter-book build .` never silently builds a book without its results."""

from __future__ import annotations

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _execute_stale(app, config) -> None:
    from .pipeline import PipelineError, run_stale

    try:
        run_stale(log=logger.info)
    except PipelineError as error:
        raise ExtensionError(str(error)) from None


def _disable_thebe(app) -> None:
    """The book has no live code cells, so it needs no Thebe. Jupyter Book 1.0.4
    always loads sphinx-thebe 0.3.1, whose inline configuration script then appears
    twice on every page, and the second copy throws "Identifier 'THEBE_JS_URL' has
    already been declared" in the browser console. Drop its script-adding listener."""
    listeners = app.events.listeners.get("env-before-read-docs", [])
    for listener in list(listeners):
        if getattr(listener.handler, "__module__", "") == "sphinx_thebe" and listener.handler.__name__ == "init_thebe_core":
            app.disconnect(listener.id)


def setup(app):
    # Before sphinx_external_toc reads _toc.yml (priority 900) and Sphinx globs pages.
    app.connect("config-inited", _execute_stale, priority=100)
    app.connect("builder-inited", _disable_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
