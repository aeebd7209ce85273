"""Malformed JSON and JSONL files (see ``tests.utils.bad_files``)."""

from __future__ import annotations

import gzip
import json

from tests.utils.bad_files import DEEP, HEADER, Bad, array, ids, item, jsonl, lines


def json_cases() -> list[Bad]:
    c: list[Bad] = []

    def add(name: str, text: str, suffix: str = ".json", **expected: object) -> None:
        c.append(Bad(name, {name + suffix: text.encode()}, **expected))  # type: ignore[arg-type]

    n = "array_cut"
    add(
        n,
        array(n, *range(1, 12))[:-60],
        loaded=ids(n, *range(1, 11)),
        run=None,
        error=(f"{n}.json", "item 11 (line 12)", "the file is cut short inside this item"),
    )
    n = "array_unclosed"
    add(
        n,
        array(n, 1, 2, 3)[:-3],
        run=None,
        error=(f"{n}.json", "item 3", "ends without its closing ']' after item 3"),
    )
    n = "array_bad_item"
    add(
        n,
        array(n, 1, 2).replace("]\n", ',\n{"id": tru}, ' + json.dumps(item(n, 3)) + "]"),
        run=None,
        error=(f"{n}.json", "item 3 (line 5)", "not valid JSON at line 5, column 8"),
    )
    # an item nested too deeply for Python's parser was a break: the whole file failed (within the first
    # 1,000 items) or the run stopped there; it is one rejected item, skimmed without recursion
    n = "array_deep_item"
    add(
        n,
        array(n, 1, 2).replace("]\n", ",\n" + DEEP + ",\n" + json.dumps(item(n, 4)) + "]"),
        loaded=ids(n, 1, 2, 4),
        rejects={3: "nested too deeply to read"},
    )
    # Past the 1,000 items planning samples, a break is met while loading: what was read before it is
    # committed, and the run says exactly that.
    n = "array_cut_late"
    add(
        n,
        array(n, *range(1, 1101))[:-60],
        loaded=ids(n, *range(1, 1100)),
        run="failed",
        args=("--batch-size", "300"),
        error=(f"{n}.json", "item 1,100 (line 1,101)", "the file is cut short inside this item"),
    )
    n = "array_deep_late"
    add(
        n,
        array(n, *range(1, 1051)).replace("]\n", ",\n" + DEEP + ",\n" + json.dumps(item(n, 1052)) + "]"),
        loaded=ids(n, *range(1, 1051), 1052),
        rejects={1051: "nested too deeply to read"},
        args=("--batch-size", "300"),
    )
    n = "array_deep_cut"  # the end of a deep item is looked for; the file ends first
    add(
        n,
        array(n, 1).replace("]\n", ",\n" + "[" * 5000),
        run=None,
        error=(f"{n}.json", "item 2", "nested too deeply", "the file is cut short inside it"),
    )
    n = "array_scalar_items"
    add(
        n,
        "[" + json.dumps(item(n, 1)) + ', 7, "text", [1], ' + json.dumps(item(n, 2)) + "]",
        loaded=ids(n, 1, 2),
        rejects={2: "an item must hold one object", 3: "one object", 4: "one object"},
    )
    n = "array_duplicate_key"
    add(
        n,
        '[{"id": "x", "id": "y", "name": "A", "role": "firm"}, ' + json.dumps(item(n, 1)) + "]",
        loaded=ids(n, 1),
        rejects={1: "key 'id' appears twice"},
    )
    n = "array_trailing_text"
    add(
        n,
        array(n, 1, 2) + "[]\n",
        run=None,
        error=(f"{n}.json", "line 5", "text follows the closing ']'"),
    )
    n = "array_empty"  # no record, so no column tells the kind
    add(n, "[]", error=(f"{n}.json", "cannot tell what kind of records"), run=None)
    n = "object_pretty"
    add(
        n,
        json.dumps(item(n, 1), indent=2),
        error=(f"{n}.json", "line 1", "a JSON object spread over several lines"),
        run=None,
    )
    # A .json file that holds no array and no object was read as CSV: its first line a header, its records
    # none; with --kind it loaded nothing, said nothing and completed.
    n = "json_null"
    add(
        n,
        "null",
        error=(f"{n}.json", "line 1", "holds a JSON array of objects", "starts with 'null'"),
        run=None,
    )
    n = "json_number_with_kind"
    add(
        n,
        "42\n",
        args=("--kind", "organizations"),
        error=(f"{n}.json", "line 1", "holds a JSON array of objects", "starts with '42'"),
        run=None,
    )
    n = "json_holding_csv"
    add(
        n,
        HEADER + lines(n, 1, 2),
        args=("--kind", "organizations"),
        error=(f"{n}.json", "line 1", "starts with 'id,name,role'"),
        run=None,
    )
    n = "jsonl_deep"
    add(
        n,
        jsonl(n, 1) + DEEP + "\n" + jsonl(n, 3),
        ".jsonl",
        loaded=ids(n, 1, 3),
        rejects={2: "nested too deeply to read"},
    )
    n = "jsonl_invalid"
    add(
        n,
        jsonl(n, 1) + '{"id": "x", oops}\n' + jsonl(n, 3),
        ".jsonl",
        loaded=ids(n, 1, 3),
        rejects={2: "not valid JSON: Expecting property name enclosed in double quotes at column 13"},
    )
    n = "jsonl_array_line"
    add(
        n,
        jsonl(n, 1) + "[1, 2]\n" + jsonl(n, 3),
        ".jsonl",
        loaded=ids(n, 1, 3),
        rejects={2: "a JSONL line must hold one object"},
    )
    n = "jsonl_duplicate_key"
    add(
        n,
        jsonl(n, 1) + '{"id": "a", "name": "A", "role": "firm", "role": "vendor"}\n',
        ".jsonl",
        loaded=ids(n, 1),
        rejects={2: "key 'role' appears twice"},
    )
    n = "jsonl_cut_line"
    add(
        n,
        jsonl(n, 1, 2) + json.dumps(item(n, 3))[:-12],
        ".jsonl",
        loaded=ids(n, 1, 2),
        rejects={3: "not valid JSON: Unterminated string"},
    )
    n = "jsonl_bad_values"
    add(
        n,
        jsonl(n, 1) + '{"id": ["a"], "name": {"x": 1}, "role": "firm"}\n',
        ".jsonl",
        loaded=ids(n, 1),
        rejects={2: "id"},
    )
    n = "jsonl_long_line"  # read whole before it was parsed (see gzip_long_line)
    c.append(
        Bad(
            n,
            {
                f"{n}.jsonl.gz": gzip.compress(
                    (jsonl(n, 1) + "x" * (17 * 1024 * 1024) + "\n" + jsonl(n, 3)).encode(), mtime=0
                )
            },
            loaded=ids(n, 1, 3),
            rejects={2: "the line is longer than 16 MiB"},
        )
    )
    # Python's JSON parser reads NaN, Infinity and 1e400 (as infinity), none of them JSON: an id became 'nan'
    # or 'inf'. An integer of more than 4,300 digits was a ValueError traceback.
    n = "jsonl_not_finite"
    add(
        n,
        jsonl(n, 1)
        + f'{{"id": "{n}-2", "name": "B", "role": "firm", "lat": NaN, "lon": 1}}\n'
        + f'{{"id": "{n}-3", "name": "C", "role": "firm", "lat": 1, "lon": Infinity}}\n'
        + f'{{"id": "{n}-4", "name": "D", "role": "firm", "lat": 1e400, "lon": 1}}\n',
        ".jsonl",
        loaded=ids(n, 1),
        rejects={
            2: "not valid JSON: NaN is not a JSON number",
            3: "not valid JSON: Infinity is not a JSON number",
            4: "not valid JSON: the number '1e400' is too large",
        },
    )
    n = "jsonl_long_number"
    add(
        n,
        jsonl(n, 1) + '{"id": ' + "1" * 5000 + ', "name": "B", "role": "firm"}\n' + jsonl(n, 3),
        ".jsonl",
        loaded=ids(n, 1, 3),
        rejects={2: "not valid JSON: a number of 5,000 digits is too long"},
    )
    n = "array_long_number"
    add(
        n,
        array(n, 1).replace(
            "]\n", ',\n{"id": ' + "9" * 5000 + ', "name": {"id": NaN}}, ' + json.dumps(item(n, 3)) + "]"
        ),
        loaded=ids(n, 1, 3),
        rejects={2: "a number of 5,000 digits is too long"},
    )
    # A JSON lines name settles the format: these were read as CSV (the first line taken for a header) or as
    # a JSON array.
    n = "jsonl_first_line_csv"
    add(
        n,
        HEADER + jsonl(n, 2, 3),
        ".jsonl",
        loaded=ids(n, 2, 3),
        rejects={1: "not valid JSON: Expecting value at column 1"},
    )
    n = "ndjson_first_line_array"
    add(
        n,
        "[1, 2]\n" + jsonl(n, 2),
        ".ndjson",
        loaded=ids(n, 2),
        rejects={1: "a JSONL line must hold one object"},
    )
    n = "jsonl_no_object"
    add(
        n,
        HEADER + lines(n, 2, 3),
        ".jsonl",
        run=None,
        error=(f"{n}.jsonl", "line 1", "not valid JSON", "no line of its 3 lines holds an object"),
    )
    return c
