"""Render report templates: autoescaped, undefined variables fail, formatters and the chart drawer
(``| svg``) registered as filters."""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup

from correlate.html.charts import draw
from correlate.html.filters import FILTERS
from correlate.report.names import display_name, neutralise
from correlate.report.sections import ChartData, verdict_words

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
        finalize=_finalize,
    )
    env.filters.update(FILTERS)
    env.filters["svg"] = _svg
    env.filters["name"] = display_name
    env.filters["verdict_words"] = verdict_words
    env.globals["csp"] = CSP
    return env


def _finalize(value: Any) -> Any:
    """Every printed value: text from the data loses control and bidirectional characters and endless runs
    (:func:`correlate.report.names.neutralise`); markup the report made itself (charts) passes as it is."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return neutralise(value)


def _svg(chart: ChartData) -> Markup:
    # matplotlib escapes every text it writes into the SVG (titles, labels, legends), so it is markup
    return Markup(draw(chart))  # noqa: S704


def render(template: str, **context: Any) -> str:
    """Render ``template`` with ``context``. Same inputs, byte-identical output."""
    return environment().get_template(template).render(**context)
