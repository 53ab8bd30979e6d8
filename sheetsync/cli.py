"""The `sheetsync` command: parses options, calls the library, formats the result.

Exit codes (SPEC 7): 0 clean, 1 findings at or above --fail-on, 2 usage or config
error, 3 workbook unreachable; and 4 skipped: another run held the workbook.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from sheetsync import api
from sheetsync.config import load_settings
from sheetsync.errors import (
    DeliveryFailed,
    SheetsyncError,
    StateError,
    WorkbookBusy,
    WorkbookChanged,
    WorkbookUnreachable,
)
from sheetsync.workbooks import Target, targets

if TYPE_CHECKING:
    from sheetsync.engine import Report

EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_BUSY = 1, 2, 3, 4
# A skipped run is the least worry: the run that held the workbook does the work.
WORST_LAST = (0, EXIT_BUSY, EXIT_FINDINGS, EXIT_UNREACHABLE, EXIT_USAGE)


class Today(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(
                f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01.", param, ctx
            )


def _fails(function: Callable[..., Any]) -> Callable[..., Any]:
    """Print sheetsync's own errors as the sentence they are, with their kind's exit code."""

    @wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except SheetsyncError as error:
            sys.exit(_told(error))

    return run


def exit_code_for(error: SheetsyncError) -> int:
    if isinstance(error, WorkbookBusy):
        return EXIT_BUSY
    if isinstance(error, WorkbookUnreachable | WorkbookChanged | StateError | DeliveryFailed):
        return EXIT_UNREACHABLE
    return EXIT_USAGE


def _told(error: SheetsyncError) -> int:
    """Print the error's sentence on stderr (a skip is not an error); return its exit code."""
    code = exit_code_for(error)
    prefix = "" if code == EXIT_BUSY else click.style("Error: ", fg="red", bold=True)
    click.echo(prefix + str(error), err=True)
    return code


def _each_workbook(chosen: list[Target], act: Callable[[Target], int]) -> None:
    """Run `act` on every chosen workbook; exit with the worst code.

    One workbook behaves as it always has. With several, each gets a heading and its own
    error sentence, and one that fails does not stop the others.
    """
    if len(chosen) == 1:
        sys.exit(act(chosen[0]))
    codes = []
    for number, target in enumerate(chosen):
        click.echo(("\n" if number else "") + click.style(f"== {target.label}", bold=True))
        try:
            codes.append(act(target))
        except SheetsyncError as error:
            codes.append(_told(error))
    sys.exit(worst(codes))


def worst(codes: list[int]) -> int:
    """The code that matters most: config, unreachable, findings, skipped, then 0."""
    return max(codes, key=WORST_LAST.index, default=0)


def _fail(message: str, code: int) -> None:
    click.echo(click.style("Error: ", fg="red", bold=True) + message, err=True)
    sys.exit(code)


workbook_option = click.option(
    "--workbook",
    "-w",
    metavar="PATH_OR_URL",
    help="An .xlsx or .xlsm file, or a Google Sheets URL or key (default: [workbook] in the "
    "config).",
)
today_option = click.option(
    "--today",
    type=Today(),
    help="Check as of this date (default: today in the configured time zone).",
)
workbook_name_option = click.option(
    "--workbook-name",
    "-n",
    metavar="NAME",
    help="One workbook of the config's [[workbooks]], by name (default: every one).",
)
config_option = click.option(
    "--config",
    "-c",
    metavar="FILE",
    envvar="SHEETSYNC_CONFIG",
    help="Config file (default: $SHEETSYNC_CONFIG, else ./sheetsync.toml if present).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sheetsync")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Keep a marketing strategy and its plan honest.

    Reads the Strategy and Plan tabs of a workbook, checks that every tactic serves a goal
    and every goal has a plan, and fills in Status, ROI and Issues.
    """
    if os.environ.get("NO_COLOR"):  # https://no-color.org: set and not empty means no colour
        ctx.color = False


@main.command()
@workbook_option
@workbook_name_option
@today_option
@config_option
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse is found.",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="List every finding and goal; by default text shows a few findings of each rule.",
)
@_fails
def check(
    workbook: str | None,
    workbook_name: str | None,
    today: dt.date | None,
    config: str | None,
    output: str,
    fail_on: str,
    everything: bool,
) -> None:
    """Check the workbook and report what to fix. Read-only."""
    from sheetsync.present import as_json, check_json, check_text

    chosen = targets(load_settings(config), workbook, workbook_name)
    failing = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[fail_on]

    def check_one(target: Target) -> tuple[Report, int]:
        report = api.check(target.given, today=today, settings=target.settings)
        return report, EXIT_FINDINGS if any(map(report.count, failing)) else 0

    if output == "text":

        def show(target: Target) -> int:
            report, code = check_one(target)
            click.echo(check_text(report, everything=everything))
            return code

        _each_workbook(chosen, show)
    if len(chosen) == 1:
        report, code = check_one(chosen[0])
        click.echo(check_json(report))
        sys.exit(code)
    entries, codes = [], []
    for target in chosen:
        entry: dict[str, Any] = {"name": target.name}
        try:
            report, code = check_one(target)
            entry |= report.as_dict()
        except SheetsyncError as error:
            entry["error"], code = str(error), exit_code_for(error)
        entries.append(entry | {"exit_code": code})
        codes.append(code)
    click.echo(as_json({"workbooks": entries}))
    sys.exit(worst(codes))


@main.command()
@workbook_option
@workbook_name_option
@today_option
@config_option
@click.option("--dry-run", is_flag=True, help="Print the cells sync would write; write nothing.")
@_fails
def sync(
    workbook: str | None,
    workbook_name: str | None,
    today: dt.date | None,
    config: str | None,
    dry_run: bool,
) -> None:
    """Check the workbook, then write Status, ROI, Issues and the Checks tab."""
    chosen = targets(load_settings(config), workbook, workbook_name)
    _each_workbook(chosen, lambda target: _sync_one(target, today, dry_run))


def _sync_one(target: Target, today: dt.date | None, dry_run: bool) -> int:
    from sheetsync.present import layout_lines, summary_line
    from sheetsync.writes import describe

    result = api.sync(target.given, today=today, settings=target.settings, dry_run=dry_run)
    plan, report = result.plan, result.report
    if dry_run:
        for tab in plan.new_tabs:
            click.echo(f"(new tab) {tab}")
        for write in plan.writes:
            click.echo(describe(write))
        click.echo(f"Dry run: {len(plan.writes)} cells would change; nothing was written.")
    elif result.written:
        click.echo(f"Wrote {len(plan.writes)} cells to {report.location or report.title}.")
    else:
        click.echo(f"Nothing to change in {report.location or report.title}; it is up to date.")
    for line in layout_lines(report):
        click.echo(line)
    click.echo(summary_line(report))
    # 1 when part of the sheet could not be brought up to date (a layout error)
    return EXIT_FINDINGS if report.layout_errors else 0


class MonthParam(click.ParamType):
    name = "YYYY-MM"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from sheetsync.months import Month

        if isinstance(value, Month):
            return value
        try:
            return Month.parse(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


@main.command()
@workbook_option
@workbook_name_option
@today_option
@config_option
@click.option("--month", type=MonthParam(), help="The month to sum up (default: the last one).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: what the e-mail says; json: the month's figures for scripts.",
)
@click.option(
    "--preview",
    metavar="FILE.html",
    help="Write the e-mail as one HTML file to open in a browser; send nothing.",
)
@click.option("--send", is_flag=True, help="Send it to [summary] to/cc (once per month).")
@click.option("--force", is_flag=True, help="With --send: send it again even if it went before.")
@_fails
def summary(
    workbook: str | None,
    workbook_name: str | None,
    today: dt.date | None,
    config: str | None,
    month: Any,
    output: str,
    preview: str | None,
    send: bool,
    force: bool,
) -> None:
    """Sum up a month: what the monthly e-mail says, or its figures as JSON; --send mails it."""
    if force and not send:
        _fail("--force only goes with --send (it sends a month's summary again).", EXIT_USAGE)
    chosen = targets(load_settings(config), workbook, workbook_name)

    def one(target: Target) -> int:
        if send:
            return _send_one(target, month, today, force)
        return _summary_one(target, month, today, output, preview)

    _each_workbook(chosen, one)


def _summary_one(
    target: Target, month: Any, today: dt.date | None, output: str, preview: str | None
) -> int:
    from sheetsync.render import render_text

    settings = target.settings
    result = api.summary(target.given, month=month, today=today, settings=settings)
    if preview:
        from sheetsync.mail import preview_html

        try:
            Path(preview).write_text(preview_html(result, settings.summary.templates), "utf-8")
        except OSError as error:
            _fail(f"Cannot write {preview} ({error.strerror}); choose a file you can write.", 2)
        click.echo(f"Wrote {preview}: open it in a browser to see the e-mail.")
    elif output == "json":
        from sheetsync.present import as_json

        click.echo(as_json(result.as_dict()))
    else:
        click.echo(render_text(result, settings.summary.templates), nl=False)
    return 0


def _send_one(target: Target, month: Any, today: dt.date | None, force: bool) -> int:
    from sheetsync.send import when

    settings = target.settings
    sent = api.send_summary(target.given, month=month, today=today, settings=settings, force=force)
    record, label = sent.outcome.record, sent.summary.month.label()
    people = ", ".join(settings.summary.to + settings.summary.cc)
    if sent.outcome.already:
        click.echo(
            f"The {label} summary was already sent to {people} on {when(record)} "
            f"(Message-ID {record.message_id}); nothing was sent now. --force sends it again."
        )
    elif sent.outcome.delivery is not None:
        delivery = sent.outcome.delivery
        verb = "Sent" if settings.summary.transport == "smtp" else "Wrote"
        click.echo(f"{verb} the {label} summary to {people}: {delivery.where}.")
        for address, why in delivery.refused.items():
            click.echo(f"Warning: the mail server refused {address} ({why}).", err=True)
    if sent.history_failed:
        click.echo(click.style("Error: ", fg="red", bold=True) + sent.history, err=True)
        return EXIT_UNREACHABLE
    click.echo(sent.history)
    return 0


@main.command()
@click.option(
    "--path",
    metavar="FILE.xlsx",
    help="The new local workbook to create (.xlsx, or .xlsm for macros).",
)
@click.option(
    "--google", is_flag=True, help="Create a Google spreadsheet instead ([google] config)."
)
@click.option(
    "--title",
    default="Marketing strategy and plan",
    show_default=True,
    help="The Google spreadsheet's title.",
)
@click.option(
    "--share",
    multiple=True,
    metavar="EMAIL",
    help="Share the Google spreadsheet with this address as Editor (repeatable).",
)
@click.option("--example", is_flag=True, help="Fill it with an example business to try things on.")
@today_option
@config_option
@click.pass_context
@_fails
def init(
    ctx: click.Context,
    path: str | None,
    google: bool,
    title: str,
    share: tuple[str, ...],
    example: bool,
    today: dt.date | None,
    config: str | None,
) -> None:
    """Make a new workbook with the Strategy, Plan and Calendar tabs ready to fill in."""
    if google == bool(path):
        _fail(
            "Give either --path FILE.xlsx for a local workbook or --google, not both or neither.",
            EXIT_USAGE,
        )
    google_only = [
        f"--{name}"
        for name in ("title", "share")
        if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
    ]
    if path and google_only:
        _fail(
            f"{' and '.join(google_only)} {'are' if len(google_only) > 1 else 'is'} for a "
            "Google spreadsheet (--google); a local workbook is named by its file, so leave "
            f"{'them' if len(google_only) > 1 else 'it'} out or use --google instead of --path.",
            EXIT_USAGE,
        )
    if google:
        url = api.init_google(
            title, settings=load_settings(config), share_with=share, example=example, today=today
        )
        click.echo(f"Created {url}")
        click.echo(f"Next: sheetsync check --workbook {url}")
        return
    assert path is not None
    created = api.init(path, example=example, today=today)
    click.echo(f"Created {created}.")
    click.echo(f"Next: sheetsync check --workbook {created}")


@main.command()
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="markdown prints the README's rule section.",
)
def rules(output: str) -> None:
    """List every check sheetsync makes, with what, why, an example and the fix."""
    from sheetsync.present import rules_markdown, rules_text

    click.echo(rules_markdown() if output == "markdown" else rules_text())


@main.command()
@workbook_name_option
@config_option
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per run for people; json: one JSON object per line for log tools.",
)
@_fails
def worker(workbook_name: str | None, config: str | None, log_format: str) -> None:
    """Keep running: sync every workbook on [schedule] sync and send each month's summary once
    on [schedule] summary. Stop with Ctrl-C or SIGTERM."""
    from sheetsync.worker import run_worker

    sys.exit(run_worker(load_settings(config), workbook_name, log_format))


@main.command()
@workbook_name_option
@config_option
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts and monitoring.",
)
@_fails
def status(workbook_name: str | None, config: str | None, output: str) -> None:
    """Per workbook: the last run, the next scheduled ones, the last summary sent."""
    from sheetsync.present import as_json
    from sheetsync.status import status_text, statuses

    found = statuses(load_settings(config), workbook_name, dt.datetime.now(dt.UTC))
    if output == "json":
        workbooks = [status.as_dict() for status in found]
        click.echo(as_json({"workbooks": workbooks}))
    else:
        click.echo(status_text(found))


@main.group()
def auth() -> None:
    """Sign in to Google for `[google] credentials = "oauth"`."""


@auth.command()
@click.option(
    "--client-secrets",
    metavar="FILE",
    help="The JSON of a Desktop-app OAuth client from the Google Cloud console.",
)
@config_option
@_fails
def login(client_secrets: str | None, config: str | None) -> None:
    """Sign in with your browser; the token is kept in your user config folder (mode 0600)."""
    from sheetsync.backends.google_auth import login as google_login

    # [google] endpoint and timeout: where and how long Drive is asked who signed in.
    click.echo(google_login(client_secrets, settings=load_settings(config).google))


@auth.command()
def logout() -> None:
    """Forget the saved Google sign-in."""
    from sheetsync.backends.google_auth import logout as google_logout
    from sheetsync.backends.google_auth import token_path

    if google_logout():
        click.echo(f"Signed out: removed {token_path()}.")
    else:
        click.echo("You were not signed in; nothing to remove.")
