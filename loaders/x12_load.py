"""Land an X12 file (EDI 850 purchase orders) as one raw row per segment.

The delimiters are the ones the interchange header declares: the ISA segment has a fixed
width of 106 characters, its 4th character is the element separator, its element 16 the
component separator and the character after it the segment terminator; from version
00402 on (005010 files) its element 11 is the repetition separator. A CR or LF after a
segment terminator is not part of the next segment.

The whole file is split in DuckDB (read_text, string_split, unnest): each segment keeps its
text, its elements as a JSON array of text (element 0 is the segment id), the delimiters
and the number of its interchange in the file. Its position is its segment number (the
ISA is segment 1).

The file is rejected whole only when it cannot be split into segments: it does not start
with an ISA, an ISA is not 106 characters or ends with another segment terminator than the
first (each interchange may declare its own element, component and repetition separators),
a segment is empty or starts with no segment id, the bytes are not UTF-8. Envelope problems
(control numbers, counts, a missing IEA, GE or SE) land: dbt reports them and the 997
acknowledgement says so (models/intermediate/int_edi_envelope_failures.sql).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders.contract import FileKind
from loaders.csv_load import LoadResult, describe_engine_error, literal_path
from loaders.errors import EngineFailure, FileRejected

ISA_LENGTH = 106  # the fixed-width ISA segment, its segment terminator included
HEAD_BYTES = 4096
LEADING = "\ufeff \t\r\n"  # a BOM or blank space before the ISA is not part of the interchange
LANDING_TABLE = "temp.main._x12_landing"


@dataclass(frozen=True)
class Delimiters:
    element: str
    component: str
    segment: str
    repetition: str | None


def read_delimiters(path: Path) -> Delimiters:
    """The delimiters the file's first ISA declares; FileRejected when it has none."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    text = head.decode("utf-8", errors="replace").lstrip(LEADING)
    if not text:
        raise FileRejected("the file is empty: an X12 file starts with an ISA segment")
    if not text.startswith("ISA"):
        raise FileRejected(
            "segment 1 does not start with ISA: an X12 file starts with its interchange header (ISA), "
            "which declares the delimiters"
        )
    if len(text) < ISA_LENGTH:
        raise FileRejected(
            f"segment 1 (ISA) has {len(text)} characters where the fixed-width ISA has {ISA_LENGTH} "
            "(its segment terminator included): the file is cut short or is not X12"
        )
    isa = text[:ISA_LENGTH]
    if "\ufffd" in isa:
        raise FileRejected("segment 1 (ISA) is not valid UTF-8 text")
    element, component, segment = isa[3], isa[104], isa[105]
    parts = isa[:105].split(element)
    if len(parts) != 17 or parts[16] != component:
        raise FileRejected(
            f"segment 1 (ISA) is not the fixed-width ISA: its element separator (character 4) splits its "
            f"first 105 characters into {len(parts) - 1} elements, not 16 (an ISA pads each element to "
            "its fixed width)"
        )
    delimiters = {element, component, segment}
    if len(delimiters) != 3 or any(char.isalnum() or char == " " for char in delimiters):
        raise FileRejected(
            "segment 1 (ISA) declares unusable delimiters: the element separator (character 4), the "
            "component separator (ISA16) and the segment terminator (character 106) must be three "
            "different characters, none a letter, digit or space"
        )
    version = parts[12]
    repetition = parts[11] if version.isdigit() and int(version) >= 402 else None
    if repetition is not None and (len(repetition) != 1 or repetition.isalnum() or repetition in delimiters):
        raise FileRejected(
            f"segment 1 (ISA) is version {version}, whose ISA11 is the repetition separator, but ISA11 is not "
            "one character other than the delimiters"
        )
    return Delimiters(element, component, segment, repetition)


def _utf8_problem(path: Path, terminator: str) -> str:
    """Where the first byte that is not UTF-8 sits: its segment and byte offset."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        segment = data.count(terminator.encode("utf-8"), 0, exc.start) + 1
        return (
            f"segment {segment} (byte {exc.start}) is not valid UTF-8 text: deliver the file in UTF-8 "
            "(or ASCII, as X12 is)"
        )
    return "the file is not valid UTF-8 text"


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


# One row per segment: the text between two segment terminators, CR and LF around it dropped.
# The piece after the last terminator is no segment when it is blank. "problem" says why a
# segment cannot be read (the file is then rejected at the first one).
SEGMENTS_SQL = f"""
create or replace temp table {LANDING_TABLE} as
with pieces as (
    select
        unnest(string_split(body, $terminator)) as piece,
        generate_subscripts(string_split(body, $terminator), 1) as segment_number
    from (select ltrim(content, $leading) as body from read_text($path))
),
segments as (
    select
        segment_number,
        trim(piece, chr(13) || chr(10)) as segment_text,
        segment_number = max(segment_number) over () as is_last
    from pieces
),
-- Each interchange's ISA declares its element separator (its 4th character) and its
-- component separator (its last): a segment uses those of the ISA before it.
declared as (
    select
        segment_number,
        segment_text,
        case when segment_text like 'ISA%' then substr(segment_text, 4, 1) end as isa_element,
        case when segment_text like 'ISA%' then substr(segment_text, length(segment_text), 1) end as isa_component
    from segments
    where not (is_last and trim(segment_text, ' ' || chr(9)) = '')
),
delimited as (
    select
        segment_number,
        segment_text,
        isa_element is not null as is_isa,
        coalesce(last_value(isa_element ignore nulls) over running, $element) as element_separator,
        coalesce(last_value(isa_component ignore nulls) over running, $component) as component_separator,
        count(isa_element) over running as interchange_number
    from declared
    window running as (order by segment_number rows between unbounded preceding and current row)
),
split as (
    select
        *,
        string_split(segment_text, element_separator) as parts
    from delimited
),
-- 005010's ISA11 (ISA12 00402 and later) is the repetition separator; 004010's is a code.
repeated as (
    select
        *,
        last_value(
            case when is_isa then case when try_cast(parts[13] as integer) >= 402 then parts[12] else '' end end
            ignore nulls
        ) over (order by segment_number rows between unbounded preceding and current row) as repetition_separator
    from split
)
select
    segment_number,
    segment_text,
    parts[1] as segment_id,
    to_json(parts)::varchar as elements,
    element_separator,
    component_separator,
    nullif(repetition_separator, '') as repetition_separator,
    greatest(interchange_number, 1) as interchange_number,
    case
        when segment_text = ''
            then 'is empty (two segment terminators with nothing between them)'
        when not regexp_full_match(parts[1], '[A-Za-z0-9]{{2,3}}')
            then 'starts with no segment id (2 or 3 letters or digits before the first element separator)'
        when is_isa and (
            length(segment_text) <> {ISA_LENGTH - 1} or len(parts) <> 17 or parts[17] <> component_separator
        )
            then 'is an ISA that is not the fixed-width ISA of 106 characters, or ends with another segment '
                || 'terminator than the file''s first ISA (one file uses one segment terminator)'
        when is_isa and (
            regexp_matches(element_separator || component_separator, '[A-Za-z0-9 ]')
            or element_separator = component_separator
            or $terminator in (element_separator, component_separator)
        )
            then 'is an ISA that declares unusable delimiters (letters, digits, spaces, or the same character twice)'
    end as problem
from repeated
"""  # noqa: S608 - constants

INSERT_SQL = f"""
insert into raw.edi_segments (
    interchange_number, segment_id, segment_text, elements, element_separator, component_separator,
    repetition_separator, segment_terminator, _extra_columns, _source_file, _source_line, _source_position,
    _file_sha256, _load_id, _loaded_at
)
select
    cast(interchange_number as varchar), segment_id, segment_text, elements, element_separator,
    component_separator, repetition_separator, ?, null, ?, segment_number, 'segment ' || segment_number, ?, ?, ?
from {LANDING_TABLE}
order by segment_number
"""  # noqa: S608 - a constant name


def land_x12(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: FileKind,
    *,
    source_file: str,
    load_id: int,
    loaded_at: object,
    on_step: Callable[[str], None] | None = None,
) -> LoadResult:
    """Insert every segment of the file into raw.edi_segments, inside the caller's transaction."""
    step = on_step or (lambda _name: None)
    step("reading")
    delimiters = read_delimiters(path)
    try:
        con.execute(
            SEGMENTS_SQL,
            {
                "path": literal_path(path),
                "leading": LEADING,
                "terminator": delimiters.segment,
                "element": delimiters.element,
                "component": delimiters.component,
            },
        )
    except duckdb.InvalidInputException as exc:
        if "UTF-8" in str(exc):
            raise FileRejected(_utf8_problem(path, delimiters.segment)) from None
        raise EngineFailure(describe_engine_error(exc)) from exc
    except duckdb.Error as exc:
        raise EngineFailure(describe_engine_error(exc)) from exc
    found = con.execute(
        f"select segment_number, problem from {LANDING_TABLE} where problem is not null "  # noqa: S608 - a constant name
        "order by segment_number limit 1"
    ).fetchone()
    if found:
        raise FileRejected(
            f"segment {found[0]} {found[1]}: the file cannot be split into segments and is rejected whole "
            "(fix it and deliver it again)"
        )
    step("landing")
    try:
        con.execute(
            INSERT_SQL,
            [
                delimiters.segment,
                source_file,
                _sha256(path),
                load_id,
                loaded_at,
            ],
        )
        rows = con.execute(f"select count(*) from {LANDING_TABLE}").fetchone()[0]  # noqa: S608 - a constant name
        con.execute(f"drop table {LANDING_TABLE}")
    except duckdb.Error as exc:
        raise EngineFailure(describe_engine_error(exc)) from exc
    return LoadResult(rows)
