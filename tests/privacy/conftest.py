"""The privacy tests reuse the scenario kits of the plugins whose consents they exercise: the
access site (readers, residents, an event recorder), the care kit and the grid kit."""

from __future__ import annotations

from tests.access.conftest import _fast_password_hashing, recorder, runtime, site  # noqa: F401 - fixtures
from tests.care.conftest import care  # noqa: F401 - fixture
from tests.grid.conftest import kit  # noqa: F401 - fixture
