"""The canonical records of the graph, as pydantic models: what a registry row must say to become a node
or a link.

Ingest validates every row against these models before anything touches Neo4j; the API validates
``upsertOrganization`` input with :class:`OrganizationRecord`. The models know nothing about files: values
arrive as Python values or as text (as read from CSV), and the validators coerce text the way registries
write it (``;``-separated lists, ``"1,234"`` style numbers, ``Uni``-style enum spellings need a mapping).
Every failure message names what was expected, so the reject report is readable by the data team.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from schema.characters import MULTILINE, refuse_control_characters, strip
from schema.dates import json_text, partial
from schema.errors import echo
from schema.graph_model import ClusterStage, CollaborationKind, Role, Visibility

LIST_SEPARATOR = ";"
MAX_ID = 200
MAX_NAME = 300
MAX_TEXT = 5000
MAX_SHORT = 200
MAX_LIST_ITEMS = 100
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_YEAR = 2100
"""The dates a record may hold (a membership's or a collaboration's ``since``, a project's ``start`` and
``end``) lie from :data:`EARLIEST_DATE` to the end of :data:`LATEST_YEAR`, and a founding year no later:
outside lie the placeholders registries write for "unknown" or "open" (``0001-01-01``, ``9999-12-31``), which
stored would count as the oldest tie of a cluster or the newest. A founding year may be older (universities
go back to 1088)."""


def _split_list(value: Any) -> Any:
    """A list column: a JSON list, or one ``;``-separated cell. Empty items are dropped, order kept."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(LIST_SEPARATOR)]
    elif isinstance(value, list | tuple):
        items = [str(item).strip() for item in value if item is not None]
    else:
        return value
    items = [item for item in items if item]
    return items if len(set(items)) == len(items) else list(dict.fromkeys(items))


def _compact(value: str) -> str:
    return value.replace("\u00a0", "").replace(" ", "").replace("'", "")


def _float_text(value: Any) -> Any:
    """Decimal numbers: ``48,21`` (decimal comma, as European spreadsheets write it) is ``48.21``."""
    if isinstance(value, str) and "," in value:
        text = _compact(value)
        return text.replace(",", ".") if re.fullmatch(r"-?\d*,\d+", text) else text
    return value


def _int_text(value: Any) -> Any:
    """Counts: ``1,234``, ``1.234`` and ``1 234`` (thousands separators) are 1234; ``12.0`` is 12."""
    if isinstance(value, str) and not value.isdigit():
        text = _compact(value)
        if re.fullmatch(r"-?\d{1,3}([,.]\d{3})+", text):
            return re.sub(r"[,.]", "", text)
        if re.fullmatch(r"-?\d+\.0+", text):
            return text.split(".")[0]
        return text
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _date_text(value: Any) -> Any:
    """Dates as ``2019``, ``2019-05`` or ``2019-05-01``; times are dropped. A year or a month is a
    :class:`~schema.dates.PartialDate`: its first day, knowing the precision given."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        if len(value) == 10 and value[4] == "-" and value[7] == "-":  # already ISO: most rows
            return value
        if given := partial(value):
            return given
        if re.fullmatch(r"\d{4}-\d{2}", value):  # not a month (``2019-13``): validation says why
            return f"{value}-01"
        if len(value) > 10 and re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ].*", value):
            return value[:10]
    return value


# How registry text is coerced before validation, by canonical field name (a name means the same in every
# kind). One pass per record in ``Record._prepare``, so validation stays fast on millions of rows.
_COERCE: dict[str, Callable[[Any], Any]] = {
    "lat": _float_text,
    "lon": _float_text,
    "weight": _float_text,
    "employees": _int_text,
    "founded": _int_text,
    "since": _date_text,
    "start": _date_text,
    "end": _date_text,
    "sectors": _split_list,
    "capabilities": _split_list,
    "needed_capabilities": _split_list,
    "clusters": _split_list,
}


def _enum_coercer(enum: type[StrEnum], noun: str) -> Any:
    """Accept an enum value in any case, with spaces or hyphens for underscores; say what was expected."""

    members = enum._value2member_map_

    def coerce(value: Any) -> Any:
        member = members.get(value) if isinstance(value, str) else None
        if member is not None:  # the exact value (or the member itself): most rows
            return member
        text = str(value).strip().lower()
        if text in members:
            return members[text]
        try:
            return enum(re.sub(r"[\s\-]+", "_", text))
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise ValueError(f"unknown {noun} {echo(value)}; expected one of: {allowed}") from None

    return coerce


def _addressable(value: str) -> str:
    """An id is also a segment of its page's address, and every URL parser (the browser's too) reads a
    segment "." or ".." as a step in the path, escaped or not: such an organization or cluster would have no
    page to reach."""
    if value in (".", ".."):
        raise ValueError(f"the id {value!r} cannot be a web page's address: '.' and '..' are steps in a path")
    return value


Id = Annotated[str, Field(min_length=1, max_length=MAX_ID), AfterValidator(_addressable)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Short = Annotated[str | None, Field(max_length=MAX_SHORT)]
Text = Annotated[str | None, Field(max_length=MAX_TEXT), MULTILINE]
Items = Annotated[list[Annotated[str, Field(max_length=MAX_SHORT)]], Field(max_length=MAX_LIST_ITEMS)]


def _not_a_count_of_seconds(value: Any) -> Any:
    """pydantic reads a number as seconds since 1970: a registry's ``0`` for "unknown" would become
    1970-01-01, ``1556668800`` 2019-05-01, and ``20190501`` would fail for a reason about times of day. A
    number other than a year (made a date by ``_date_text`` before this runs) is not a date."""
    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if isinstance(text, str) and re.fullmatch(r"[+-]?\d+(\.\d*)?", text.strip()):
        raise ValueError(f"{echo(text)} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY")
    return value


def _plausible(value: dt.date | None) -> dt.date | None:
    """A date within :data:`EARLIEST_DATE` .. :data:`LATEST_YEAR`."""
    if value is not None and not EARLIEST_DATE <= value <= dt.date(LATEST_YEAR, 12, 31):
        raise ValueError(
            f"{value.isoformat()} is not a plausible date: dates lie from {EARLIEST_DATE.year} to "
            f"{LATEST_YEAR}; a placeholder for an unknown or open date is left empty"
        )
    return value


OptionalDate = Annotated[
    dt.date | None,
    BeforeValidator(_not_a_count_of_seconds),
    AfterValidator(_plausible),
    PlainSerializer(json_text, when_used="json-unless-none"),
]
"""A date, as given: written back to JSON as ``2019`` or ``2019-05`` where the registry gave no more."""


class Record(BaseModel):
    """Base of every canonical record: unknown fields are an error (a mapping must name them), strings are
    stripped (once, in ``_prepare``), an empty value counts as absent, numbers given for text fields become
    text, and the record is immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
    multiline: ClassVar[frozenset[str]] = frozenset()
    """The fields marked ``MULTILINE``: tabs and line breaks allowed (``schema.characters``)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.multiline = frozenset(name for name, f in cls.model_fields.items() if MULTILINE in f.metadata)

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = {}
        printable = True
        for key, value in data.items():
            if isinstance(value, str):
                printable = printable and value.isprintable()
                value = strip(value)
                if not value:
                    continue
            elif value is None:
                continue
            elif isinstance(value, list | tuple):
                printable = printable and all(not isinstance(v, str) or v.isprintable() for v in value)
            out[key] = value
        if not printable:  # rare: a line break in a text, or a control character
            refuse_control_characters(cls.__name__, data, cls.multiline)
        for key in _COERCE.keys() & out.keys():
            out[key] = _COERCE[key](out[key])
        return out


class OrganizationRecord(Record):
    """An organization of any role; ``description`` says what it offers, ``needs`` what it seeks."""

    id: Id
    name: Name
    role: Annotated[Role, BeforeValidator(_enum_coercer(Role, "role"))]
    description: Text = None
    needs: Text = None
    needs_visibility: Annotated[Visibility, BeforeValidator(_enum_coercer(Visibility, "visibility"))] = (
        Visibility.PUBLIC
    )
    website: Annotated[str | None, Field(max_length=500)] = None
    country: Short = None
    region: Short = None
    city: Short = None
    lat: Annotated[float | None, Field(ge=-90, le=90, allow_inf_nan=False)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180, allow_inf_nan=False)] = None
    employees: Annotated[int | None, Field(ge=0, le=10_000_000)] = None
    sme: bool | None = None  # a registry's own small-and-medium-enterprise flag, where it has one
    founded: Annotated[int | None, Field(ge=1000, le=LATEST_YEAR)] = None
    sectors: Items = []
    capabilities: Items = []
    needed_capabilities: Items = []
    clusters: Items = []
    registry_id: Annotated[str | None, Field(max_length=100)] = None
    vat: Annotated[str | None, Field(max_length=100)] = None

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str | None) -> str | None:
        return value.upper() if value and len(value) == 2 else value

    @field_validator("vat")
    @classmethod
    def _vat_compact(cls, value: str | None) -> str | None:
        """VAT numbers are written with and without spaces, dots and dashes; compare them compacted."""
        return re.sub(r"[\s.\-]", "", value).upper() if value else value

    @model_validator(mode="after")
    def _coordinates_in_pairs(self) -> OrganizationRecord:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


class ClusterRecord(Record):
    """A cluster: a sector in a region, run (optionally) by a cluster organization."""

    id: Id
    name: Name
    sector: Short = None
    region: Short = None
    stage: Annotated[ClusterStage | None, BeforeValidator(_enum_coercer(ClusterStage, "stage"))] = None
    managed_by: Annotated[str | None, Field(max_length=MAX_ID)] = None


class MembershipRecord(Record):
    """An organization is a member of a cluster since a date."""

    organization: Id
    cluster: Id
    since: OptionalDate = None


class CollaborationRecord(Record):
    """Two organizations work together; stored once per pair and kind, read in both directions."""

    source: Id
    target: Id
    kind: Annotated[
        CollaborationKind, BeforeValidator(_enum_coercer(CollaborationKind, "collaboration kind"))
    ] = CollaborationKind.JOINT_PROJECT
    since: OptionalDate = None
    weight: Annotated[float | None, Field(ge=0, le=1_000_000, allow_inf_nan=False)] = None

    @model_validator(mode="after")
    def _two_sides(self) -> CollaborationRecord:
        if self.source == self.target:
            raise ValueError("an organization cannot collaborate with itself")
        return self


class ProjectRecord(Record):
    """A joint project: its text (title, description, topic) tells what the participants work on."""

    id: Id
    title: Annotated[str | None, Field(max_length=1000), MULTILINE] = None  # CORDIS titles hold line breaks
    acronym: Short = None
    description: Text = None
    topic: Text = None
    programme: Short = None
    start: OptionalDate = None
    end: OptionalDate = None

    @model_validator(mode="after")
    def _ordered_dates(self) -> ProjectRecord:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class ParticipationRecord(Record):
    """An organization takes part in a project (``coordinator``, ``participant``, ...)."""

    project: Id
    organization: Id
    role: Annotated[str | None, Field(max_length=50)] = None

    @field_validator("role")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class RecordKind(StrEnum):
    """The kinds of registry file, in the order they are loaded (what a kind refers to loads before it)."""

    CLUSTERS = "clusters"
    ORGANIZATIONS = "organizations"
    MEMBERSHIPS = "memberships"
    COLLABORATIONS = "collaborations"
    PROJECTS = "projects"
    PARTICIPATIONS = "participations"

    @property
    def model(self) -> type[Record]:
        return RECORD_MODELS[self]

    @property
    def order(self) -> int:
        return list(RecordKind).index(self)


RECORD_MODELS: dict[RecordKind, type[Record]] = {
    RecordKind.CLUSTERS: ClusterRecord,
    RecordKind.ORGANIZATIONS: OrganizationRecord,
    RecordKind.MEMBERSHIPS: MembershipRecord,
    RecordKind.COLLABORATIONS: CollaborationRecord,
    RecordKind.PROJECTS: ProjectRecord,
    RecordKind.PARTICIPATIONS: ParticipationRecord,
}

LIST_FIELDS = frozenset({"sectors", "capabilities", "needed_capabilities", "clusters"})
