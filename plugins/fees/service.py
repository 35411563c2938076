"""Fee operations: items, billing runs, payments, arrears, reminders and collection statistics.

Amounts (integer fen, never floats):

* ``area``: ``amount = (registered_area × unit_price + 50) // 100`` — ``registered_area`` is in
  hundredths of m², ``unit_price`` fen per m² per month; the product is in hundredths of a fen,
  rounded half up to the fen, once per bill (unit × item × month). 89.63 m² at 2.35 yuan/m² →
  (8963 × 235 + 50) // 100 = 21063 fen = 210.63 yuan.
* ``fixed``: ``amount = unit_price × quantity``.
* ``meter``: ``amount = unit_price × (current − previous)``.

A billing run is one transaction (all-or-nothing) and skips every (unit, item, period) that has
a bill already, so running it again creates nothing twice; the unique key on bills guards
against a concurrent run (the later one fails as a whole with CONFLICT and can simply be re-run).
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    func,
    insert,
    intersect,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from kernel.sdk import BadUserInput, Conflict, Event, NotFound, audit, utcnow
from kernel.sdk.estate import Community, Unit
from kernel.sdk.inputs import parse_input
from kernel.sdk.runtime import Runtime
from plugins.fees.inputs import (
    FeeItemChange,
    FixedCharge,
    MeterReadingIn,
    NewFeeItem,
    PaymentIn,
    Period,
)
from plugins.fees.models import (
    Bill,
    BillingRun,
    FeeAssignment,
    FeeItem,
    FeeProviderSettings,
    FeeSettings,
    MeterReading,
    Payment,
    PaymentOrder,
)

CHUNK = 2000
REMIND_EVERY = timedelta(days=7)


def parse_period(period: str) -> tuple[int, int]:
    """(year, month) of a ``YYYY-MM`` period; BAD_USER_INPUT (field ``period``) otherwise."""
    return parse_input(Period, period=period).year_month


def due_date(period: str) -> date:
    """Bills fall due on the last day of their period; unpaid after that they are arrears."""
    y, mth = parse_period(period)
    return date(y, mth, calendar.monthrange(y, mth)[1])


def area_amount(registered_area: int, unit_price: int) -> int:
    """Monthly area-based fee in fen, rounded half up from hundredths of a fen."""
    return (registered_area * unit_price + 50) // 100


def line_amount(kind: str, unit_price: int, quantity: int) -> int:
    if kind == "area":
        return area_amount(quantity, unit_price)
    return unit_price * quantity


# -- items, assignments, readings ----------------------------------------------------------------


async def _exists(session: Any, model: type, id_: uuid.UUID, what: str) -> Any:
    row = await session.scalar(select(model).where(model.id == id_))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"no {what} with this id")
    return row


async def _audit(session: Any, actor: str, action: str, target: Any, **detail: Any) -> None:
    """The service audits its own changes (``fees.<action>``), in the change's transaction."""
    await audit(
        session,
        tenant_id=session.info["tenant_id"],
        actor=actor,
        action=f"fees.{action}",
        target=str(target),
        detail=detail,
    )


async def create_item(
    session: Any,
    *,
    code: str,
    name: str,
    kind: str,
    unit_price: int,
    meter_unit: str = "",
    community_id: uuid.UUID | None = None,
    actor: str = "system",
) -> FeeItem:
    """A new fee item (validated by :class:`plugins.fees.inputs.NewFeeItem`), audited as
    ``fees.item_created``."""
    spec = parse_input(
        NewFeeItem,
        code=code,
        name=name,
        kind=kind,
        unit_price=unit_price,
        meter_unit=meter_unit,
    )
    if community_id is not None:
        await _exists(session, Community, community_id, "community")
    if await session.scalar(select(FeeItem.id).where(FeeItem.code == spec.code)) is not None:
        raise Conflict(f"fee item code {spec.code!r} is taken", field="code", reason="code_taken")
    row = FeeItem(
        code=spec.code,
        name=spec.name,
        kind=spec.kind,
        unit_price=spec.unit_price,
        meter_unit=spec.meter_unit,
        community_id=community_id,
    )
    session.add(row)
    await session.flush()
    await _audit(session, actor, "item_created", row.id, code=row.code, unit_price=row.unit_price)
    return row


async def update_item(
    session: Any,
    *,
    item_id: uuid.UUID,
    name: str,
    unit_price: int,
    meter_unit: str = "",
    active: bool = True,
    actor: str = "system",
) -> FeeItem:
    """A fee item's name, unit price, meter unit and ``active`` (an inactive item is not billed)
    changed (validated by :class:`plugins.fees.inputs.FeeItemChange`; code and kind stay, bills
    already issued keep their price), audited as ``fees.item_updated`` with the old and new
    price."""
    row = await _exists(session, FeeItem, item_id, "fee item")
    spec = parse_input(
        FeeItemChange,
        kind=row.kind,
        name=name,
        unit_price=unit_price,
        meter_unit=meter_unit,
        active=active,
    )
    before = row.unit_price
    row.name, row.unit_price, row.meter_unit, row.active = (
        spec.name,
        spec.unit_price,
        spec.meter_unit,
        spec.active,
    )
    await session.flush()
    await _audit(
        session,
        actor,
        "item_updated",
        row.id,
        code=row.code,
        unit_price_before=before,
        unit_price=row.unit_price,
        active=row.active,
    )
    return row


async def assign(
    session: Any,
    *,
    item_id: uuid.UUID,
    unit_id: uuid.UUID,
    quantity: int = 1,
    actor: str = "system",
) -> FeeAssignment:
    """Charge a fixed item to a unit ``quantity`` times a month, audited as
    ``fees.item_assigned``."""
    spec = parse_input(FixedCharge, quantity=quantity)
    item = await _exists(session, FeeItem, item_id, "fee item")
    await _exists(session, Unit, unit_id, "unit")
    if item.kind != "fixed":
        raise BadUserInput(
            "only fixed items are assigned to units; area items apply to every unit, meter items follow readings",
            field="itemId",
        )
    row = await session.scalar(
        select(FeeAssignment).where(
            FeeAssignment.item_id == item_id, FeeAssignment.unit_id == unit_id
        )
    )
    if row is None:
        row = FeeAssignment(item_id=item_id, unit_id=unit_id)
        session.add(row)
    row.quantity = spec.quantity
    await session.flush()
    await _audit(session, actor, "item_assigned", row.id, quantity=spec.quantity)
    return row


async def record_reading(
    session: Any,
    *,
    item_id: uuid.UUID,
    unit_id: uuid.UUID,
    period: str,
    previous: int,
    current: int,
) -> MeterReading:
    """A meter's reading for a period (replaced until the period is billed). Not audited: the
    bill it leads to is."""
    spec = parse_input(MeterReadingIn, period=period, previous=previous, current=current)
    period, previous, current = spec.period, spec.previous, spec.current
    item = await _exists(session, FeeItem, item_id, "fee item")
    await _exists(session, Unit, unit_id, "unit")
    if item.kind != "meter":
        raise BadUserInput("readings are recorded for meter items only", field="itemId")
    existing = await session.scalar(
        select(MeterReading).where(
            MeterReading.item_id == item_id,
            MeterReading.unit_id == unit_id,
            MeterReading.period == period,
        )
    )
    if existing is not None:
        billed = await session.scalar(
            select(Bill.id).where(
                Bill.item_id == item_id, Bill.unit_id == unit_id, Bill.period == period
            )
        )
        if billed is not None:
            raise Conflict("this period is billed already; the reading can no longer change", field="period", reason="period_billed")
        existing.previous_value, existing.current_value = previous, current
        await session.flush()
        return existing
    row = MeterReading(
        item_id=item_id,
        unit_id=unit_id,
        period=period,
        previous_value=previous,
        current_value=current,
    )
    session.add(row)
    await session.flush()
    return row


# -- billing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillLine:
    unit_id: uuid.UUID
    item_id: uuid.UUID
    community_id: uuid.UUID
    quantity: int
    unit_price: int
    amount: int


async def compute_lines(
    session: Any, period: str, community_id: uuid.UUID | None = None
) -> list[BillLine]:
    """Every bill line the period calls for (existing bills not subtracted)."""
    items = list(
        (
            await session.scalars(
                select(FeeItem).where(FeeItem.active.is_(True)).order_by(FeeItem.code)
            )
        ).all()
    )
    unit_stmt = select(Unit.id, Unit.community_id, Unit.registered_area)
    if community_id is not None:
        unit_stmt = unit_stmt.where(Unit.community_id == community_id)
    units = {uid: (cid, area) for uid, cid, area in (await session.execute(unit_stmt)).all()}
    lines: list[BillLine] = []
    for item in items:
        if community_id is not None and item.community_id not in (None, community_id):
            continue
        if item.kind == "area":
            for uid, (cid, area) in units.items():
                if item.community_id is None or item.community_id == cid:
                    lines.append(
                        BillLine(
                            uid,
                            item.id,
                            cid,
                            area,
                            item.unit_price,
                            area_amount(area, item.unit_price),
                        )
                    )
        elif item.kind == "fixed":
            for uid, qty in (
                await session.execute(
                    select(FeeAssignment.unit_id, FeeAssignment.quantity).where(
                        FeeAssignment.item_id == item.id
                    )
                )
            ).all():
                if uid in units and (
                    item.community_id is None or item.community_id == units[uid][0]
                ):
                    lines.append(
                        BillLine(
                            uid, item.id, units[uid][0], qty, item.unit_price, item.unit_price * qty
                        )
                    )
        else:
            rows = await session.execute(
                select(
                    MeterReading.unit_id, MeterReading.previous_value, MeterReading.current_value
                ).where(MeterReading.item_id == item.id, MeterReading.period == period)
            )
            for uid, prev, cur in rows.all():
                if uid in units and (
                    item.community_id is None or item.community_id == units[uid][0]
                ):
                    lines.append(
                        BillLine(
                            uid,
                            item.id,
                            units[uid][0],
                            cur - prev,
                            item.unit_price,
                            item.unit_price * (cur - prev),
                        )
                    )
    return lines


async def contributed_lines(
    runtime: Runtime,
    session: Any,
    tenant_id: uuid.UUID,
    period: str,
    community_id: uuid.UUID | None,
) -> list[BillLine]:
    """Bill lines other plugins contribute through ``fees_billing_lines`` (see
    :mod:`plugins.fees.hookspecs`), priced at the active fee item of their code; one line per
    (unit, item), quantities added up."""
    import inspect

    from kernel.sdk import plugin_hooks

    answers = plugin_hooks(runtime).fees_billing_lines(
        session=session, tenant_id=tenant_id, period=period, community_id=community_id
    )
    raw: list[Any] = []
    for answer in answers:
        raw.extend((await answer) if inspect.isawaitable(answer) else (answer or ()))
    if not raw:
        return []
    items = {
        i.code: i for i in await session.scalars(select(FeeItem).where(FeeItem.active.is_(True)))
    }
    quantities: dict[tuple[uuid.UUID, str], int] = {}
    for line in raw:
        if line["item_code"] in items and int(line["quantity"]) > 0:
            key = (line["unit_id"], line["item_code"])
            quantities[key] = quantities.get(key, 0) + int(line["quantity"])
    units = dict(
        (
            await session.execute(
                select(Unit.id, Unit.community_id).where(Unit.id.in_({u for u, _ in quantities}))
            )
        ).all()
    )
    out = []
    for (unit_id, code), qty in sorted(
        quantities.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])
    ):
        item, cid = items[code], units.get(unit_id)
        if cid is None or (community_id is not None and cid != community_id):
            continue
        if item.community_id is not None and item.community_id != cid:
            continue
        out.append(BillLine(unit_id, item.id, cid, qty, item.unit_price, item.unit_price * qty))
    return out


Progress = Callable[[int, int], None]

CONCURRENT_RUN = (
    "another billing run for this period is under way; run it again when it has finished"
)
BILL_COLUMNS = [
    "tenant_id",
    "id",
    "unit_id",
    "item_id",
    "community_id",
    "run_id",
    "period",
    "quantity",
    "unit_price",
    "amount",
    "paid",
    "status",
    "due_date",
    "reminders",
    "created_at",
]


def area_amount_sql(registered_area: Any, unit_price: Any) -> Any:
    """The SQL twin of :func:`area_amount` (a column expression): integer arithmetic, operands
    never negative, so SQL's truncating integer division is the floor of the Python rule. Tests
    compare the two with hypothesis on SQLite and PostgreSQL."""
    return (registered_area * unit_price + 50) // 100


def _new_bill_id(dialect: str) -> Any:
    """A random (version 4) UUID computed by the database, in the ``Uuid`` type's storage form:
    native ``uuid`` on PostgreSQL, 32 hex digits on SQLite."""
    if dialect == "postgresql":
        return func.gen_random_uuid()
    return literal_column(
        "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || "
        "substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || "
        "hex(randomblob(6)))"
    )


def _line_selects(
    tenant_id: uuid.UUID, period: str, community_id: uuid.UUID | None
) -> Any:
    """Every bill line the period calls for, as one ``UNION ALL`` subquery of (unit_id, item_id,
    community_id, quantity, unit_price, amount) computed in SQL — the set-based equivalent of
    :func:`compute_lines` (same items, same scope, same amounts)."""
    item_scope = (
        FeeItem.tenant_id == tenant_id,
        FeeItem.active.is_(True),
        or_(FeeItem.community_id.is_(None), FeeItem.community_id == Unit.community_id),
    )
    unit_scope: tuple[Any, ...] = (Unit.tenant_id == tenant_id,)
    if community_id is not None:
        unit_scope += (Unit.community_id == community_id,)
    area = (
        select(
            Unit.id.label("unit_id"),
            FeeItem.id.label("item_id"),
            Unit.community_id.label("community_id"),
            cast(Unit.registered_area, BigInteger).label("quantity"),
            FeeItem.unit_price.label("unit_price"),
            area_amount_sql(cast(Unit.registered_area, BigInteger), FeeItem.unit_price).label(
                "amount"
            ),
        )
        .select_from(Unit)
        .join(FeeItem, and_(FeeItem.kind == "area", *item_scope))
        .where(*unit_scope)
    )
    fixed = (
        select(
            Unit.id,
            FeeItem.id,
            Unit.community_id,
            cast(FeeAssignment.quantity, BigInteger),
            FeeItem.unit_price,
            FeeItem.unit_price * FeeAssignment.quantity,
        )
        .select_from(FeeAssignment)
        .join(FeeItem, and_(FeeItem.id == FeeAssignment.item_id, FeeItem.kind == "fixed"))
        .join(Unit, Unit.id == FeeAssignment.unit_id)
        .where(FeeAssignment.tenant_id == tenant_id, *item_scope, *unit_scope)
    )
    consumption = cast(MeterReading.current_value - MeterReading.previous_value, BigInteger)
    meter = (
        select(
            Unit.id,
            FeeItem.id,
            Unit.community_id,
            consumption,
            FeeItem.unit_price,
            FeeItem.unit_price * consumption,
        )
        .select_from(MeterReading)
        .join(FeeItem, and_(FeeItem.id == MeterReading.item_id, FeeItem.kind == "meter"))
        .join(Unit, Unit.id == MeterReading.unit_id)
        .where(
            MeterReading.tenant_id == tenant_id,
            MeterReading.period == period,
            *item_scope,
            *unit_scope,
        )
    )
    return union_all(area, fixed, meter).subquery("lines")


def _count_lines_and_billed(lines: Any, tenant_id: uuid.UUID, period: str) -> Any:
    """(lines, lines billed already): the second as the size of ``lines ∩ bills of the period``
    on (unit, item) — both sides are unique on it. An ``INTERSECT`` is always hashed or sorted;
    a correlated ``EXISTS`` let PostgreSQL, whose statistics know no bills of a new period yet,
    pick a nested loop over the (tenant, period) index: minutes for 20,000 bills."""
    keys = intersect(
        select(lines.c.unit_id, lines.c.item_id),
        select(Bill.unit_id, Bill.item_id).where(Bill.tenant_id == tenant_id, Bill.period == period),
    ).subquery("billed")
    return select(
        select(func.count()).select_from(lines).scalar_subquery(),
        select(func.count()).select_from(keys).scalar_subquery(),
    )


async def run_billing(
    session: Any,
    tenant_id: uuid.UUID,
    period: str,
    *,
    runtime: Runtime,
    community_id: uuid.UUID | None = None,
    actor: str = "system",
    progress: Progress | None = None,
) -> BillingRun:
    """Bill every unit for the period, in the caller's transaction (commit = all bills, error =
    none). Bills that exist for (unit, item, period) are left alone and counted as existing.
    ``progress(done, total)`` is called after each chunk of inserted bills. Lines other plugins
    contribute (``fees_billing_lines``) are billed too. The run is audited as
    ``fees.billing_run`` and announced as ``fee.billing_completed``.

    Set-based: the amounts are computed in SQL (:func:`area_amount_sql`, the twin of
    :func:`area_amount`) and the bills written with one ``INSERT … SELECT … ON CONFLICT DO
    NOTHING RETURNING amount`` per chunk of ``CHUNK`` units (keyset on the unit id) — no row
    travels through Python. The lines and the bills existing are counted first; chunks that
    insert fewer bills than counted met bills a concurrent run committed meanwhile, and the run
    fails with CONFLICT (all-or-nothing), as documented above. (``ON CONFLICT`` rather than ``NOT
    EXISTS``: the anti-join against the bills growing in the run's own transaction, with
    statistics from before it, made PostgreSQL loop — 60 s instead of 5 for 20,000 units.)"""
    parse_period(period)
    if community_id is not None:
        await _exists(session, Community, community_id, "community")
    dialect = session.get_bind().dialect.name
    lines = _line_selects(tenant_id, period, community_id)
    n_lines, n_billed = (
        await session.execute(_count_lines_and_billed(lines, tenant_id, period))
    ).one()
    contributed = await contributed_lines(runtime, session, tenant_id, period, community_id)
    contributed_new: list[BillLine] = []
    if contributed:
        existing = set(
            (
                await session.execute(
                    select(Bill.unit_id, Bill.item_id).where(
                        Bill.period == period,
                        Bill.unit_id.in_({ln.unit_id for ln in contributed}),
                    )
                )
            ).all()
        )
        contributed_new = [ln for ln in contributed if (ln.unit_id, ln.item_id) not in existing]
    run = BillingRun(
        id=uuid.uuid4(),
        period=period,
        community_id=community_id,
        actor=actor,
        bills_existing=int(n_billed) + len(contributed) - len(contributed_new),
    )
    session.add(run)
    await session.flush()
    due = due_date(period)
    now = utcnow()
    total = int(n_lines) - int(n_billed) + len(contributed_new)
    created = amount_total = 0
    if progress:
        progress(0, total)
    columns = Bill.__table__.c
    try:
        if total - len(contributed_new) > 0:
            # chunk boundaries: every CHUNK-th unit id of the scope, in id order
            numbered = select(
                Unit.id.label("id"), func.row_number().over(order_by=Unit.id).label("n")
            ).where(Unit.tenant_id == tenant_id)
            if community_id is not None:
                numbered = numbered.where(Unit.community_id == community_id)
            numbered_q = numbered.subquery()
            bounds: list[Any] = list(
                await session.scalars(
                    select(numbered_q.c.id)
                    .where(numbered_q.c.n % CHUNK == 0)
                    .order_by(numbered_q.c.n)
                )
            )
            ranges = list(zip([None, *bounds], [*bounds, None], strict=True))
            for low, high in ranges:
                chunk = select(
                    literal(tenant_id, columns.tenant_id.type),
                    _new_bill_id(dialect),
                    lines.c.unit_id,
                    lines.c.item_id,
                    lines.c.community_id,
                    literal(run.id, columns.run_id.type),
                    literal(period, columns.period.type),
                    lines.c.quantity,
                    lines.c.unit_price,
                    lines.c.amount,
                    literal(0, columns.paid.type),
                    case((lines.c.amount > 0, "open"), else_="paid"),
                    literal(due, columns.due_date.type),
                    literal(0, columns.reminders.type),
                    literal(now, columns.created_at.type),
                ).where(true())
                if low is not None:
                    chunk = chunk.where(lines.c.unit_id > low)
                if high is not None:
                    chunk = chunk.where(lines.c.unit_id <= high)
                into = (pg_insert if dialect == "postgresql" else sqlite_insert)(Bill)
                amounts = list(
                    await session.scalars(
                        into.from_select(BILL_COLUMNS, chunk)
                        .on_conflict_do_nothing(
                            index_elements=["tenant_id", "unit_id", "item_id", "period"]
                        )
                        .returning(Bill.amount)
                    )
                )
                created += len(amounts)
                amount_total += sum(amounts)
                if progress and amounts:
                    progress(created, total)
            if created != total - len(contributed_new):
                # bills of this period appeared after the count: a concurrent run committed them
                raise Conflict(CONCURRENT_RUN)
        if contributed_new:
            await session.execute(
                insert(Bill),
                [
                    {
                        "tenant_id": tenant_id,
                        "id": uuid.uuid4(),
                        "unit_id": ln.unit_id,
                        "item_id": ln.item_id,
                        "community_id": ln.community_id,
                        "run_id": run.id,
                        "period": period,
                        "quantity": ln.quantity,
                        "unit_price": ln.unit_price,
                        "amount": ln.amount,
                        "paid": 0,
                        "status": "open" if ln.amount else "paid",
                        "due_date": due,
                        "reminders": 0,
                        "created_at": now,
                    }
                    for ln in contributed_new
                ],
            )
            created += len(contributed_new)
            amount_total += sum(ln.amount for ln in contributed_new)
            if progress:
                progress(created, total)
    except IntegrityError as exc:
        raise Conflict(CONCURRENT_RUN) from exc
    run.bills_created = created
    run.amount_total = amount_total
    run.finished_at = utcnow()
    await session.flush()
    await _audit(
        session,
        actor,
        "billing_run",
        run.id,
        period=period,
        created=run.bills_created,
        amount=run.amount_total,
    )
    await runtime.bus.publish(
        session,
        Event(
            "fee.billing_completed",
            tenant_id,
            {
                "run_id": str(run.id),
                "period": period,
                "bills_created": run.bills_created,
                "amount_total": run.amount_total,
            },
            actor=actor,
        ),
    )
    return run


# -- payments ------------------------------------------------------------------------------------


def receipt_number(paid_at: datetime) -> str:
    return f"R{paid_at:%Y%m%d}-{secrets.token_hex(5).upper()}"


@dataclass
class PaymentResult:
    payment: Payment
    bill: Bill
    duplicate: bool


async def apply_payment(
    session: Any,
    runtime: Runtime,
    *,
    bill_id: uuid.UUID,
    amount: int,
    provider: str,
    provider_txn_id: str,
    paid_at: datetime | None = None,
    actor: str | None = None,
) -> PaymentResult:
    """Record money against a bill. Idempotent by (provider, transaction id): the same
    notification again returns the first payment. Partial payments are accepted (the bill becomes
    ``partial``); more than the outstanding amount is refused (CONFLICT) and nothing is recorded.
    A new payment is audited as ``fees.payment_received`` and announced as ``fee.paid``, as
    ``actor`` (default ``webhook:<provider>``); a repeated one changes and announces nothing."""
    spec = parse_input(
        PaymentIn,
        provider=provider,
        transaction_id=provider_txn_id,
        amount=amount,
        paid_at=paid_at,
    )
    provider, provider_txn_id, amount = spec.provider, spec.transaction_id, spec.amount
    previous = await session.scalar(
        select(Payment).where(
            Payment.provider == provider, Payment.provider_txn_id == provider_txn_id
        )
    )
    if previous is not None:
        if previous.bill_id != bill_id or previous.amount != amount:
            raise Conflict("this transaction id was used for a different bill or amount", field="transactionId", reason="reference_used")
        bill = await session.scalar(select(Bill).where(Bill.id == bill_id))
        return PaymentResult(previous, bill, duplicate=True)
    bill = await session.scalar(select(Bill).where(Bill.id == bill_id).with_for_update())
    if bill is None:
        raise NotFound("no bill with this id")
    outstanding = bill.amount - bill.paid
    if amount > outstanding:
        raise Conflict(
            f"the payment of {amount} fen is more than the {outstanding} fen outstanding; refund the difference",
            outstanding=outstanding,
            field="amount",
            reason="overpayment",
        )
    when = spec.paid_at or utcnow()
    payment = Payment(
        bill_id=bill.id,
        provider=provider,
        provider_txn_id=provider_txn_id,
        amount=amount,
        paid_at=when,
        receipt_no=receipt_number(when),
    )
    session.add(payment)
    bill.paid += amount
    bill.status = "paid" if bill.paid == bill.amount else "partial"
    await session.flush()
    actor = actor or f"webhook:{provider}"
    await _audit(
        session, actor, "payment_received", bill.id, amount=amount, receipt_no=payment.receipt_no
    )
    await runtime.bus.publish(
        session,
        Event(
            "fee.paid",
            session.info["tenant_id"],
            {
                "bill_id": str(bill.id),
                "unit_id": str(bill.unit_id),
                "amount": amount,
                "receipt_no": payment.receipt_no,
                "bill_status": bill.status,
            },
            actor=actor,
        ),
    )
    from plugins.fees.live import BillChange, hub

    await hub(runtime).publish(session, BillChange.of(bill))
    return PaymentResult(payment, bill, duplicate=False)


def sign(secret: str, body: bytes) -> str:
    """The webhook signature header value: ``sha256=<hex HMAC-SHA256 of the raw body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(sign(secret, body), header.strip())


async def rotate_secret(
    session: Any, runtime: Runtime, tenant_id: uuid.UUID, *, actor: str = "system"
) -> str:
    """A new payment-webhook secret (returned once, stored encrypted), audited as
    ``fees.webhook_secret_rotated``."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = await session.get(FeeSettings, tenant_id)
    if row is None:
        row = FeeSettings(tenant_id=tenant_id, webhook_secret_enc="", rotated_at=utcnow())
        session.add(row)
    row.webhook_secret_enc = runtime.vault.encrypt(tenant_id, secret)
    row.rotated_at = utcnow()
    await session.flush()
    await _audit(session, actor, "webhook_secret_rotated", tenant_id)
    return secret


async def webhook_secret(session: Any, runtime: Runtime, tenant_id: uuid.UUID) -> str | None:
    row = await session.get(FeeSettings, tenant_id)
    return runtime.vault.decrypt(tenant_id, row.webhook_secret_enc) if row is not None else None


# -- arrears, reminders, statistics --------------------------------------------------------------


@dataclass
class Arrear:
    unit_id: uuid.UUID
    bills: int
    outstanding: int
    oldest_due: date


async def arrears(
    session: Any,
    *,
    community_id: uuid.UUID | None = None,
    today: date | None = None,
    limit: int = 100,
) -> list[Arrear]:
    """Units with bills past due and unpaid, largest debt first."""
    today = today or utcnow().date()
    stmt = (
        select(
            Bill.unit_id, func.count(), func.sum(Bill.amount - Bill.paid), func.min(Bill.due_date)
        )
        .where(Bill.status != "paid", Bill.due_date < today)
        .group_by(Bill.unit_id)
        .order_by(func.sum(Bill.amount - Bill.paid).desc(), Bill.unit_id)
        .limit(limit)
    )
    if community_id is not None:
        stmt = stmt.where(Bill.community_id == community_id)
    return [Arrear(u, int(n), int(s), d) for u, n, s, d in (await session.execute(stmt)).all()]


async def remind_overdue(
    session: Any, runtime: Runtime, tenant_id: uuid.UUID, *, now: datetime | None = None
) -> int:
    """Publish ``fee.reminder_due`` for each overdue bill not reminded in the last week."""
    now = now or utcnow()
    rows = (
        await session.scalars(
            select(Bill).where(
                Bill.status != "paid",
                Bill.due_date < now.date(),
                (Bill.last_reminded_at.is_(None)) | (Bill.last_reminded_at < now - REMIND_EVERY),
            )
        )
    ).all()
    for bill in rows:
        bill.reminders += 1
        bill.last_reminded_at = now
        await runtime.bus.publish(
            session,
            Event(
                "fee.reminder_due",
                tenant_id,
                {
                    "bill_id": str(bill.id),
                    "unit_id": str(bill.unit_id),
                    "period": bill.period,
                    "outstanding": bill.amount - bill.paid,
                    "reminders": bill.reminders,
                },
            ),
        )
    await session.flush()
    return len(rows)


@dataclass
class Collection:
    bills: int
    paid_bills: int
    billed: int
    collected: int
    outstanding: int
    #: collected / billed in basis points (9250 = 92.50%).
    rate_bp: int


async def collection(
    session: Any, *, period: str | None = None, community_id: uuid.UUID | None = None
) -> Collection:
    if period is not None:
        parse_period(period)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(Bill.amount), 0),
        func.coalesce(func.sum(Bill.paid), 0),
    )
    paid_stmt = select(func.count()).select_from(Bill).where(Bill.status == "paid")
    if period is not None:
        stmt, paid_stmt = stmt.where(Bill.period == period), paid_stmt.where(Bill.period == period)
    if community_id is not None:
        stmt, paid_stmt = (
            stmt.where(Bill.community_id == community_id),
            paid_stmt.where(Bill.community_id == community_id),
        )
    n, billed, collected = (await session.execute(stmt.select_from(Bill))).one()
    paid_bills = int(await session.scalar(paid_stmt) or 0)
    billed, collected = int(billed), int(collected)
    return Collection(
        int(n),
        paid_bills,
        billed,
        collected,
        billed - collected,
        collected * 10000 // billed if billed else 0,
    )


# -- online payment: the provider's settings, payment orders, the signed checkout address --------

PROVIDER_NOT_CONFIGURED = "PAYMENT_PROVIDER_NOT_CONFIGURED"
ORDER_TTL_MINUTES = (5, 24 * 60)


async def configure_provider(
    session: Any,
    tenant_id: uuid.UUID,
    *,
    provider: str,
    checkout_url: str,
    merchant_id: str,
    order_ttl_minutes: int = 30,
    actor: str = "system",
) -> FeeProviderSettings | None:
    """Set (or, with an empty ``checkout_url``, remove) the tenant's payment provider for online
    payment, audited as ``fees.provider_configured``. The checkout address is ``https://`` (or
    ``http://`` on a loopback address, for testing)."""
    from urllib.parse import urlsplit

    row = await session.get(FeeProviderSettings, tenant_id)
    if not checkout_url.strip():
        if row is not None:
            await session.delete(row)
            await session.flush()
        await _audit(session, actor, "provider_configured", tenant_id, provider=None)
        return None
    url = urlsplit(checkout_url.strip())
    local = url.hostname in ("127.0.0.1", "localhost", "::1")
    if url.scheme not in ("https", "http") or (url.scheme == "http" and not local) or not url.hostname:
        raise BadUserInput("the checkout address is an https:// URL", field="checkoutUrl")
    if url.query or url.fragment:
        raise BadUserInput("the checkout address has no query or fragment", field="checkoutUrl")
    provider = provider.strip()
    if not provider or len(provider) > 32 or not provider.replace("_", "").replace("-", "").isalnum():
        raise BadUserInput("the provider is a short name (letters, digits, - and _)", field="provider")
    merchant_id = merchant_id.strip()
    if not merchant_id or len(merchant_id) > 64:
        raise BadUserInput("give the merchant number (at most 64 characters)", field="merchantId")
    if not ORDER_TTL_MINUTES[0] <= order_ttl_minutes <= ORDER_TTL_MINUTES[1]:
        raise BadUserInput("an order is payable for 5 to 1440 minutes", field="orderTtlMinutes")
    if row is None:
        row = FeeProviderSettings(tenant_id=tenant_id, provider="", checkout_url="", merchant_id="")
        session.add(row)
    row.provider, row.checkout_url, row.merchant_id = provider, checkout_url.strip(), merchant_id
    row.order_ttl_minutes = order_ttl_minutes
    await session.flush()
    await _audit(session, actor, "provider_configured", tenant_id, provider=provider, merchant_id=merchant_id)
    return row


def order_signature(secret: str, params: dict[str, str]) -> str:
    """The ``sign`` of a checkout address: hex HMAC-SHA256 with the webhook secret over the other
    parameters sorted by name, ``name=value`` joined with ``&`` (values not URL-encoded)."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def checkout_address(settings: FeeProviderSettings, params: dict[str, str], secret: str) -> str:
    from urllib.parse import urlencode

    return f"{settings.checkout_url}?{urlencode({**params, 'sign': order_signature(secret, params)})}"


def out_trade_number(now: datetime) -> str:
    """``P<yyyymmddHHMMSS><12 hex>``: 27 characters, unique (the table's key makes sure)."""
    return f"P{now:%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


@dataclass
class Checkout:
    order: PaymentOrder
    checkout_url: str
    reused: bool


async def start_payment(
    session: Any,
    runtime: Runtime,
    tenant_id: uuid.UUID,
    *,
    bill_id: uuid.UUID,
    own_units: set[uuid.UUID],
    account_id: uuid.UUID | None,
    base_url: str,
    actor: str = "system",
    now: datetime | None = None,
) -> Checkout:
    """Start paying a bill of one of ``own_units`` online: a payment order for the outstanding
    amount (pending, expiring after the provider's ``order_ttl_minutes``) and the provider's
    checkout address with the signed order parameters. Starting again while an order for the same
    amount is pending and not expired returns that order (same out-trade number). NOT_FOUND for a
    bill that is not the caller's; CONFLICT when nothing is outstanding, or (``reason``
    PAYMENT_PROVIDER_NOT_CONFIGURED) when the firm has no provider or webhook secret."""
    now = now or utcnow()
    bill = await session.scalar(select(Bill).where(Bill.id == bill_id))
    if bill is None or bill.unit_id not in own_units:
        raise NotFound("no bill of yours with this id")
    outstanding = bill.amount - bill.paid
    if outstanding <= 0:
        raise Conflict("this bill is paid", reason="BILL_PAID")
    settings = await session.get(FeeProviderSettings, tenant_id)
    secret = await webhook_secret(session, runtime, tenant_id)
    if settings is None or not secret:
        raise Conflict(
            "online payment is not set up by the property firm; please pay at the property office",
            reason=PROVIDER_NOT_CONFIGURED,
        )
    order = await session.scalar(
        select(PaymentOrder)
        .where(
            PaymentOrder.bill_id == bill.id,
            PaymentOrder.status == "pending",
            PaymentOrder.amount == outstanding,
            PaymentOrder.expires_at > now,
        )
        .order_by(PaymentOrder.expires_at.desc())
        .limit(1)
    )
    reused = order is not None
    if order is None:
        order = PaymentOrder(
            bill_id=bill.id,
            out_trade_no=out_trade_number(now),
            amount=outstanding,
            account_id=account_id,
            status="pending",
            expires_at=now + timedelta(minutes=settings.order_ttl_minutes),
        )
        session.add(order)
        await session.flush()
        await _audit(
            session, actor, "payment_started", bill.id,
            out_trade_no=order.out_trade_no, amount=outstanding,
        )
    base = base_url.rstrip("/")
    params = {
        "merchant_id": settings.merchant_id,
        "out_trade_no": order.out_trade_no,
        "amount": str(order.amount),
        "currency": "CNY",
        "subject": f"fee {bill.period}",
        "expires_at": order.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "notify_url": f"{base}/plugins/fees/webhook/{tenant_id}",
        "return_url": f"{base}/app/#/bills?order={order.out_trade_no}",
    }
    return Checkout(order, checkout_address(settings, params, secret), reused)


async def order_by_number(session: Any, out_trade_no: str) -> PaymentOrder | None:
    return await session.scalar(select(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no))


async def complete_order(session: Any, order: PaymentOrder, result: PaymentResult) -> None:
    """The webhook reported the order paid: mark it (once)."""
    if order.status != "paid":
        order.status = "paid"
        order.paid_at = result.payment.paid_at
        order.receipt_no = result.payment.receipt_no
        await session.flush()
