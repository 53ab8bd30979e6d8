"""A Summary as the e-mail's text and HTML, from the Jinja2 templates in templates/.

Autoescaped: a cell's text is never markup in the HTML part. `[summary] templates` names a
folder whose templates replace the built-in ones of the same name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from sheetsync.amounts import points, rounded_apart
from sheetsync.celltext import oneline
from sheetsync.errors import TemplateError
from sheetsync.summary import Summary
from sheetsync.template import templates_dir

TEXT_TEMPLATE = "summary.txt"
HTML_TEMPLATE = "summary.html"


def render_text(summary: Summary, own_templates: str = "") -> str:
    """The plain-text part, also what `sheetsync summary` prints."""
    environment = _environment(own_templates, summary.locale)
    return _render(environment, TEXT_TEMPLATE, {"s": summary})


def render_html(
    summary: Summary, own_templates: str = "", chart_src: str = "", chart_alt: str = ""
) -> str:
    """The HTML part before CSS inlining; `chart_src` is a cid: or data: URI, "" for none."""
    environment = _environment(own_templates, summary.locale)
    context = {"s": summary, "chart_src": chart_src, "chart_alt": chart_alt}
    return _render(environment, HTML_TEMPLATE, context)


def _environment(own_templates: str, locale: str) -> jinja2.Environment:
    folders = [str(templates_dir())]
    if own_templates:
        folders.insert(0, own_templates)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        number=lambda value, *others: _number(value, locale, *others),
        signed=lambda value: _signed(value, locale),
        percent=lambda value, *others: _percent(value, locale, *others),
        day=lambda value: _day(value, locale),
        oneline=oneline,
        bar=text_bar,
    )
    return environment


def _render(environment: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        return environment.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(
            _sentence(error.filename or name, error.lineno, error.message)
        ) from None
    except jinja2.TemplateNotFound:
        raise TemplateError(
            f"The summary template {name} is missing from {environment.loader.searchpath}; "  # type: ignore[union-attr]
            "add it, or clear [summary] templates to use the built-in ones."
        ) from None
    except Exception as error:  # a template's own mistake, e.g. an undefined name
        filename, line = _template_frame(error, name)
        raise TemplateError(_sentence(filename, line, str(error))) from None


def _template_frame(error: BaseException, name: str) -> tuple[str, int | None]:
    """The template file and line where rendering failed, from the traceback."""
    found: tuple[str, int | None] = (name, None)
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".txt")):
            found = (filename, traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


def _sentence(filename: str, line: int | None, message: str | None) -> str:
    where = f"{filename}, line {line}" if line else filename
    return (
        f"The summary template {where} cannot be used: {message}. Fix the template, or clear "
        "[summary] templates to use the built-in ones."
    )


def text_bar(progress: float | None, width: int = 20) -> str:
    """[#########-----------] for a progress fraction; full when past 100 %."""
    if progress is None:
        return ""
    filled = round(max(0.0, min(progress, 1.0)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _number(value: float | None, locale: str, *others: float | None) -> str:
    """Whole from 100 up, else to the cent; with more decimals where that is what it takes to
    read differently from `others` (`{{ g.spend | number(g.budget) }}`: 100.004 is not 100)."""
    if value is None:
        return "–"
    compared = [other for other in others if other is not None]
    shown = rounded_apart(value, *compared, places=0 if abs(value) >= 100 else 2)[0]
    return format_decimal(shown, locale=locale, decimal_quantization=False)


def _signed(value: float | None, locale: str) -> str:
    if value is None:
        return "–"
    shown = _number(value, locale)
    return f"+{shown}" if value > 0 else shown


def _percent(value: float | None, locale: str, *others: float | None) -> str:
    """Whole percent; with decimals where that is what it takes to read differently from
    `others` (`{{ g.progress | percent(1) }}`: 99.6 % of a target is not 100 %)."""
    if value is None:
        return "–"
    compared = [points(other) for other in others if other is not None]
    if not compared:
        return format_percent(value, locale=locale)
    shown = rounded_apart(points(value), *compared, places=0)[0].scaleb(-2)
    return format_percent(shown, locale=locale, decimal_quantization=False)


def _day(value: dt.date | None, locale: str) -> str:
    return "–" if value is None else format_date(value, format="long", locale=locale)
