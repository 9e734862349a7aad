"""The sale's pure rules: the platform fee and net payout in whole cents, the status moves, the settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.config import ConfigError, load_config
from models import SALE_TRANSITIONS, TransactionStatus, can_move, net_payout_cents, platform_fee_cents
from models.sales import format_invoice_number, invoice_number_prefix
from tests.cli import run_flask

BIGINT_MAX = 9_223_372_036_854_775_807
INT_MAX = 2_147_483_647  # $21,474,836.47: where INTEGER money overflowed


@pytest.fixture(autouse=True)
def _db_transaction() -> Iterator[None]:
    """Overrides the suite's per-test database transaction: nothing here touches the database."""
    yield


def decimal_fee(amount_cents: int, fee_bps: int) -> int:
    """The oracle: the same fee through Decimal with ROUND_HALF_UP, at a precision no amount here exceeds."""
    with localcontext() as context:
        context.prec = 60
        return int((Decimal(amount_cents) * fee_bps / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    ("amount", "bps", "fee"),
    [
        (0, 500, 0),
        (1, 500, 0),  # 0.05 cent
        (9, 500, 0),  # 0.45 cent
        (10, 500, 1),  # 0.5 cent: half rounds up
        (11, 500, 1),
        (29, 500, 1),  # 1.45
        (30, 500, 2),  # 1.5
        (150_000, 500, 7_500),  # the demo's stud service
        (4_999, 1, 0),  # 0.4999
        (5_000, 1, 1),  # 0.5
        (15_000, 0, 0),
        (15_000, 10_000, 15_000),  # the whole amount, never more
        (1, 10_000, 1),
        (12_345, 250, 309),  # 308.625
        (INT_MAX, 500, 107_374_182),  # 107,374,182.35
        (INT_MAX + 1, 500, 107_374_182),  # 107,374,182.4: past what INTEGER holds
        (BIGINT_MAX, 500, 461_168_601_842_738_790),  # ...790.35
        (BIGINT_MAX, 10_000, BIGINT_MAX),
    ],
)
def test_platform_fee_is_exact_and_rounds_half_up_to_the_cent(amount, bps, fee):
    assert platform_fee_cents(amount, bps) == fee == decimal_fee(amount, bps)
    assert net_payout_cents(amount, bps) == amount - fee


def test_fee_and_net_stay_in_bigint_at_its_largest_amount():
    fee = platform_fee_cents(BIGINT_MAX, 500)
    net = net_payout_cents(BIGINT_MAX, 500)
    assert fee + net == BIGINT_MAX
    assert 0 <= fee <= net <= BIGINT_MAX
    assert isinstance(fee, int) and isinstance(net, int)


@given(amount=st.integers(min_value=0, max_value=BIGINT_MAX), bps=st.integers(min_value=0, max_value=10_000))
def test_fee_is_the_half_up_rounded_share_never_negative_never_above_the_amount(amount, bps):
    fee = platform_fee_cents(amount, bps)
    assert fee == decimal_fee(amount, bps)
    assert 0 <= fee <= amount
    assert net_payout_cents(amount, bps) == amount - fee >= 0


@given(
    amount=st.integers(min_value=0, max_value=BIGINT_MAX - 1),
    bps=st.integers(min_value=0, max_value=10_000),
)
def test_a_larger_sale_never_pays_a_smaller_fee_or_net(amount, bps):
    assert platform_fee_cents(amount + 1, bps) - platform_fee_cents(amount, bps) in (0, 1)
    assert net_payout_cents(amount + 1, bps) >= net_payout_cents(amount, bps)


@pytest.mark.parametrize(
    ("amount", "bps", "error"),
    [
        (-1, 500, ValueError),
        (100, -1, ValueError),
        (100, 10_001, ValueError),
        (100.0, 500, TypeError),  # no float money
        (Decimal(100), 500, TypeError),
        (True, 500, TypeError),
        (100, 5.0, TypeError),
    ],
)
def test_fee_refuses_what_is_not_whole_cents_or_a_valid_rate(amount, bps, error):
    with pytest.raises(error):
        platform_fee_cents(amount, bps)


def test_sale_status_moves():
    assert can_move("pending", "completed")
    assert can_move("pending", "cancelled")
    assert can_move("completed", "refunded")
    for final in ("cancelled", "refunded"):
        assert not any(can_move(final, other) for other in TransactionStatus)
    assert not can_move("completed", "pending")
    assert not can_move("completed", "cancelled")
    assert not can_move("pending", "refunded")
    assert not can_move("pending", "pending")
    assert not can_move(None, "completed")
    assert not can_move("unknown", "completed")


def test_sale_status_moves_name_only_statuses_the_database_allows():
    known = {str(status) for status in TransactionStatus}
    named = set(SALE_TRANSITIONS) | {target for targets in SALE_TRANSITIONS.values() for target in targets}
    assert named <= known


@pytest.mark.parametrize(
    ("slug", "prefix"),
    [
        ("sunny-acres", "SA"),
        ("oak-ridge-kennels", "ORK"),
        ("a-b-c-d-e", "ABCD"),
        ("kennelworks", "KE"),
        ("x", "X"),
        ("big_dog 2", "BD2"),
        ("--", "INV"),
    ],
)
def test_invoice_number_prefix_is_the_breeders_initials(slug, prefix):
    assert invoice_number_prefix(slug) == prefix


def test_invoice_numbers_read_like_the_demos_marketplace_series():
    assert format_invoice_number("SA", 1) == "SA-M001"
    assert format_invoice_number("SA", 42) == "SA-M042"
    assert format_invoice_number("SA", 1000) == "SA-M1000"


def test_fee_and_due_days_settings_have_defaults(monkeypatch):
    monkeypatch.delenv("MARKETPLACE_FEE_BPS", raising=False)
    monkeypatch.delenv("INVOICE_DUE_DAYS", raising=False)
    config = load_config("testing")
    assert config["MARKETPLACE_FEE_BPS"] == 500
    assert config["INVOICE_DUE_DAYS"] == 14


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("10000", 10_000), (" 250 ", 250), ("", 500)])
def test_fee_setting_accepts_0_to_10000_basis_points(monkeypatch, value, expected):
    monkeypatch.setenv("MARKETPLACE_FEE_BPS", value)
    assert load_config("testing")["MARKETPLACE_FEE_BPS"] == expected


@pytest.mark.parametrize("value", ["10001", "-1", "5%", "2.5", "٥٠٠", "lots"])
def test_fee_setting_outside_0_to_10000_stops_the_app(monkeypatch, value):
    monkeypatch.setenv("MARKETPLACE_FEE_BPS", value)
    with pytest.raises(ConfigError, match=r"^MARKETPLACE_FEE_BPS must be a whole number from 0 to 10000 "):
        load_config("testing")


@pytest.mark.parametrize("value", ["366", "-3", "two weeks"])
def test_due_days_setting_outside_0_to_365_stops_the_app(monkeypatch, value):
    monkeypatch.setenv("INVOICE_DUE_DAYS", value)
    with pytest.raises(ConfigError, match=r"^INVOICE_DUE_DAYS must be a whole number from 0 to 365 "):
        load_config("testing")


def test_a_bad_fee_setting_is_one_line_at_start_up():
    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "APP_ENV"}}
    result = run_flask(
        environment
        | {"MARKETPLACE_FEE_BPS": "12000", "DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"},
        "check-db",
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: MARKETPLACE_FEE_BPS must be a whole number from 0 to 10000 (the platform fee in basis points, "
        "500 = 5 %); got '12000'"
    ]
