"""Which names in a drop are data files, partial uploads, or unknown (contract: delivery)."""

from __future__ import annotations

from datetime import date

import pytest

from loaders.contract import OMS_ORDERS, POS_ORDERS, PRODUCTS, STORES, classify


@pytest.mark.parametrize(
    ("relpath", "kind", "business_date"),
    [
        ("pos/pos_orders_20261120.csv", POS_ORDERS, date(2026, 11, 20)),
        ("oms/oms_orders_20240229.csv", OMS_ORDERS, date(2024, 2, 29)),
        ("reference/stores.csv", STORES, None),
        ("reference/products.csv", PRODUCTS, None),
    ],
)
def test_data_files_are_recognized_with_their_business_date(relpath, kind, business_date):
    result = classify(relpath)
    assert result.kind is kind
    assert result.business_date == business_date
    assert result.skip_reason is None


@pytest.mark.parametrize(
    "relpath",
    [
        "pos/pos_orders_20261120.csv.tmp",
        "pos/pos_orders_20261120.csv.part",
        "oms/oms_orders_20261120.csv.filepart",
        "pos/.pos_orders_20261120.csv",
        ".staging/pos/pos_orders_20261120.csv",
    ],
)
def test_partial_and_hidden_names_are_never_read(relpath):
    result = classify(relpath)
    assert result.kind is None
    assert result.is_partial


@pytest.mark.parametrize(
    ("relpath", "reason_part"),
    [
        ("pos/pos_orders_20261131.csv", "not a valid date"),
        ("pos/pos_orders_2026112.csv", "matches no known pattern"),
        ("pos/POS_ORDERS_20261120.CSV", "matches no known pattern"),
        ("oms/pos_orders_20261120.csv", "matches no known pattern"),
        ("pos_orders_20261120.csv", "matches no known pattern"),
        ("reference/stores_20261120.csv", "matches no known pattern"),
        ("pos/archive/pos_orders_20261120.csv", "matches no known pattern"),
        ("notes.txt", "matches no known pattern"),
    ],
)
def test_unknown_names_are_ignored_with_a_reason(relpath, reason_part):
    result = classify(relpath)
    assert result.kind is None
    assert not result.is_partial
    assert reason_part in result.skip_reason
