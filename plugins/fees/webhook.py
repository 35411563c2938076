"""The payment provider's webhook: ``POST /plugins/fees/webhook/{tenant_id}``.

The provider signs the raw request body with the tenant's webhook secret::

    X-Linli-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>

and sends JSON ``{"provider", "transaction_id", "bill_id", "amount", "paid_at"?}`` (amount in
fen; ``bill_id`` a bare UUID or a ``FeeBill`` global id), or — completing an online payment the
resident started (``startBillPayment``) — ``{"provider", "transaction_id", "out_trade_no",
"amount", "paid_at"?}`` (``bill_id`` optional then, and must be the order's; the amount must be
the order's: 409 otherwise; the order is marked paid). Answers:

* 200 ``{"status": "recorded" | "duplicate", "receipt_no", "bill_status", "outstanding"}`` —
  a repeated transaction id returns the first result and records nothing;
* 401 UNAUTHENTICATED — missing or wrong signature (checked before the body is parsed);
* 400 BAD_USER_INPUT — malformed body; 404 NOT_FOUND — unknown tenant, secret, bill or order;
* 409 CONFLICT — more than the outstanding amount, or a transaction id reused differently.

Nothing is written unless the whole notification is accepted.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from kernel.sdk import BadUserInput, Conflict, NotFound, Unauthenticated, enabled_plugins
from plugins.fees import service

router = APIRouter(prefix="/plugins/fees", tags=["fees"])
SIGNATURE_HEADER = "x-linli-signature"


def _bill_id(value: Any) -> uuid.UUID:
    text = str(value or "")
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    from strawberry import relay

    try:
        gid = relay.GlobalID.from_id(text)
        if gid.type_name == "FeeBill":
            return uuid.UUID(gid.node_id)
    except Exception:  # noqa: S110 - any malformed id ends in the BAD_USER_INPUT below
        pass
    raise BadUserInput("bill_id is not a bill id", field="bill_id")


@router.post("/webhook/{tenant_id}")
async def payment_webhook(tenant_id: str, request: Request) -> dict[str, Any]:
    runtime = request.app.state.runtime
    body = await request.body()
    try:
        tid = uuid.UUID(tenant_id)
    except ValueError:
        raise NotFound("unknown webhook") from None
    async with runtime.db.tenant(tid) as session:
        secret = await service.webhook_secret(session, runtime, tid)
        if secret is None or "fees" not in await enabled_plugins(session):
            raise NotFound("unknown webhook")
        if not service.signature_ok(secret, body, request.headers.get(SIGNATURE_HEADER)):
            raise Unauthenticated("the signature does not match the body")
        try:
            data = json.loads(body)
        except ValueError:
            raise BadUserInput("the body is not JSON") from None
        if not isinstance(data, dict):
            raise BadUserInput("the body is a JSON object")
        paid_at = None
        if data.get("paid_at") is not None:
            try:
                paid_at = datetime.fromisoformat(str(data["paid_at"]))
            except ValueError:
                raise BadUserInput("paid_at is an ISO 8601 time", field="paid_at") from None
        order = None
        if data.get("out_trade_no") is not None:
            order = await service.order_by_number(session, str(data["out_trade_no"]))
            if order is None:
                raise NotFound("no payment order with this out_trade_no")
            if data.get("bill_id") is not None and _bill_id(data["bill_id"]) != order.bill_id:
                raise Conflict("this out_trade_no belongs to another bill")
            if data.get("amount") != order.amount:
                raise Conflict(
                    "the amount is not the order's amount", expected=order.amount
                )
            bill_id = order.bill_id
        else:
            bill_id = _bill_id(data.get("bill_id"))
        result = await service.apply_payment(
            session,
            runtime,
            bill_id=bill_id,
            amount=data.get("amount"),  # type: ignore[arg-type]
            provider=str(data.get("provider") or ""),
            provider_txn_id=str(data.get("transaction_id") or ""),
            paid_at=paid_at,
        )  # a new payment is audited and announced (``fee.paid``) by the service
        if order is not None:
            await service.complete_order(session, order, result)
        return {
            "status": "duplicate" if result.duplicate else "recorded",
            "receipt_no": result.payment.receipt_no,
            "bill_status": result.bill.status,
            "outstanding": result.bill.amount - result.bill.paid,
        }
