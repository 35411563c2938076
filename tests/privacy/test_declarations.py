"""What plugins declare for the privacy centre is checked where it is declared: a consent purpose
names the data catalogue's categories (a sensitive one must say so), and a personal-read marker
names a catalogue category; ``personal_fields`` derives the markers from the model's catalogue."""

from __future__ import annotations

import pytest

from kernel.consent.reads import PersonalRead, personal_fields, personal_read
from kernel.consent.service import ConsentPurpose, PurposeRegistry


def test_a_purpose_names_catalogue_categories_and_sensitive_ones_say_so() -> None:
    registry = PurposeRegistry()
    with pytest.raises(ValueError, match="biometrics"):
        registry.add("faces", [ConsentPurpose(key="faces.door", description="刷脸", categories=("biometrics",))])
    with pytest.raises(ValueError, match="sensitive=True"):
        registry.add("maps", [ConsentPurpose(key="maps.track", description="轨迹", categories=("location",), sensitive=False)])
    with pytest.raises(ValueError, match="categories"):
        registry.add("none", [ConsentPurpose(key="none.x", description="x", categories=())])
    plain = ConsentPurpose(key="notices.marketing", description="推送", categories=("contact",), sensitive=False, title_zh="推送")
    registry.add("notices", [plain])
    assert registry.owner("notices.marketing") == "notices" and registry.find("nobody") is None
    assert (plain.title("zh-CN"), plain.title("en")) == ("推送", "推送")  # English falls back to zh-CN
    assert ConsentPurpose(key="a.b", description="x", categories=("contact",), sensitive=False).title() == "a.b"


def test_personal_fields_derive_from_the_catalogue() -> None:
    from plugins.care.models import CareRecipient
    from plugins.care.types import CareRecipientDetail
    from plugins.grid.types import GridVulnerableResidentDetail

    def marks(cls: type) -> dict[str, str]:
        return {
            f.python_name: e.category
            for f in cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
            for e in f.extensions
            if isinstance(e, PersonalRead)
        }

    assert marks(CareRecipientDetail) == {"name": "identity", "health_notes": "health"}
    assert marks(GridVulnerableResidentDetail) == {"name": "identity", "tags": "health", "visits": "health"}
    with pytest.raises(ValueError, match="unknown personal-data category"):
        personal_read("biometrics")

    import strawberry

    @personal_fields(CareRecipient)
    @strawberry.type
    class Plain:
        status: str
        lives_alone: bool

    assert marks(Plain) == {}  # unclassified columns are no personal data
