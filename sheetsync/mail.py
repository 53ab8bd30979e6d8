"""The summary as an e-mail message (MIME), and as one HTML file to preview in a browser.

The message is multipart/alternative: the plain text first, then a multipart/related of the
HTML and the chart it shows by Content-ID, so every client finds a part it can show and none
fetches anything from the network. Headers are built by the standard library's `email`
package with its default policy; every value put in them is one line (cell text and config
values alike), so nothing can add a header.
"""

from __future__ import annotations

import base64
import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import css_inline

from sheetsync.celltext import oneline
from sheetsync.chart import Chart, spend_revenue_chart
from sheetsync.config import SummarySettings
from sheetsync.render import render_html, render_text
from sheetsync.summary import Summary

CHART_CID = "chart"


def preview_html(summary: Summary, own_templates: str = "") -> str:
    """The e-mail's HTML as one file: the chart inlined as a data: URI."""
    chart = spend_revenue_chart(summary.goals)
    source = "data:image/png;base64," + base64.b64encode(chart.png).decode() if chart else ""
    return _inlined(render_html(summary, own_templates, source, chart.alt if chart else ""))


def new_message_id(sender: str) -> str:
    """<random@sender's domain>, made before sending so the state store can record it."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return make_msgid("sheetsync", domain=domain)


def compose(
    summary: Summary, settings: SummarySettings, message_id: str, when: dt.datetime
) -> EmailMessage:
    """The whole message, ready for the outbox or SMTP."""
    chart = spend_revenue_chart(summary.goals)
    message = EmailMessage()
    message["Subject"] = oneline(summary.subject, 200)
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    if settings.cc:
        message["Cc"] = ", ".join(settings.cc)
    message["Reply-To"] = settings.reply_to or settings.sender
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id
    message.set_content(render_text(summary, settings.templates), cte="quoted-printable")
    html = _html_part(summary, settings.templates, chart)
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if chart is not None:
        html_part = message.get_payload()[1]  # type: ignore[index]
        assert isinstance(html_part, EmailMessage)
        html_part.add_related(chart.png, "image", "png", cid=f"<{CHART_CID}>", filename="chart.png")
    return message


def _html_part(summary: Summary, own_templates: str, chart: Chart | None) -> str:
    source = f"cid:{CHART_CID}" if chart else ""
    return _inlined(render_html(summary, own_templates, source, chart.alt if chart else ""))


def _inlined(html: str) -> str:
    """CSS moved into style attributes, the way Gmail and Outlook need it."""
    inliner = css_inline.CSSInliner(load_remote_stylesheets=False)
    return inliner.inline(html)
