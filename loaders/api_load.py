"""Land partner API payloads (api/api_orders_YYYYMMDD[_NAME].json or .xml) into raw.api_orders.

One raw row per order: its JSON text in ``document``, ``payload_format`` (json or xml) and
the batch's ``source`` as delivered in ``integration_source`` (null when absent). Mapping the
fields is dbt's work (models/staging/channels/stg_api__order_lines.sql).

JSON is ``{"source": ..., "orders": [...]}`` or ``{"source": ..., "order": {...}}``, read and
landed by DuckDB (positions ``$.orders[i]``, 0-based, or ``$.order``). XML is
``<orders source="..."><order>...</order></orders>`` or a root ``<order source="...">``,
parsed with defusedxml, which refuses a DTD, an entity declaration and an external reference
(an entity-expansion bomb among them) before expanding anything; each ``<order>`` becomes a
JSON object of the JSON payload's shape (positions ``/orders/order[i]``, 1-based, or ``/order``).
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as StdElementTree  # its Element type and ParseError; defusedxml parses
from collections.abc import Callable
from pathlib import Path

import duckdb
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeElementTree

from loaders.contract import FileKind
from loaders.csv_load import LoadResult
from loaders.errors import FileRejected
from loaders.json_load import FILE_TABLE, document_error, json_kind, land_document_orders, read_into_table

# The elements whose children are a list (each child one item) rather than an object.
LIST_ELEMENTS = {"lines": "line"}


def land_api(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: FileKind,
    *,
    source_file: str,
    load_id: int,
    loaded_at: object,
    on_step: Callable[[str], None] | None = None,
) -> LoadResult:
    """Land every order of an API payload into raw.<kind.raw_table>, inside the caller's
    transaction; raise FileRejected (nothing lands) naming the position of what is wrong."""
    step = on_step or (lambda _name: None)
    step("reading")
    if path.suffix.lower() == ".xml":
        orders, source = read_xml(path)
        step("landing")
        return LoadResult(insert_xml_orders(con, kind, path, orders, source, [source_file, load_id, loaded_at]))
    rows = land_json_payload(con, path, kind, [source_file, load_id, loaded_at], step)
    return LoadResult(rows)


# --- JSON ------------------------------------------------------------------------------------


def land_json_payload(
    con: duckdb.DuckDBPyConnection, path: Path, kind: FileKind, lineage: list, step: Callable[[str], None]
) -> int:
    read_into_table(con, path)
    shape = 'an API payload is {"source": ..., "orders": [...]} or {"source": ..., "order": {...}}'
    # Two queries, not one CASE: DuckDB may evaluate json_type on text json_valid refused, and fail.
    (valid,) = con.execute(f"select json_valid(text) from {FILE_TABLE}").fetchone()  # noqa: S608 - a constant
    if not valid:
        raise FileRejected(document_error(con, path, "the payload is one JSON document"))
    root_type, orders_type, order_type, source_type, source = con.execute(
        "select json_type(text), json_type(text, '$.orders'), json_type(text, '$.order'), "  # noqa: S608 - a constant
        f"json_type(text, '$.source'), json_extract_string(text, '$.source') from {FILE_TABLE}"
    ).fetchone()
    if root_type != "OBJECT":
        raise FileRejected(f"the payload is {json_kind(root_type)}, not an object: {shape}")
    if orders_type is not None and order_type is not None:
        raise FileRejected(f'the payload has both "orders" and "order": {shape}')
    if source_type in ("OBJECT", "ARRAY"):
        raise FileRejected(f"$.source is {json_kind(source_type)}, not a name: {shape}")
    constants = {"payload_format": "json", "integration_source": None if source_type == "NULL" else source}
    step("landing")
    if orders_type == "ARRAY":
        rows = land_document_orders(con, kind, "$.orders", lineage, constants)
    elif order_type == "OBJECT":
        con.execute(
            f"insert into raw.{kind.raw_table} (document, payload_format, integration_source, _source_file, "  # noqa: S608
            "_source_line, _source_position, _file_sha256, _load_id, _loaded_at) "
            f"select json_extract(text, '$.order')::varchar, ?, ?, ?, null, '$.order', sha256, ?, ? from {FILE_TABLE}",
            [*constants.values(), *lineage],
        )
        rows = 1
    elif orders_type is not None:
        raise FileRejected(f"$.orders is {json_kind(orders_type)}, not an array: {shape}")
    elif order_type is not None:
        raise FileRejected(f"$.order is {json_kind(order_type)}, not an order object: {shape}")
    else:
        raise FileRejected(f'the payload has neither "orders" nor "order": {shape}')
    con.execute(f"drop table {FILE_TABLE}")
    return rows


# --- XML -------------------------------------------------------------------------------------


def read_xml(path: Path) -> tuple[list[tuple[str, dict[str, object]]], str | None]:
    """The orders of an XML payload as (XML path, JSON-shaped object), and the batch's source.

    A partner sends about fifty XML orders a day: converting the elements in a Python loop
    costs nothing worth moving into the engine (the rows are inserted in one statement)."""
    try:
        root = SafeElementTree.parse(str(path), forbid_dtd=True, forbid_entities=True, forbid_external=True).getroot()
    except DTDForbidden as exc:
        raise FileRejected(
            f"the XML declares a DTD (<!DOCTYPE {exc.name}>), which a payload may not: a DTD can define "
            "entities that expand without bound or read other files (the file is rejected whole)"
        ) from None
    except EntitiesForbidden as exc:
        raise FileRejected(
            f"the XML declares an entity ({exc.name}), which a payload may not (the file is rejected whole)"
        ) from None
    except ExternalReferenceForbidden as exc:
        raise FileRejected(
            f"the XML refers to an external resource ({exc.sysid or exc.pubid}), which a payload may not "
            "(the file is rejected whole)"
        ) from None
    except StdElementTree.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]
        raise FileRejected(f"the XML cannot be parsed at line {line}, column {column + 1}: {reason}") from None
    source = root.get("source")
    if root.tag == "order":
        return [("/order", element_object(root, "/order"))], source
    if root.tag != "orders":
        raise FileRejected(
            f'the XML root element is <{root.tag}>: an API payload is <orders source="..."><order>...</order>'
            '</orders> or one <order source="...">'
        )
    orders = []
    for index, child in enumerate(root, start=1):
        xpath = f"/orders/{child.tag}[{index}]"
        if child.tag != "order":
            raise FileRejected(f"{xpath} is <{child.tag}>: <orders> holds only <order> elements")
        xpath = f"/orders/order[{index}]"
        orders.append((xpath, element_object(child, xpath)))
    return orders, source


def element_object(element: StdElementTree.Element, xpath: str) -> dict[str, object]:
    """An element with children as a JSON object: a leaf is its text (null when empty), a list
    element (<lines>) a list of its items' objects, another element with children an object.
    An attribute is kept as the key '@name'. A repeated child or text beside children would be
    lost in an object, so either rejects the file, naming the element."""
    result: dict[str, object] = {f"@{name}": value for name, value in element.attrib.items()}
    if xpath == "/order":
        result.pop("@source", None)  # the batch's source, kept in integration_source
    _no_mixed_text(element, xpath)
    for child in element:
        child_path = f"{xpath}/{child.tag}"
        if child.tag in result:
            raise FileRejected(f"{child_path} appears more than once in {xpath}: each field once")
        result[child.tag] = element_value(child, child_path)
    return result


def element_value(element: StdElementTree.Element, xpath: str) -> object:
    item_tag = LIST_ELEMENTS.get(element.tag)
    if item_tag is not None:
        _no_mixed_text(element, xpath)
        items = []
        for index, child in enumerate(element, start=1):
            if child.tag != item_tag:
                raise FileRejected(f"{xpath}/{child.tag} is in <{element.tag}>, which holds only <{item_tag}> elements")
            items.append(element_object(child, f"{xpath}/{item_tag}[{index}]"))
        return items
    if len(element) or element.attrib:
        return element_object(element, xpath)
    return element.text


def _no_mixed_text(element: StdElementTree.Element, xpath: str) -> None:
    texts = [element.text, *(child.tail for child in element)] if len(element) else []
    if any(text and text.strip() for text in texts):
        raise FileRejected(f"{xpath} holds text beside its elements: a field is either text or elements")


def insert_xml_orders(
    con: duckdb.DuckDBPyConnection,
    kind: FileKind,
    path: Path,
    orders: list[tuple[str, dict[str, object]]],
    source: str | None,
    lineage: list,
) -> int:
    """All orders in one insert, from two lists (positions, documents) unnested side by side."""
    if not orders:
        return 0
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    source_file, load_id, loaded_at = lineage
    con.execute(
        f"insert into raw.{kind.raw_table} (document, payload_format, integration_source, _source_file, "  # noqa: S608
        "_source_line, _source_position, _file_sha256, _load_id, _loaded_at) "
        "select document, 'xml', ?, ?, null, position, ?, ?, ? "
        "from (select unnest(?::varchar[]) as position, unnest(?::varchar[]) as document, "
        "generate_subscripts(?::varchar[], 1) as number) order by number",
        [
            source,
            source_file,
            sha256,
            load_id,
            loaded_at,
            [xpath for xpath, _ in orders],
            [json.dumps(document, ensure_ascii=False) for _, document in orders],
            [xpath for xpath, _ in orders],
        ],
    )
    return len(orders)
