"""Malformed CSV files, plain and gzip-compressed (see ``tests.utils.bad_files``)."""

from __future__ import annotations

import codecs
import gzip
import io
import random
import zipfile

from tests.utils.bad_files import HEADER, Bad, array, ids, line, lines


def csv_cases() -> list[Bad]:
    c: list[Bad] = []

    def add(name: str, text: str | bytes, file: str = "", **expected: object) -> None:
        data = text.encode() if isinstance(text, str) else text
        c.append(Bad(name, {file or f"{name}.csv": data}, **expected))  # type: ignore[arg-type]

    n = "quote_eof"
    add(
        n,
        HEADER + line(n, 1) + f'{n}-2,"Open quote,firm\n' + lines(n, 3, 4),
        loaded=ids(n, 1, 3, 4),
        rejects={3: "quote opened in this row is never closed"},
    )
    n = "quote_closed_later"
    add(
        n,
        HEADER + f'{n}-1,"Open,firm\n' + lines(n, 2) + f'{n}-3,"Next",firm\n' + lines(n, 4),
        loaded=ids(n, 2, 3, 4),
        rejects={2: "quote opened in this row runs on over 3 lines"},
    )
    n = "quote_wrong_cells"
    add(
        n,
        HEADER + f'{n}-1,"Open,firm\n{n}-2,x",firm,extra\n' + lines(n, 3),
        loaded=ids(n, 3),
        rejects={
            2: "runs over 2 lines and leaves 4 cells where the header has 3 columns",
            3: "4 cells but the header has 3 columns",
        },
    )
    n = "text_after_quote"
    add(
        n,
        HEADER + f'{n}-1,"Acme"GmbH,firm\n' + lines(n, 2),
        loaded=ids(n, 2),
        rejects={2: "text follows a closing quote"},
    )
    n = "runaway_quote"
    fat = "".join(f"{n}-{i},Name {i},firm,{'d' * 4900}\n" for i in range(2, 232))
    add(
        n,
        "id,name,role,description\n" + f'{n}-1,"Open,firm,\n' + fat,
        loaded=ids(n, *range(2, 232)),
        rejects={2: "still open after"},
        args=("--batch-size", "100"),
    )
    n = "same_id_other_values"
    add(
        n,
        HEADER + lines(n, 1, 2) + line(n, 1, "vendor") + lines(n, 3),
        loaded=ids(n, 1, 2, 3),
        rejects={4: f"organization '{n}-1' is already at row 2 of this file with role 'firm', not 'vendor'"},
    )
    n = "short_row"
    add(
        n,
        HEADER + f"{n}-1,Short\n" + lines(n, 2),
        loaded=ids(n, 2),
        rejects={2: "2 cells but the header has 3 columns"},
    )
    n = "long_row"
    add(
        n,
        HEADER + f"{n}-1,Long,firm,surplus\n" + lines(n, 2),
        loaded=ids(n, 2),
        rejects={2: "4 cells but the header has 3 columns"},
    )
    # Counts and positions in messages were printed without a thousands separator ("100003 cells"), unlike
    # the rest ("line 5,001")
    n = "very_long_row"
    add(
        n,
        HEADER + f"{n}-1,Long,firm" + "," * 100_000 + "\n" + lines(n, 2),
        loaded=ids(n, 2),
        rejects={2: "100,003 cells but the header has 3 columns"},
    )
    n = "one_cell_row"
    add(n, HEADER + lines(n, 1) + f"{n}-2\n", loaded=ids(n, 1), rejects={3: "1 cell but the header has 3"})
    n = "duplicate_header"
    add(
        n,
        "id,name,role,name\n" + f"{n}-1,A,firm,B\n",
        error=(f"{n}.csv", "line 1", "column 'name' appears twice in the header (columns 2 and 4)"),
        run=None,
    )
    n = "duplicate_header_bom"
    add(
        n,
        "\ufeffid,name,role,id\n" + f"{n}-1,A,firm,x\n",
        error=(f"{n}.csv", "line 1", "column 'id' appears twice"),
        run=None,
    )
    n = "header_case_clash"
    add(
        n,
        "id,Name,role,name\n" + f"{n}-1,A,firm,B\n",
        error=(f"{n}.csv", "the header", "columns 'Name' and 'name' both read as field 'name'"),
        run=None,
    )
    n = "header_quote"
    add(
        n,
        'id,"name,role\n' + lines(n, 1),
        error=(f"{n}.csv", "line 1: the header: a quote opened in this row is never closed"),
        run=None,
    )
    n = "header_only"
    add(n, HEADER)
    n = "empty"
    add(n, "", error=(f"{n}.csv", "the file is empty"), run=None)
    n = "whitespace_only"
    add(n, " \n\n\t\n", error=(f"{n}.csv", "the file is empty"), run=None)
    n = "blank_lines"
    add(n, "\n" + HEADER + "\n" + line(n, 1) + ",,\n\n" + line(n, 2), loaded=ids(n, 1, 2))
    n = "missing_id"
    add(
        n,
        HEADER + ",Nameless,firm\n" + lines(n, 1),
        loaded=ids(n, 1),
        rejects={2: "required field is missing or empty"},
    )
    n = "bad_role"
    add(n, HEADER + f"{n}-1,A,spaceship\n" + lines(n, 2), loaded=ids(n, 2), rejects={2: "spaceship"})
    n = "semicolon_short"
    add(
        n,
        "id;name;role\n" + f"{n}-1;A\n{n}-2;B;firm\n",
        loaded=ids(n, 2),
        rejects={2: "2 cells but the header has 3"},
    )
    n = "cr_line_ends"
    add(
        n,
        (HEADER + lines(n, 1, 2) + f'{n}-3,"Open,firm\n').replace("\n", "\r"),
        loaded=ids(n, 1, 2),
        rejects={4: "never closed"},
    )
    n = "no_kind"
    add(n, "colour,taste\nred,sweet\n", error=(f"{n}.csv", "cannot tell what kind of records"), run=None)
    # NaN and infinities passed the number parser and failed the range check, whose reason ("should be less
    # than or equal to 90") did not fit the value
    n = "not_finite"
    add(
        n,
        "id,name,role,lat,lon\n"
        + f"{n}-1,A,firm,nan,14.2\n{n}-2,B,firm,48.1,-inf\n{n}-3,C,firm,1e400,14.2\n{n}-4,D,firm,48.1,14.2\n",
        loaded=ids(n, 4),
        rejects={
            2: "Input should be a finite number | lat",
            3: "finite number | lon",
            4: "finite number | lat",
        },
    )
    # A number in a date was read as seconds since 1970: a registry's 0 for "unknown" became 1970-01-01
    n = "date_as_number"
    add(
        n,
        "source,target,kind,since\n"
        + "".join(f"{n}-1,{n}-2,supplier,{d}\n" for d in ("0", "1556668800", "20190501")),
        rejects={
            2: "'0' is not a date: write YYYY-MM-DD",
            3: "'1556668800' is not a date",
            4: "'20190501' is not",
        },
    )
    # A placeholder date ("unknown", "open") was stored as the oldest or newest tie of a cluster
    n = "date_placeholder"
    plausible = (
        "is not a plausible date: dates lie from 1900 to 2100; a placeholder for an unknown or open date is "
        "left empty"
    )
    add(
        n,
        "source,target,kind,since\n"
        + "".join(f"{n}-1,{n}-2,supplier,{d}\n" for d in ("0001-01-01", "9999-12-31", "1899", "2101-01")),
        rejects={
            2: f"0001-01-01 {plausible} | since",
            3: f"9999-12-31 {plausible}",
            4: f"1899-01-01 {plausible}",
            5: f"2101-01-01 {plausible}",
        },
    )
    n = "project_end_placeholder"
    add(
        n,
        "id,title,start,end\n" + f"{n}-1,Open,2019-05-01,9999-12-31\n{n}-2,Old,0001-01-01,2020\n",
        rejects={
            2: f"9999-12-31 {plausible} | end",
            3: f"0001-01-01 {plausible} | start",
        },
    )
    n = "markup_in_values"  # registry text that looks like console markup is printed as itself
    add(n, "organization,cluster\n[/boom],[bold]x\n", rejects={2: "organization '[/boom]' exists nowhere"})
    # UTF-8 up to a byte that is not: the whole file was read as cp1252, its UTF-8 letters stored garbled
    # ("Grün" as "GrÃ¼n"), silently
    n = "mixed_encodings"
    add(
        n,
        (HEADER + f"{n}-1,Grün,firm\n" + lines(n, 2)).encode() + f"{n}-3,Café,firm\n".encode("cp1252"),
        error=(f"{n}.csv", "line 4", "bytes b'\\xe9' are not UTF-8", "line 2 holds", "mixes encodings"),
        run=None,
    )
    # cp1252 up to UTF-8 letters further on: the whole file was read as cp1252, "Müller" of line 49 stored
    # as "MÃ¼ller", silently
    n = "legacy_then_utf8"
    add(
        n,
        (HEADER + f"{n}-1,Müller,firm\n" + lines(n, *range(2, 48))).encode("cp1252")
        + f"{n}-48,Müller,firm\n".encode(),
        error=(
            f"{n}.csv",
            "line 49",
            "bytes b'\\xc3\\xbc' are UTF-8 for 'ü'",
            "line 2 holds b'\\xfc', cp1252 for 'ü'",
            "mixes encodings",
        ),
        run=None,
    )
    # a file name is printed at the head of each message about the file: a line break in it forged lines of
    # the summary, an escape sequence recoloured or cleared the terminal
    for n, name in (
        ("name_line_break", "name_line_break\n  x.csv:2 role: ok.csv"),
        ("name_escape", "name_\x1b[2J.csv"),
    ):
        add(
            n,
            HEADER + lines(n, 1),
            file=name,
            error=(repr(name)[1:-1], "the path holds the control character"),
            run=None,
        )
    # UTF-8's byte order mark, then a cp1252 byte: detection stopped at the mark, and loading stopped part
    # way, at a line the decoder's read-ahead made wrong ("after line 4,871" for line 5,001)
    n = "bom_then_cp1252"
    add(
        n,
        codecs.BOM_UTF8
        + (HEADER + lines(n, *range(1, 5000))).encode()
        + f"{n}-5000,Café,firm\n".encode("cp1252"),
        error=(
            f"{n}.csv",
            "line 5,001",
            "bytes b'\\xe9' are not UTF-8, yet the file starts with UTF-8's byte order mark",
        ),
        run=None,
    )
    # UTF-16 without a byte order mark reads as UTF-8 with NULs between the letters: the reason was "no
    # column names a known field", and with --kind every row was rejected for missing fields
    for n, codec in (("utf16le_no_bom", "utf-16-le"), ("utf16be_no_bom", "utf-16-be")):
        add(
            n,
            (HEADER + lines(n, 1)).encode(codec),
            error=(
                f"{n}.csv",
                "line 1",
                "the header holds NUL characters",
                "UTF-16 without a byte order mark",
            ),
            run=None,
        )
    n = "zip_as_csv"  # an archive saved under a .csv name
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(zipfile.ZipInfo("firms.csv", date_time=(2020, 1, 1, 0, 0, 0)), HEADER + lines(n, 1))
    add(
        n,
        archive.getvalue(),
        error=(f"{n}.csv", "line 1", "NUL characters", "this is not a text file"),
        run=None,
    )
    n = "binary_noise"
    add(n, bytes(range(256)) * 8, error=(f"{n}.csv",), run=None)
    n = "binary_without_nul"  # given a kind, its rows were all rejected and the run completed
    add(
        n,
        bytes(range(1, 256)) * 8,
        error=(f"{n}.csv", "line 1", "the header holds the control character U+0001 at character 1"),
        args=("--kind", "organizations"),
        run=None,
    )
    return c


def gzip_cases() -> list[Bad]:
    c: list[Bad] = []
    # One line longer than 16 MiB (a few KB gzipped) was read whole before it was parsed: 500 MB took 1.1 GB
    # of memory. It is rejected and skipped a chunk at a time; within a quote left open, the quote's row is
    # rejected and the long line after it too.
    long_line = "z" * (17 * 1024 * 1024)
    n = "gzip_long_line"
    text = HEADER + line(n, 1) + f"{n}-2,{long_line},firm\n" + lines(n, 3)
    c.append(
        Bad(
            n,
            {f"{n}.csv.gz": gzip.compress(text.encode(), mtime=0)},
            loaded=ids(n, 1, 3),
            rejects={3: "the line is longer than 16 MiB"},
        )
    )
    n = "gzip_long_line_in_quote"
    text = HEADER + line(n, 1) + f'{n}-2,"Open,firm\n' + lines(n, 3) + long_line + "\n" + lines(n, 5)
    c.append(
        Bad(
            n,
            {f"{n}.csv.gz": gzip.compress(text.encode(), mtime=0)},
            loaded=ids(n, 1, 3, 5),
            rejects={3: "runs on into a line that is too long", 5: "the line is longer than 16 MiB"},
        )
    )
    n = "gzip_long_header"
    c.append(
        Bad(
            n,
            {f"{n}.csv.gz": gzip.compress((long_line + "\n" + lines(n, 1)).encode(), mtime=0)},
            error=(f"{n}.csv.gz", "line 1", "the header: the line is longer than 16 MiB"),
            run=None,
        )
    )
    n = "gzip_cut"
    whole = gzip.compress((HEADER + lines(n, *range(1, 20001))).encode(), mtime=0)
    c.append(
        Bad(
            n,
            {f"{n}.csv.gz": whole[: len(whole) // 2]},
            run=None,
            error=(f"{n}.csv.gz", "bytes of content", "the file is cut short"),
        )
    )
    n = "gzip_corrupt"
    whole = gzip.compress((HEADER + lines(n, *range(1, 2001))).encode(), mtime=0)
    broken = whole[:200] + bytes(64) + whole[264:]
    c.append(Bad(n, {f"{n}.csv.gz": broken}, run=None, error=(f"{n}.csv.gz", "bytes of content", "corrupt")))
    n = "gzip_header_only"
    c.append(Bad(n, {f"{n}.csv.gz": b"\x1f\x8b\x08"}, run=None, error=(f"{n}.csv.gz", "cut short")))
    n = "gzip_bad_method"
    c.append(
        Bad(
            n,
            {f"{n}.csv.gz": b"\x1f\x8b" + bytes(30)},
            run=None,
            error=(f"{n}.csv.gz", "not a valid gzip file"),
        )
    )
    # Bytes after the gzip data were named "after 0 bytes of content: not a valid gzip file (Not a gzipped
    # file (b'ju'))": Python's reader fails on them before it hands over what it has decompressed
    n = "gzip_trailing_junk"
    text = (HEADER + lines(n, *range(1, 3001))).encode()
    stream = gzip.compress(text, mtime=0)
    c.append(
        Bad(
            n,
            {f"{n}.csv.gz": stream + b"\0\0junk after the stream"},
            run=None,
            error=(
                f"{n}.csv.gz",
                f"after {len(stream) + 2:,} bytes of the file",
                f"the gzip data ends there ({len(text):,} bytes of content) and is followed by 21 bytes that "
                "are not gzip (b'junk after the s')",
            ),
        )
    )
    # Bytes after the gzip data that start with gzip's mark (1f 8b) were named as a file broken at its start
    # ("after 0 bytes of content: not a valid gzip file (Unknown compression method)"), and a second stream
    # cut short as the file cut short there
    n = "gzip_trailing_gzip_mark"
    cut = gzip.compress(b"more", mtime=0)[:12]
    for name, after, why in (
        ("junk", b"\x1f\x8bjunk after the stream", "unknown compression method"),
        ("cut", cut, "it ends before a gzip stream does"),
    ):
        c.append(
            Bad(
                f"{n}_{name}",
                {f"{n}_{name}.csv.gz": stream + b"\0" + after},
                run=None,
                error=(
                    f"{n}_{name}.csv.gz",
                    f"after {len(stream) + 1:,} bytes of the file",
                    f"the gzip data ends there ({len(text):,} bytes of content) and is followed by "
                    f"{len(after)} bytes that start with gzip's mark but are not a whole gzip stream "
                    f"({after[:16]!r}: {why}): something was added to the file after it was compressed, or "
                    "its next stream is cut short",
                ),
            )
        )
    n = "gzip_empty"
    c.append(
        Bad(
            n,
            {f"{n}.csv.gz": gzip.compress(b"", mtime=0)},
            run=None,
            error=(f"{n}.csv.gz", "the file is empty"),
        )
    )
    n = "gzip_json_cut"
    whole = gzip.compress(array(n, *range(1, 3001)).encode(), mtime=0)
    c.append(
        Bad(
            n,
            {f"{n}.json.gz": whole[: len(whole) * 2 // 3]},
            run=None,
            error=(f"{n}.json.gz", "bytes of content", "cut short"),
        )
    )
    # UTF-16 with a byte order mark: detection stops at the mark, so the cut (past the 256 KiB that detection
    # reads at once) is met while loading, after every row before it is written; the run says exactly how
    # many. Long descriptions of varied letters keep the rows few and the compression modest.
    n = "gzip_cut_while_loading"
    letters = random.Random(0)
    text = "id,name,role,description\n" + "".join(
        f"{n}-{i},Café {i},firm,{''.join(letters.choices('abcdefgh ', k=4000))}\n" for i in range(1, 101)
    )
    whole = gzip.compress(text.encode("utf-16"), mtime=0)
    c.append(
        Bad(
            n,
            {f"{n}.csv.gz": whole[: len(whole) * 9 // 10]},
            run="failed",
            loaded=("*",),
            args=("--batch-size", "20"),
            error=(f"{n}.csv.gz", "after line", "the file is cut short"),
        )
    )
    return c
