"""GraphQL of work orders, as the plugin hands it to the schema composer.

The layers: :mod:`~plugins.workorders.types` (objects, inputs, enums from
:mod:`~plugins.workorders.vocabulary`), :mod:`~plugins.workorders.queries` (query and subscription
roots), :mod:`~plugins.workorders.mutations` (mutation root), :mod:`~plugins.workorders.repository`
(reads and the row-level access rules: staff with ``workorders:read`` see every order; owners and
residents the orders they reported; a technician the orders assigned to them) and
:mod:`~plugins.workorders.service` (the writes). Permissions (casbin) guard every field.
"""

from __future__ import annotations

from plugins.workorders.mutations import WorkOrderMutation
from plugins.workorders.queries import WorkOrderQuery, WorkOrderSubscription
from plugins.workorders.types import PhotoRef, Technician, WorkOrder, WorkOrderChange, WorkOrderStep

__all__ = [
    "PhotoRef",
    "Technician",
    "WorkOrder",
    "WorkOrderChange",
    "WorkOrderMutation",
    "WorkOrderQuery",
    "WorkOrderStep",
    "WorkOrderSubscription",
]
