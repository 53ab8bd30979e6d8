"""Settings: TOML file, environment and command-line flags, validated into typed values.

Precedence is flags > environment > file > defaults. Every problem becomes one
ConfigError sentence naming the key, the bad value and the fix (exit 2).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sheetsync.errors import ConfigError

CONFIG_ENV = "SHEETSYNC_CONFIG"
DEFAULT_CONFIG_NAME = "sheetsync.toml"
GOOGLE_ENDPOINT = "https://sheets.googleapis.com"
RULE_CODES_PATTERN = r"^SS\d{3}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkbookSettings(_Section):
    path: str = ""
    spreadsheet: str = ""
    title: str = ""

    @model_validator(mode="after")
    def _one_location(self) -> WorkbookSettings:
        if self.path and self.spreadsheet:
            raise ValueError(
                "give either `path` (a local .xlsx) or `spreadsheet` (Google), not both"
            )
        return self

    @property
    def location(self) -> str:
        return self.path or self.spreadsheet


class GoogleSettings(_Section):
    credentials: str = (
        ""  # key file, "oauth", "adc", "none"; "" = GOOGLE_APPLICATION_CREDENTIALS or adc
    )
    endpoint: str = GOOGLE_ENDPOINT
    requests_per_minute: int = Field(default=55, gt=0, le=6000)
    timeout: float = Field(default=30.0, gt=0)
    retry_for_seconds: float = Field(default=120.0, ge=0)

    @field_validator("endpoint")
    @classmethod
    def _http_endpoint(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _none_only_off_google(self) -> GoogleSettings:
        if self.credentials == "none" and "googleapis.com" in self.endpoint:
            raise ValueError(
                'credentials = "none" works only with a test or private `endpoint`, '
                'not Google\'s own; set credentials to a key file, "oauth" or "adc"'
            )
        return self


def _time_zone_or_blank(value: str) -> str:
    return check_timezone(value) if value else value


def _cron_expression(expression: str) -> str:
    from sheetsync.schedule import cron_trigger

    cron_trigger(expression, "UTC")  # raises ValueError saying what is wrong
    return expression


def _rule_code(code: str) -> str:
    from sheetsync.rules import CATALOG

    if code.upper() not in CATALOG:
        raise ValueError(f"{code!r} is not a rule code; `sheetsync rules` lists them")
    return code.upper()


TimeZoneName = Annotated[str, AfterValidator(_time_zone_or_blank)]
RuleCode = Annotated[str, AfterValidator(_rule_code)]
CronExpression = Annotated[str, AfterValidator(_cron_expression)]


class WorkbookSummary(_Section):
    """A workbook's own recipients; None = the `[summary]` ones."""

    to: tuple[str, ...] | None = None
    cc: tuple[str, ...] | None = None


class WorkbookSchedule(_Section):
    """A workbook's own cron expressions; None = the `[schedule]` ones."""

    sync: CronExpression | None = None
    summary: CronExpression | None = None


class ListedWorkbook(WorkbookSettings):
    """One of several workbooks ([[workbooks]]): a name, and its own recipients and schedule."""

    name: str = ""
    summary: WorkbookSummary = WorkbookSummary()
    schedule: WorkbookSchedule = WorkbookSchedule()


class RuleSettings(_Section):
    ignore: tuple[RuleCode, ...] = ()
    severity: dict[RuleCode, Literal["error", "warning"]] = {}
    at_risk_points: float = Field(default=25, ge=0, le=100)
    stale_after_days: int = Field(default=365, gt=0)
    lead_days: int = Field(default=30, ge=0)
    locale: str = ""
    timezone: TimeZoneName = ""

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value:
            from babel import Locale, UnknownLocaleError

            try:
                Locale.parse(value)
            except (ValueError, UnknownLocaleError):
                raise ValueError(
                    "is not a locale; use a code such as en_US, en_GB or fr_FR"
                ) from None
        return value


class TabSettings(_Section):
    strategy: str = "Strategy"
    plan: str = "Plan"
    calendar: str = "Calendar"
    checks: str = "Checks"
    history: str = "History"


def _mail_address(value: str) -> str:
    """One address, `name@example.com` or `Name <name@example.com>`, on one line."""
    from email.utils import getaddresses

    found = getaddresses([value])
    one_line = not any(ch in value for ch in "\r\n")
    if not one_line or len(found) != 1 or not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+", found[0][1]):
        raise ValueError(
            f"{value!r} is not an e-mail address; write it as name@example.com or "
            '"Name <name@example.com>", one per entry'
        )
    return value.strip()


MailAddress = Annotated[str, AfterValidator(_mail_address)]


class SummarySettings(_Section):
    to: tuple[MailAddress, ...] = ()
    cc: tuple[MailAddress, ...] = ()
    sender: MailAddress = "sheetsync <sheetsync@localhost>"
    reply_to: Annotated[str, AfterValidator(lambda v: _mail_address(v) if v else v)] = ""
    transport: Literal["outbox", "smtp"] = "outbox"
    outbox: str = "outbox"
    templates: str = ""


class SmtpSettings(_Section):
    host: str = "localhost"
    port: int = Field(default=587, gt=0, lt=65536)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password_env: str = "SHEETSYNC_SMTP_PASSWORD"
    timeout: float = Field(default=30, gt=0)
    retry_for_seconds: float = Field(default=120, ge=0)

    @model_validator(mode="after")
    def _plain_only_on_this_machine(self) -> SmtpSettings:
        if self.security == "none" and self.host not in ("localhost", "127.0.0.1", "::1"):
            raise ValueError(
                'security = "none" sends the password and the summary unencrypted, so it is '
                'allowed only for a server on this machine (host = "localhost"); use '
                '"starttls" or "tls"'
            )
        return self


class StateSettings(_Section):
    path: str = ""  # "" = state.db in the user data folder (platformdirs)


class ScheduleSettings(_Section):
    sync: CronExpression = "*/30 * * * *"
    summary: CronExpression = "0 8 1 * *"
    timezone: TimeZoneName = ""
    workers: int = Field(default=4, gt=0, le=64)  # workbooks run at once
    misfire_grace: float = Field(default=300, gt=0)  # seconds late a run may still start
    stop_timeout: float = Field(default=10, gt=0)  # seconds from SIGTERM to exit
    lock_wait: float = Field(default=5, ge=0)  # seconds to wait for another run's lock


class Settings(_Section):
    workbook: WorkbookSettings = WorkbookSettings()
    workbooks: tuple[ListedWorkbook, ...] = ()
    google: GoogleSettings = GoogleSettings()
    rules: RuleSettings = RuleSettings()
    tabs: TabSettings = TabSettings()
    aliases: dict[str, tuple[str, ...]] = {}  # canonical header -> other header texts
    summary: SummarySettings = SummarySettings()
    smtp: SmtpSettings = SmtpSettings()
    state: StateSettings = StateSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    source: str = ""  # the config file read, "" when none

    @field_validator("workbooks")
    @classmethod
    def _workbooks_named(
        cls, workbooks: tuple[ListedWorkbook, ...], info: ValidationInfo
    ) -> tuple[ListedWorkbook, ...]:
        single = info.data.get("workbook")
        if workbooks and single is not None and single.location:
            raise ValueError("give either one [workbook] or several [[workbooks]], not both")
        seen: set[str] = set()
        for number, table in enumerate(workbooks, start=1):
            if not table.name.strip():
                raise ValueError(f'table {number} needs a `name`, e.g. name = "bakery"')
            if not table.location:
                raise ValueError(
                    f"{table.name!r} needs `path` (a local .xlsx) or `spreadsheet` "
                    "(a Google Sheets URL or key)"
                )
            if table.name.casefold() in seen:
                raise ValueError(f"two tables are named {table.name!r}; give each its own name")
            seen.add(table.name.casefold())
        return workbooks

    @field_validator("aliases")
    @classmethod
    def _known_headers(cls, aliases: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        from sheetsync.schema import ALL_HEADERS

        for header in aliases:
            if header.strip().casefold() not in ALL_HEADERS:
                raise ValueError(
                    f"{header!r} is not a sheetsync column; aliases are keyed by the "
                    'column names in the README (e.g. "Due" = ["Deadline"])'
                )
        return aliases


def check_timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not a time zone; use an IANA name such as Europe/London") from None
    return name


def find_config(explicit: str | None) -> Path | None:
    """The config file to read: --config, then $SHEETSYNC_CONFIG, then ./sheetsync.toml."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.exists() else None


def load_settings(config: str | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Read, merge and validate settings. `overrides` are dotted keys from flags."""
    path = find_config(config)
    data: dict[str, Any] = {}
    if path is not None:
        data = _read_toml(path)
        _resolve_relative_paths(data, path.parent)
        data["source"] = str(path)
    from_environment = environment_overrides(os.environ)
    for dotted, value in from_environment.items():
        _set_dotted(data, dotted, value)
    flags = {dotted: value for dotted, value in (overrides or {}).items() if value is not None}
    for dotted, value in flags.items():
        _set_dotted(data, dotted, value)
    # A mistake in a value a flag replaced is not the environment's to explain.
    blamed = {
        dotted: (_variable(dotted), os.environ[_variable(dotted)])
        for dotted in from_environment
        if dotted not in flags
    }
    settings = validate_settings(data, blamed)
    _refuse_unknown_variables(os.environ, settings)
    return settings


def environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """`SHEETSYNC_RULES_LOCALE=fr_FR` -> {"rules.locale": "fr_FR"}, for every documented key.

    Values stay text (pydantic reads numbers and true/false from text) except lists,
    written `SS311,SS304` or as a JSON list, and tables, written `SS311=error,SS304=warning`
    or as a JSON object.
    """
    found: dict[str, Any] = {}
    for dotted, annotation in _environment_keys().items():
        variable = _variable(dotted)
        raw = environ.get(variable)
        if raw is None:
            continue
        kind = get_origin(annotation)
        if kind is tuple:
            found[dotted] = _env_list(variable, raw)
        elif kind is dict:
            found[dotted] = _env_table(variable, raw)
        else:
            found[dotted] = raw
    return found


def _environment_keys() -> dict[str, Any]:
    """Every `section.key` an environment variable can set, with its type."""
    return {
        f"{section}.{key}": setting.annotation
        for section, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, _Section)
        for key, setting in field.annotation.model_fields.items()
    }


def _variable(dotted: str) -> str:
    return "SHEETSYNC_" + dotted.replace(".", "_").upper()


def _env_list(variable: str, raw: str) -> list[Any]:
    text = raw.strip()
    if not text.startswith("["):
        return [item.strip() for item in text.split(",") if item.strip()]
    value = _json_or_toml(text)
    if not isinstance(value, list):
        raise ConfigError(
            f"Environment variable {variable} = {raw!r} is not a list; separate the items "
            f'with commas, e.g. {variable}=SS311,SS304, or write a JSON list, e.g. ["SS311"].'
        )
    return value


def _env_table(variable: str, raw: str) -> dict[str, Any]:
    text = raw.strip()
    if text.startswith("{"):
        value = _json_or_toml(text)
        if isinstance(value, dict):
            return value
    else:
        pairs = [item.partition("=") for item in text.split(",") if item.strip()]
        if all(key.strip() and equals and value.strip() for key, equals, value in pairs):
            return {key.strip(): value.strip() for key, _, value in pairs}
    raise ConfigError(
        f"Environment variable {variable} = {raw!r} is not a table; write pairs separated by "
        f"commas, e.g. {variable}=SS311=error,SS304=warning, or a JSON object, e.g. "
        '{"SS311": "error"}.'
    )


def _json_or_toml(text: str) -> Any:
    """A list or table written as JSON, or as TOML (which also takes `{SS311 = "error"}`)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return None


def _refuse_unknown_variables(environ: Mapping[str, str], settings: Settings) -> None:
    """A misspelled SHEETSYNC_ variable would otherwise change nothing, silently."""
    known = {_variable(dotted) for dotted in _environment_keys()}
    known |= {CONFIG_ENV, settings.smtp.password_env}
    prefix = "SHEETSYNC_"
    for name in sorted(environ):
        if name.upper().startswith(prefix) and name not in known:
            # Compared without the prefix, which every name shares.
            suffixes = [variable.removeprefix(prefix) for variable in known]
            close = difflib.get_close_matches(name.upper().removeprefix(prefix), suffixes)
            advice = (
                f"did you mean {prefix}{close[0]}?"
                if close
                else f"the names are {prefix}<SECTION>_<KEY> for the keys in config.example.toml."
            )
            raise ConfigError(
                f"Environment variable {name} is not a sheetsync setting; {advice} "
                "Rename or unset it."
            )


def validate_settings(
    data: dict[str, Any], environment: Mapping[str, tuple[str, str]] | None = None
) -> Settings:
    """Typed settings, or a ConfigError naming the key that is wrong.

    `environment` maps each `section.key` whose value came from the environment to its
    variable and text, so the sentence names the variable rather than the key.
    """
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_explain(error, data, environment or {})) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"Config file {path} does not exist. Check the path given by --config or "
            f"${CONFIG_ENV}, or copy config.example.toml to {DEFAULT_CONFIG_NAME}."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"Config file {path} cannot be read ({error}).") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"Config file {path} is not valid TOML: {error}. Quote text values, e.g. "
            'path = "marketing.xlsx".'
        ) from None


_PATH_KEYS = {
    "workbook": ("path",),
    "summary": ("outbox", "templates"),
    "state": ("path",),
}


def _resolve_relative_paths(data: dict[str, Any], base: Path) -> None:
    """Relative paths in a config file mean relative to that file's folder."""
    sections = [(name, data.get(name)) for name in _PATH_KEYS]
    sections += [("workbook", table) for table in data.get("workbooks", []) or []]
    google = data.get("google")
    if isinstance(google, dict):
        credentials = google.get("credentials")
        if isinstance(credentials, str) and credentials not in ("", "oauth", "adc", "none"):
            google["credentials"] = str(base / credentials)
    for name, table in sections:
        if not isinstance(table, dict):
            continue
        for key in _PATH_KEYS[name]:
            value = table.get(key)
            if isinstance(value, str) and value:
                table[key] = str(base / value)


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *sections, key = dotted.split(".")
    table = data
    for section in sections:
        table = table.setdefault(section, {})
    table[key] = value


# Pydantic's words for the mistakes a config can make, said for a marketer.
_PLAIN_WORDS = {
    "int_parsing": "must be a whole number, e.g. 30",
    "int_from_float": "must be a whole number, e.g. 30",
    "int_type": "must be a whole number, e.g. 30",
    "float_parsing": "must be a number, e.g. 25",
    "float_type": "must be a number, e.g. 25",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": 'must be text in quotes, e.g. "Plan"',
    "tuple_type": 'must be a list, e.g. ["SS311"]',
    "list_type": 'must be a list, e.g. ["SS311"]',
    "dict_type": 'must be a table, e.g. {SS311 = "error"}',
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be {ge} or more",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be {le} or less",
    "literal_error": "must be one of {expected}",
}


def _explain(
    error: ValidationError, data: dict[str, Any], environment: Mapping[str, tuple[str, str]]
) -> str:
    first = error.errors()[0]
    location = ".".join(_key_names(first["loc"], data))
    source = data.get("source", "")
    where = f" in {source}" if source else ""
    words = _PLAIN_WORDS.get(first["type"])
    message = (
        words.format(**first.get("ctx", {}))
        if words
        else first["msg"].removeprefix("Value error, ")
    )
    if first["type"] == "extra_forbidden":
        return (
            f"Config key `{location}`{where} is not a sheetsync setting. Check its spelling "
            "against config.example.toml, or remove it."
        )
    for dotted, (variable, raw) in environment.items():
        if location == dotted or location.startswith(f"{dotted}."):
            return (
                f"Environment variable {variable} = {raw!r}: {message}. "
                f"See `{dotted}` in config.example.toml."
            )
    value = first.get("input")
    shown = "" if isinstance(value, dict | list | tuple) else f" = {value!r}"
    return f"Config key `{location}`{shown}{where}: {message}. See config.example.toml."


def _key_names(loc: tuple[int | str, ...], data: dict[str, Any]) -> list[str]:
    """The key path as the user wrote it: a [[workbooks]] table by its name, not its index."""
    names = [str(part) for part in loc if part != "[key]"]
    if len(loc) > 1 and loc[0] == "workbooks" and isinstance(loc[1], int):
        tables = data.get("workbooks") or []
        table = tables[loc[1]] if loc[1] < len(tables) else {}
        label = table.get("name") if isinstance(table, dict) else None
        names[1] = str(label) if label else f"#{loc[1] + 1}"
    return names
