"""A corpus of malformed registry files, each with what a run must say and do about it.

Every case writes small files whose organization ids start with the case's name, so a test can tell the rows
the case committed from the rest of the graph. ``error`` holds the parts of the fatal error the CLI must print
(the file, the position, the reason); ``loaded`` the ids the run must commit; ``rejects`` the reject reasons
by row; ``run`` the state of the run record (``None``: the run failed before writing, so it has none).
CSV and gzip cases are in ``tests.utils.bad_csv``, JSON cases in ``tests.utils.bad_json``; the mapping and
several-file cases here.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

BATCH = 2  # rows per write batch in the corpus runs, so a run that stops has committed several batches


@dataclass(frozen=True)
class Bad:
    name: str
    files: dict[str, bytes]
    loaded: tuple[str, ...] = ()
    rejects: dict[int, str] = field(default_factory=dict)
    error: tuple[str, ...] = ()
    run: str | None = "completed"
    args: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()  # files passed to the run that do not exist

    @property
    def rows(self) -> int:
        return len(self.loaded) + len(self.rejects)

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            (folder / name).write_bytes(data)
        data = [name for name in self.files if not name.endswith((".yaml", ".yml"))]
        return [folder / name for name in (*data, *self.absent)]


def ids(case: str, *numbers: int) -> tuple[str, ...]:
    return tuple(f"{case}-{n}" for n in numbers)


def line(case: str, n: int, role: str = "firm") -> str:
    return f"{case}-{n},Name {case} {n},{role}\n"


def lines(case: str, *numbers: int) -> str:
    return "".join(line(case, n) for n in numbers)


def item(case: str, n: int) -> dict[str, str]:
    return {"id": f"{case}-{n}", "name": f"Name {case} {n}", "role": "firm"}


def jsonl(case: str, *numbers: int) -> str:
    return "".join(json.dumps(item(case, n)) + "\n" for n in numbers)


def array(case: str, *numbers: int) -> str:
    return "[\n" + ",\n".join(json.dumps(item(case, n)) for n in numbers) + "\n]\n"


HEADER = "id,name,role\n"
DEEP = '{"x": ' * 100_000 + "1" + "}" * 100_000


BOMB = "".join(
    f"{x}: &{x} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, x in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def mapping_cases() -> list[Bad]:
    c: list[Bad] = []

    def add(name: str, mapping: str | bytes, error: tuple[str, ...]) -> None:
        data = mapping.encode() if isinstance(mapping, str) else mapping
        files = {f"{name}.csv": (HEADER + lines(name, 1)).encode(), f"{name}.mapping.yaml": data}
        c.append(Bad(name, files, error=("mapping ", f"{name}.mapping.yaml: ", *error), run=None))

    add("mapping_alias_bomb", BOMB, ("line 2, column", "aliases ('*a') are not allowed"))
    add("mapping_alias", "columns: &c {id: id}\nvalues: *c\n", ("line 2", "aliases ('*c') are not allowed"))
    add(
        "mapping_duplicate_key",
        "columns:\n  id: id\n  id: name\n",
        ("line 3, column 3", "'id' appears twice"),
    )
    add("mapping_syntax", "columns: [id\n", ("line 2",))
    add("mapping_not_utf8", b"columns:\n  Stra\xdfe: city\n", ("cannot be read", "utf-8"))
    add("mapping_unknown_key", "colums: {id: id}\n", ("unknown keys 'colums'",))
    # a section of the wrong shape was a Python traceback (AttributeError, TypeError), or silently wrong
    add(
        "mapping_values_not_a_table",
        "values:\n  role: [firm, vendor]\n",
        ("values of role must be a mapping",),
    )
    add("mapping_values_a_number", "values:\n  role: 5\n", ("values of role must be a mapping",))
    add("mapping_ignore_a_number", "ignore: 5\n", ("ignore must be a list of column names",))
    add("mapping_ignore_a_table", "ignore: {a: 1}\n", ("ignore must be a list of column names",))
    add("mapping_separator_a_list", "list_separator: [1]\n", ("list_separator must be a text",))
    add("mapping_separator_empty", "list_separator: ''\n", ("list_separator must be a text",))
    # an empty mapping (a file cut to nothing, one still to write) mapped nothing, and the run completed
    add("mapping_empty", "", ("holds no mapping (empty, or comments alone)",))
    add("mapping_comments_alone", "# columns:\n#   Firma: name\n", ("holds no mapping (empty, or comments",))

    # Templates fill a field the row leaves empty: a template that is not `{column}` text was a traceback
    # at the first row it filled (ValueError, IndexError, AttributeError), and a width of 10^8 made a
    # string of 100 MB per row. Each is now refused when the mapping is read.
    def template(name: str, text: str, error: tuple[str, ...]) -> None:
        files = {
            f"{name}.csv": f"id,role\n{name}-1,firm\n".encode(),
            f"{name}.mapping.yaml": f"templates:\n  name: '{text}'\n".encode(),
        }
        c.append(Bad(name, files, error=("mapping ", f"{name}.mapping.yaml: ", *error), run=None))

    template("mapping_template_positional", "{0} GmbH", ("template of name", "{0}", "name a column"))
    template("mapping_template_empty_field", "{} GmbH", ("template of name", "{}", "name a column"))
    template("mapping_template_width", "{id:>99999999}", ("template of name", "format", "{id}"))
    template("mapping_template_conversion", "{id!r}", ("template of name", "conversion", "{id}"))
    # a template naming a column the file lacks filled every nameless row from empty text ("{typ} {pic}"
    # named an organization "1"): the file is refused, naming the template and the column
    absent = "mapping_template_absent_column"
    c.append(
        Bad(
            absent,
            {
                f"{absent}.csv": f"id,role,name\n{absent}-1,firm,\n{absent}-2,firm,Named\n".encode(),
                f"{absent}.mapping.yaml": b"templates:\n  name: '{typ} {id}'\n",
            },
            error=(f"{absent}.csv", "the header", "template of name", "reads column 'typ'", "does not have"),
            run=None,
        )
    )
    # PyYAML parses nesting by recursion: a few thousand levels were a RecursionError traceback
    add("mapping_deep_lists", "ignore: " + "[" * 100_000 + "]" * 100_000 + "\n", ("nested too deeply",))
    add("mapping_deep_tables", "ignore: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n", ("nested too deeply",))
    # a list or a table as a key was a TypeError traceback (unhashable type: 'list')
    add("mapping_list_key", "columns: {? [a, b] : id}\n", ("line 1, column 13", "unhashable key"))
    add("mapping_table_key", "columns:\n  ? {a: 1}\n  : id\n", ("line 2", "unhashable key"))
    # a column whose name holds a dot or brackets is read as a column, never as an attribute or index
    dotted = "mapping_template_dotted"
    c.append(
        Bad(
            dotted,
            {
                f"{dotted}.csv": f"id,role,Reg. No.,x[0]\n{dotted}-1,firm,FN 1,y\n".encode(),
                f"{dotted}.mapping.yaml": b"templates:\n  name: '{Reg. No.} {x[0]}'\n",
            },
            loaded=ids(dotted, 1),
        )
    )
    # a template repeating a column filled, from a megabyte cell, gigabytes for each row (2,000 times a cell
    # of 1 MB: 137 s and 5.8 GB for three rows), to reject the row as too long once built
    bomb = "mapping_template_bomb"
    note = "n" * 200_000
    c.append(
        Bad(
            bomb,
            {
                f"{bomb}.csv": f"id,role,name,note\n{bomb}-1,firm,,{note}\n{bomb}-2,firm,H,{note}\n".encode(),
                f"{bomb}.mapping.yaml": (
                    "ignore: [note]\ntemplates:\n  name: '" + "{note}" * 2000 + "'\n"
                ).encode(),
            },
            loaded=ids(bomb, 2),
            rejects={
                2: "the mapping's template fills 400,000,000 characters, more than any field takes (100,000) "
                "| name"
            },
        )
    )
    attribute = "mapping_template_attribute"
    c.append(
        Bad(
            attribute,
            {
                f"{attribute}.csv": f"id,role\n{attribute}-1,firm\n".encode(),
                f"{attribute}.mapping.yaml": b"templates:\n  name: '{id} {id.__class__}'\n",
            },
            error=(f"{attribute}.csv", "reads column 'id.__class__', which the file does not have"),
            run=None,
        )
    )
    return c


def many_file_cases() -> list[Bad]:
    n = "good_then_cut"
    good = (HEADER + lines(n, 1, 2, 3)).encode()
    cut = array(n, 4, 5, 6, 7)[:-40].encode()
    first = Bad(
        n,
        {f"{n}_good.csv": good, f"{n}_cut.json": cut},
        run=None,
        error=(f"{n}_cut.json", "item 4 (line 5)", "cut short inside this item"),
    )
    n = "good_then_gzip_cut"
    whole = gzip.compress((HEADER + lines(n, *range(10, 5000))).encode(), mtime=0)
    second = Bad(
        n,
        {f"{n}_good.csv": (HEADER + lines(n, 1, 2)).encode(), f"{n}_cut.csv.gz": whole[:3000]},
        run=None,
        error=(f"{n}_cut.csv.gz", "cut short"),
    )
    n = "good_then_missing"
    third = Bad(
        n,
        {f"{n}_good.csv": (HEADER + lines(n, 1)).encode()},
        run=None,
        absent=(f"{n}_absent.csv",),
        error=(f"{n}_absent.csv", "no such file"),
    )
    n = "good_then_cut_late"
    late = Bad(
        n,
        {
            f"{n}_good.csv": (HEADER + lines(n, 1, 2, 3)).encode(),
            f"{n}_cut.json": array(n, *range(4, 1105))[:-60].encode(),
            f"{n}_members.csv": f"organization,cluster\n{n}-1,C1\n".encode(),
        },
        loaded=ids(n, *range(1, 1104)),
        run="failed",
        args=("--batch-size", "300"),
        error=(
            f"{n}_cut.json",
            "item 1,101",
            "cut short inside this item",
            "not loaded:",
            f"{n}_members.csv",
        ),
    )
    return [first, second, third, late]
