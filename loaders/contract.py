"""The file interface: which names are data files, and which columns they must have.

This is the loader's half of the interface documented in docs/file_interface.md.
Column *rules* (types, ranges, code lists) are not checked here: they belong to
the dbt validation layer, so that a bad value becomes an error row, not a lost file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class FileKind:
    """One kind of delivered file and the raw table it lands in."""

    name: str
    raw_table: str
    pattern: re.Pattern[str]
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]
    dated: bool
    # Conditions on a landed row (SQL over the raw table's text columns) that reject the whole
    # file, each with what the line gets wrong; checked before the file's transaction commits.
    row_checks: tuple[tuple[str, str], ...] = ()
    # Rows also written one at a time by a command line (no file, line or load): their raw
    # table has nullable file lineage, a channel and an id (loaders/database.py).
    entered_by_hand: bool = False
    # How the file is read: "csv" (csv_load: a header, one record a line), or a channel's own
    # reader (loaders/channels.py: "json", "x12", "api"), which lands one row per order
    # document or segment with its position (_source_position) instead of a header check.
    reader: str = "csv"
    # The order channel the kind delivers (WEB, EDI, API, MANUAL), when it is one.
    channel: str | None = None

    @property
    def known_columns(self) -> tuple[str, ...]:
        return self.required_columns + self.optional_columns


POS_ORDERS = FileKind(
    name="pos_orders",
    raw_table="pos_order_lines",
    pattern=re.compile(r"^pos/pos_orders_([0-9]{8})\.csv\Z"),
    required_columns=(
        "order_id",
        "store_id",
        "business_date",
        "order_ts",
        "currency",
        "line_number",
        "sku",
        "quantity",
        "unit_price",
        "line_total",
        "order_total",
    ),
    optional_columns=("register_id", "customer_id", "discount_amount", "requested_delivery_date"),
    dated=True,
)

OMS_ORDERS = FileKind(
    name="oms_orders",
    raw_table="oms_orders",
    pattern=re.compile(r"^oms/oms_orders_([0-9]{8})\.csv\Z"),
    required_columns=(
        "oms_order_id",
        "source_system",
        "source_order_id",
        "store_id",
        "order_status",
        "order_total",
        "currency",
        "created_at",
    ),
    optional_columns=("customer_id",),
    dated=True,
)

STORES = FileKind(
    name="stores",
    raw_table="stores",
    pattern=re.compile(r"^reference/stores\.csv\Z"),
    required_columns=("store_id", "store_name", "is_active"),
    optional_columns=(),
    dated=False,
)

PRODUCTS = FileKind(
    name="products",
    raw_table="products",
    pattern=re.compile(r"^reference/products\.csv\Z"),
    required_columns=("sku", "product_name", "is_active"),
    optional_columns=(),
    dated=False,
)

# Optional reference snapshots (an extension of the interface): while one has never been
# delivered, the rules that need it are skipped, visibly (docs/file_interface.md).
CUSTOMERS = FileKind(
    name="customers",
    raw_table="customers",
    pattern=re.compile(r"^reference/customers\.csv\Z"),
    required_columns=("customer_id",),
    optional_columns=("customer_name", "is_active", "credit_limit", "delivery_days"),
    dated=False,
)

PRICES = FileKind(
    name="prices",
    raw_table="prices",
    pattern=re.compile(r"^reference/prices\.csv\Z"),
    required_columns=("sku", "unit_price"),
    optional_columns=(),
    dated=False,
)

# Known trading partners of the EDI channel: an interchange from a sender not listed here is
# refused by dbt (rule edi_partner_known), and its 997 says so.
PARTNERS = FileKind(
    name="partners",
    raw_table="partners",
    pattern=re.compile(r"^reference/partners\.csv\Z"),
    required_columns=("partner_id",),
    optional_columns=("partner_name", "isa_qualifier", "isa_id", "gs_id", "is_active", "customer_id"),
    dated=False,
)

STOCK = FileKind(
    name="stock",
    raw_table="stock",
    pattern=re.compile(r"^reference/stock\.csv\Z"),
    required_columns=("store_id", "sku", "on_hand"),
    optional_columns=(),
    dated=False,
)

# The interface's timestamp (docs/file_interface.md), as macros/parsing.sql's parse_timestamp_utc reads it.
TIMESTAMP_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?"
REVIEW_ACTIONS = ("approve", "reject", "correct")


def _blank(column: str) -> str:
    return f"coalesce(trim({column}), '') = ''"


# Review decisions: what a reviewer decided on an item of marts.rpt_review_queue, as a tool
# delivers them (python -m recon_tools.review records one by hand). Unlike order data, a
# decision is an instruction: a batch half understood must not half apply, so a file with
# one malformed decision is rejected whole, and dbt refuses only decisions it cannot apply
# (an unknown or closed item). Not dated: a decisions file is a batch, named by the tool.
REVIEW_DECISIONS = FileKind(
    name="review_decisions",
    raw_table="review_decisions",
    pattern=re.compile(r"^review/review_decisions_[A-Za-z0-9_-]+\.csv\Z"),
    required_columns=("error_key", "action", "decided_by", "decided_at", "reason"),
    optional_columns=("corrected_value",),
    dated=False,
    row_checks=(
        (_blank("error_key"), "error_key is empty"),
        (
            f"lower(trim(coalesce(action, ''))) not in {REVIEW_ACTIONS}",
            "action is not one of " + ", ".join(REVIEW_ACTIONS),
        ),
        (_blank("decided_by"), "decided_by is empty: a decision names who made it"),
        (
            f"not coalesce(regexp_full_match(trim(decided_at), '{TIMESTAMP_PATTERN}')"
            " and try_cast(trim(decided_at) as timestamptz) is not null, false)",
            "decided_at is not a timestamp YYYY-MM-DDThh:mm:ss (optional fraction, Z or +hh:mm)",
        ),
        (_blank("reason"), "reason is empty: a decision says why"),
        (
            f"lower(trim(action)) = 'correct' and {_blank('corrected_value')}",
            "action correct without a corrected_value",
        ),
        (
            f"lower(trim(action)) <> 'correct' and not {_blank('corrected_value')}",
            "a corrected_value on an action other than correct",
        ),
    ),
    entered_by_hand=True,
)

# Order channels beside the POS (docs/file_interface.md, "Order channels"). Each lands as
# delivered: the JSON and XML readers one row per order document, the X12 reader one row
# per segment; which field means what is dbt's business (models/staging/channels).
CHANNEL_DATED = r"([0-9]{8})(?:_[A-Za-z0-9-]+)?"

WEB_ORDERS = FileKind(
    name="web_orders",
    raw_table="web_orders",
    pattern=re.compile(rf"^web/web_orders_{CHANNEL_DATED}\.(?:json|jsonl|ndjson)\Z"),
    required_columns=("document",),
    optional_columns=(),
    dated=True,
    reader="json",
    channel="WEB",
)

EDI_850 = FileKind(
    name="edi_850",
    raw_table="edi_segments",
    pattern=re.compile(rf"^edi/edi_850_{CHANNEL_DATED}\.(?:x12|edi|txt)\Z"),
    required_columns=(
        "interchange_number",
        "segment_id",
        "segment_text",
        "elements",
        "element_separator",
        "component_separator",
        "repetition_separator",
        "segment_terminator",
    ),
    optional_columns=(),
    dated=True,
    reader="x12",
    channel="EDI",
)

API_ORDERS = FileKind(
    name="api_orders",
    raw_table="api_orders",
    pattern=re.compile(rf"^api/api_orders_{CHANNEL_DATED}\.(?:json|xml)\Z"),
    required_columns=("document", "payload_format", "integration_source"),
    optional_columns=(),
    dated=True,
    reader="api",
    channel="API",
)

MANUAL_ORDERS = FileKind(
    name="manual_orders",
    raw_table="manual_order_lines",
    pattern=re.compile(r"^manual/manual_orders_([0-9]{8})\.csv\Z"),
    required_columns=(
        "order_id",
        "operator_id",
        "business_date",
        "order_ts",
        "currency",
        "line_number",
        "sku",
        "quantity",
        "unit_price",
        "line_total",
        "order_total",
    ),
    optional_columns=(
        "customer_id",
        "discount_amount",
        "requested_delivery_date",
        "ship_to_name",
        "ship_to_address1",
        "ship_to_city",
        "ship_to_postal_code",
        "ship_to_country",
        "payment_method",
    ),
    dated=True,
    channel="MANUAL",
)

CHANNEL_KINDS: tuple[FileKind, ...] = (WEB_ORDERS, EDI_850, API_ORDERS, MANUAL_ORDERS)

FILE_KINDS: tuple[FileKind, ...] = (
    POS_ORDERS,
    OMS_ORDERS,
    STORES,
    PRODUCTS,
    CUSTOMERS,
    PRICES,
    STOCK,
    PARTNERS,
    REVIEW_DECISIONS,
    *CHANNEL_KINDS,
)
REFERENCE_KINDS = frozenset({"stores", "products", "customers", "prices", "stock", "partners"})

# Producers upload under a temporary name and rename when complete.
PARTIAL_SUFFIXES = (".tmp", ".part", ".filepart")


@dataclass(frozen=True)
class Classified:
    """What discovery decided about one path in the drop."""

    relpath: str
    kind: FileKind | None
    business_date: date | None
    skip_reason: str | None  # set when the file is not to be read

    @property
    def is_partial(self) -> bool:
        return self.skip_reason is not None and self.skip_reason.startswith("still being written")


def classify(relpath: str) -> Classified:
    """Classify a drop-relative POSIX path as a data file, a partial upload, or an unknown name."""
    parts = relpath.split("/")
    base = parts[-1]
    if any(part.startswith(".") for part in parts) or base.endswith(PARTIAL_SUFFIXES):
        return Classified(relpath, None, None, "still being written (temporary or hidden name)")
    for kind in FILE_KINDS:
        match = kind.pattern.match(relpath)
        if not match:
            continue
        if not kind.dated:
            return Classified(relpath, kind, None, None)
        digits = match.group(1)
        try:
            business_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            return Classified(relpath, None, None, f"'{digits}' in the name is not a valid date (YYYYMMDD)")
        return Classified(relpath, kind, business_date, None)
    return Classified(
        relpath,
        None,
        None,
        "name matches no known pattern (pos/pos_orders_YYYYMMDD.csv, oms/oms_orders_YYYYMMDD.csv, "
        "reference/{stores,products,customers,prices,stock,partners}.csv, review/review_decisions_NAME.csv, "
        "web/web_orders_YYYYMMDD[_NAME].{json,jsonl,ndjson}, edi/edi_850_YYYYMMDD[_NAME].{x12,edi,txt}, "
        "api/api_orders_YYYYMMDD[_NAME].{json,xml}, manual/manual_orders_YYYYMMDD.csv)",
    )
