"""GraphQL for parking, as the plugin hands it to the schema composer.

The layers: :mod:`~plugins.parking.types`, :mod:`~plugins.parking.queries`,
:mod:`~plugins.parking.mutations`, :mod:`~plugins.parking.repository` (reads and their access
rules) and the services (:mod:`~plugins.parking.service`, :mod:`~plugins.parking.sessions`,
:mod:`~plugins.parking.sharing`, :mod:`~plugins.parking.charging`: the writes).
"""

from __future__ import annotations

from plugins.parking.mutations import ParkingMutation
from plugins.parking.queries import ParkingQuery, ParkingSubscription

__all__ = ["ParkingMutation", "ParkingQuery", "ParkingSubscription"]
