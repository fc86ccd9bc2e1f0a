"""Render report templates: autoescaped, undefined variables fail, formatters registered as filters."""

from __future__ import annotations

from typing import Any

import jinja2

from correlate.html.filters import FILTERS

__all__ = ["environment", "render"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def environment() -> jinja2.Environment:
    """The one jinja2 environment: package templates (work from an installed wheel), autoescape, strict."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.globals["csp"] = CSP
    return env


def render(template: str, **context: Any) -> str:
    """Render ``template`` with ``context``. Same inputs, byte-identical output."""
    return environment().get_template(template).render(**context)
