"""Column mappings: how a registry with its own column names becomes canonical records, without Python.

A mapping is a small YAML file (documented in ``schema/formats.md``)::

    kind: organizations              # optional; otherwise detected from the mapped columns
    columns:                         # source column -> canonical field
      Firmenname: name
      Kennung: id
    constants:                       # a fixed value for every row
      role: firm
    values:                          # per canonical field: source value -> canonical value
      role: {Uni: university, FH: university}
    templates:                       # used only where the field is empty; counted in the summary
      name: "{type} {pic} ({country})"
    ignore: [Bemerkung]              # source columns deliberately dropped
    list_separator: ","              # list-valued cells split on this instead of ";"

Without a mapping, column names are matched to canonical fields case-insensitively (spaces and hyphens as
underscores); any other column is ignored and reported.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from schema.characters import strip
from schema.errors import IngestError, capped, echo
from schema.models import LIST_FIELDS, LIST_SEPARATOR, RecordKind

CANONICAL_FIELDS: frozenset[str] = frozenset(name for kind in RecordKind for name in kind.model.model_fields)
MAX_FILLED = 100_000
"""The most characters a template fills, beyond what any field takes (a description 5,000, a list 100 items
of 200): a template repeating ``{column}`` a thousand times over cells of a megabyte would fill gigabytes for
each row, to be rejected as too long once built."""


class TemplateTooLong(Exception):
    """A template would fill more than :data:`MAX_FILLED` characters: the row is rejected naming the field."""

    def __init__(self, field_name: str, length: int) -> None:
        self.field = field_name
        self.reason = (
            f"the mapping's template fills {length:,} characters, more than any field takes ({MAX_FILLED:,})"
        )
        super().__init__(self.reason)


class _Loader(yaml.SafeLoader):
    """Safe YAML without aliases and without a key twice. An alias (``*name``) may repeat a node
    exponentially (a few hundred bytes expanding to gigabytes), and a mapping never needs one; a repeated
    key would silently win over the first."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases ({echo('*' + event.anchor)}) are not allowed in a mapping file",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):
                continue  # a list or a table as a key (`? [a, b]`): SafeLoader names it unhashable below
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {echo(key)} appears twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@lru_cache(maxsize=4096)
def canonical_name(column: str) -> str:
    """``"Registry ID"`` -> ``"registry_id"``: how headers are compared with canonical field names."""
    return re.sub(r"[\s\-]+", "_", column.strip().lower())


@dataclass(frozen=True)
class Mapping:
    """A validated mapping; :meth:`apply` turns one source row into canonical values."""

    kind: RecordKind | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    list_separator: str = LIST_SEPARATOR
    origin: str = "(identity)"
    _cache: dict[Any, list[tuple[str, str]]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, path: Path) -> Mapping:
        """Read and check a mapping file; a mistake in it is an :class:`IngestError` naming the file."""
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark
            where = f"line {mark.line + 1:,}, column {mark.column + 1:,}: " if mark else ""
            problem = capped(" ".join(part for part in (e.context, e.problem) if part))
            raise IngestError(f"mapping {path}: {where}{problem}") from e
        except OSError as e:  # the system's reason alone: its text repeats the path, "[Errno 2] … 'x.yaml'"
            raise IngestError(f"mapping {path}: cannot be read: {e.strerror or e}") from e
        except (UnicodeDecodeError, yaml.YAMLError) as e:
            raise IngestError(f"mapping {path}: cannot be read: {e}") from e
        except RecursionError:  # PyYAML parses nesting by recursion: 1,000 levels end it
            raise IngestError(
                f"mapping {path}: nested too deeply to read; a mapping needs three levels (values: field: "
                "source value: value)"
            ) from None
        if data is None:  # a file cut to nothing, or a mapping still to write: it would map nothing, silently
            raise IngestError(
                f"mapping {path}: holds no mapping (empty, or comments alone); its keys are kind, columns, "
                "constants, values, templates, ignore"
            )
        return cls.from_dict(data, origin=str(path))

    @classmethod
    def from_dict(cls, data: MappingABC[str, Any], *, origin: str = "(inline)") -> Mapping:
        def fail(message: str) -> IngestError:
            return IngestError(f"mapping {origin}: {message}")

        if not isinstance(data, MappingABC):
            raise fail("must be a YAML mapping with keys kind, columns, constants, values, templates, ignore")
        unknown = set(data) - {
            "kind",
            "columns",
            "constants",
            "values",
            "templates",
            "ignore",
            "list_separator",
        }
        if unknown:
            raise fail(f"unknown keys {echo(', '.join(sorted(map(str, unknown))))}")
        kind = None
        if data.get("kind"):
            try:
                kind = RecordKind(str(data["kind"]).strip().lower())
            except ValueError:
                raise fail(
                    f"unknown kind {echo(data['kind'])}; expected one of {[k.value for k in RecordKind]}"
                ) from None
        sections = {name: data.get(name) or {} for name in ("columns", "constants", "values", "templates")}
        for name, section in sections.items():
            if not isinstance(section, MappingABC):
                raise fail(f"{name} must be a mapping")
        allowed = set(kind.model.model_fields) if kind else CANONICAL_FIELDS
        columns = {str(k): str(v) for k, v in sections["columns"].items()}
        targets = [*columns.values(), *sections["constants"], *sections["values"], *sections["templates"]]
        bad = sorted({str(t) for t in targets if t not in allowed})
        if bad:
            raise fail(
                f"{echo(', '.join(bad))} are not canonical fields{f' of {kind.value}' if kind else ''}"
            )
        for target, table in sections["values"].items():
            if not isinstance(table, MappingABC | None):
                raise fail(
                    f"values of {target} must be a mapping of source value to canonical value, "
                    f"not {echo(table)}"
                )
        ignore = data.get("ignore") or ()
        if isinstance(ignore, str):
            ignore = (ignore,)
        if not isinstance(ignore, list | tuple) or any(isinstance(c, MappingABC | list) for c in ignore):
            raise fail(f"ignore must be a list of column names, not {echo(ignore)}")
        separator = data.get("list_separator", LIST_SEPARATOR)
        if not isinstance(separator, str) or not separator:  # an empty one would split nothing
            raise fail(f"list_separator must be a text such as ',', not {echo(separator)}")
        for target, template in sections["templates"].items():
            problem = _template_problem(str(template))
            if problem:
                raise fail(f"template of {target}: {problem}")
        return cls(
            kind=kind,
            columns=columns,
            constants=dict(sections["constants"]),
            values={str(k): {str(a): b for a, b in (v or {}).items()} for k, v in sections["values"].items()},
            templates={str(k): str(v) for k, v in sections["templates"].items()},
            ignore=frozenset(str(c) for c in ignore),
            list_separator=separator,
            origin=origin,
        )

    def targets(self, source_columns: list[str]) -> dict[str, str]:
        """Which source column feeds which canonical field, for a file with these columns."""
        if self.columns:
            return {column: self.columns[column] for column in source_columns if column in self.columns}
        return {
            column: canonical_name(column)
            for column in source_columns
            if canonical_name(column) in CANONICAL_FIELDS
        }

    def clash(self, source_columns: list[str]) -> str | None:
        """Without explicit ``columns``, two source columns that read as one field (``Name`` and ``name``)
        would silently overwrite each other: say which, or None. (Explicit columns may name fallbacks.)"""
        if self.columns:
            return None
        first: dict[str, str] = {}
        for column, target in self.targets(source_columns).items():
            if target in first:
                return f"columns {echo(first[target])} and {echo(column)} both read as field {target!r}"
            first[target] = column
        return None

    def fields(self, source_columns: list[str]) -> set[str]:
        """The canonical fields a file provides through this mapping (kind detection reads them)."""
        return {*self.targets(source_columns).values(), *self.constants, *self.templates}

    def template_columns(self) -> set[str]:
        """Source columns the templates read."""
        return {
            name
            for template in self.templates.values()
            for _, name, _, _ in string.Formatter().parse(template)
            if name
        }

    def absent_template_columns(self, source_columns: list[str]) -> str | None:
        """A template naming a column the file does not have would fill every row it serves from empty
        text (``{typ} {pic}`` would make names such as ``"999"``): say which template and column, or None."""
        present = set(source_columns)
        for target, template in self.templates.items():
            missing = [name for _, name in _pieces(template) if name is not None and name not in present]
            if missing:
                return (
                    f"the template of {target} in mapping {self.origin} reads column {echo(missing[0])}, "
                    "which the file does not have"
                )
        return None

    def _pairs(self, columns: tuple[str, ...], allowed: frozenset[str]) -> list[tuple[str, str]]:
        """(source column, canonical field) pairs for rows with these columns; cached, since the rows of a
        CSV file all share one header."""
        key = (columns, allowed)
        pairs = self._cache.get(key)
        if pairs is None:
            candidates = self.columns.items() if self.columns else ((c, canonical_name(c)) for c in columns)
            pairs = [(column, target) for column, target in candidates if target in allowed]
            if len(self._cache) < 1024:
                self._cache[key] = pairs
        return pairs

    def apply(self, row: dict[str, Any], allowed: frozenset[str]) -> tuple[dict[str, Any], list[str]]:
        """Canonical values (only ``allowed`` fields) of one source row, and the fields a template filled;
        :class:`TemplateTooLong` where a template would fill more than :data:`MAX_FILLED` characters."""
        out: dict[str, Any] = dict(self.constants)
        for column, target in self._pairs(tuple(row), allowed):
            value = row.get(column)
            if isinstance(value, str):
                value = strip(value)
            if value in (None, "") and target in out:
                continue
            out[target] = value
        for target, table in self.values.items():
            value = out.get(target)
            if isinstance(value, str) and value in table:
                out[target] = table[value]
        if self.list_separator != LIST_SEPARATOR:
            for target in LIST_FIELDS & out.keys():
                if isinstance(out[target], str):
                    out[target] = out[target].split(self.list_separator)
        templated = []
        for target, template in self.templates.items():
            if out.get(target) in (None, ""):
                out[target] = " ".join(_fill(target, template, row).split())
                templated.append(target)
        return out, templated


@lru_cache(maxsize=256)
def _pieces(template: str) -> tuple[tuple[str, str | None], ...]:
    """A checked template as (literal text, column or None) pieces."""
    return tuple((literal, name) for literal, name, _, _ in string.Formatter().parse(template))


def _fill(target: str, template: str, row: dict[str, Any]) -> str:
    """The template of ``target`` with each ``{column}`` replaced by the row's value, read as text; a column
    the row lacks, or an empty cell, reads as empty. A column name is only ever a key of the row: a dot or a
    bracket in it is part of the name, never an attribute or an index (``str.format`` would follow them).
    The length is summed before the text is joined, so an overlong one costs no memory."""
    out = []
    for literal, name in _pieces(template):
        out.append(literal)
        if name is not None:
            value = row.get(name)
            out.append("" if value is None else str(value))
    length = sum(map(len, out))
    if length > MAX_FILLED:
        raise TemplateTooLong(target, length)
    return "".join(out)


def _template_problem(template: str) -> str | None:
    """Why ``template`` is not ``{column}`` text (None if it is): a template names columns, nothing more."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        return str(e)
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        field = echo(f"{{{name}}}")
        if not name.strip() or name.isdigit():
            return f"{field} does not name a column; write {{column}} with a column of the file"
        if conversion:
            return f"{echo(f'{{{name}!{conversion}}}')}: a conversion is not supported; write {field}"
        if spec:
            return f"{echo(f'{{{name}:{spec}}}')}: a format is not supported; write {field}"
    return None


IDENTITY = Mapping()
