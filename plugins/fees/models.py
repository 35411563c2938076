"""Fee tables. Money is integer fen; areas are the estate's integer hundredths of m².

A bill is unique per (tenant, unit, fee item, period): that key is what makes a billing run
safe to re-run.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.sdk import Base, TenantRecord, TenantScoped, Timestamped, tenant_fk
from kernel.sdk.db import secret


class FeeItem(TenantRecord, Base):
    """A chargeable item (收费项目).

    ``kind`` says how a unit's monthly amount is computed from ``unit_price`` (fen):

    * ``area`` — property fee (物业费): fen per m² per month × the unit's registered area;
    * ``fixed`` — e.g. a parking space (车位费): fen per month × the assigned quantity;
    * ``meter`` — utilities (水电): fen per meter unit × the period's consumption.
    """

    __tablename__ = "fee_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("community_id", "communities", ondelete=None),
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
    )

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))  # area | fixed | meter
    unit_price: Mapped[int] = mapped_column(BigInteger)
    #: What one meter unit is (``kWh``, ``m³``); empty for other kinds.
    meter_unit: Mapped[str] = mapped_column(String(12), default="")
    #: Only this community's units; None = every community of the tenant.
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(default=True)


class FeeAssignment(TenantRecord, Base):
    """A ``fixed`` item charged to a unit (its parking spaces, say), with a quantity."""

    __tablename__ = "fee_assignments"
    __table_args__ = (
        tenant_fk("item_id", "fee_items"),
        tenant_fk("unit_id", "units"),
        UniqueConstraint("tenant_id", "item_id", "unit_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(index=True)
    unit_id: Mapped[uuid.UUID]
    quantity: Mapped[int] = mapped_column(default=1)


class MeterReading(TenantRecord, Base):
    """A unit's meter readings for one ``meter`` item and period (integer meter units)."""

    __tablename__ = "fee_meter_readings"
    __table_args__ = (
        tenant_fk("item_id", "fee_items"),
        tenant_fk("unit_id", "units"),
        UniqueConstraint("tenant_id", "item_id", "unit_id", "period"),
        CheckConstraint("current_value >= previous_value", name="reading_not_decreasing"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(index=True)
    unit_id: Mapped[uuid.UUID]
    period: Mapped[str] = mapped_column(String(7))
    previous_value: Mapped[int]
    current_value: Mapped[int]


class BillingRun(TenantRecord, Base):
    """One billing run for a period: what it created and what it found existing."""

    __tablename__ = "fee_billing_runs"
    __table_args__ = (tenant_fk("community_id", "communities", ondelete=None),)

    period: Mapped[str] = mapped_column(String(7), index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    bills_created: Mapped[int] = mapped_column(default=0)
    bills_existing: Mapped[int] = mapped_column(default=0)
    amount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    actor: Mapped[str] = mapped_column(String(100), default="system")
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Bill(TenantRecord, Base):
    """A unit's bill for one item and one period (账单)."""

    __tablename__ = "fee_bills"
    __table_args__ = (
        tenant_fk("unit_id", "units"),
        tenant_fk("item_id", "fee_items"),
        tenant_fk("community_id", "communities", ondelete=None),
        UniqueConstraint("tenant_id", "unit_id", "item_id", "period"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("paid >= 0 AND paid <= amount", name="paid_within_amount"),
        Index("ix_fee_bills_tenant_period", "tenant_id", "period"),
        Index("ix_fee_bills_tenant_status_due", "tenant_id", "status", "due_date"),
    )

    unit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    item_id: Mapped[uuid.UUID]
    #: Denormalised from the unit for per-community statistics.
    community_id: Mapped[uuid.UUID]
    run_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    period: Mapped[str] = mapped_column(String(7))
    #: Area (hundredths of m²), assigned quantity, or consumption (meter units).
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | partial | paid
    due_date: Mapped[date]
    reminders: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(default=None)


class Payment(TenantRecord, Base):
    """Money received against a bill, with its receipt number (收据)."""

    __tablename__ = "fee_payments"
    __table_args__ = (
        tenant_fk("bill_id", "fee_bills"),
        UniqueConstraint("tenant_id", "provider", "provider_txn_id"),
        UniqueConstraint("tenant_id", "receipt_no"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    bill_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: ``wechat``, ``alipay``, a bank, or ``counter`` for money taken at the property office.
    provider: Mapped[str] = mapped_column(String(32))
    provider_txn_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime]
    receipt_no: Mapped[str] = mapped_column(String(32))


class FeeSettings(TenantScoped, Timestamped, Base):
    """Per-tenant settings: the payment webhook's shared secret, encrypted with the tenant's key."""

    __tablename__ = "fee_settings"

    webhook_secret_enc: Mapped[str] = mapped_column(String(300), info=secret("payment webhook signing secret", encrypted=True))
    rotated_at: Mapped[datetime]


class FeeProviderSettings(TenantScoped, Timestamped, Base):
    """Per-tenant payment provider settings for online payment (the app's「在线缴费」): where the
    provider's cashier is and who the firm is there. The order parameters are signed with the
    webhook secret (:class:`FeeSettings`), which the provider holds too. No row: no online payment."""

    __tablename__ = "fee_provider_settings"

    #: The provider's name as it reports payments in the webhook (``wechat``, ``alipay``, a bank).
    provider: Mapped[str] = mapped_column(String(32))
    #: The cashier's address; the app sends the resident to it with the signed order parameters.
    checkout_url: Mapped[str] = mapped_column(String(500))
    #: The firm's merchant number at the provider.
    merchant_id: Mapped[str] = mapped_column(String(64))
    #: How long a started payment may be paid, in minutes.
    order_ttl_minutes: Mapped[int] = mapped_column(default=30)


class PaymentOrder(TenantRecord, Base):
    """An online payment the resident started (``startBillPayment``): the outstanding amount at
    the time, a unique out-trade number the provider echoes back, pending until the webhook
    reports it paid, or until it expires."""

    __tablename__ = "fee_payment_orders"
    __table_args__ = (
        tenant_fk("bill_id", "fee_bills"),
        UniqueConstraint("tenant_id", "out_trade_no"),
        CheckConstraint("amount > 0", name="order_amount_positive"),
        Index("ix_fee_payment_orders_bill_status", "tenant_id", "bill_id", "status"),
    )

    bill_id: Mapped[uuid.UUID]
    out_trade_no: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    #: Who started it (an account id).
    account_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending | paid
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    receipt_no: Mapped[str | None] = mapped_column(String(32), default=None)
