"""Money and quantities are typed at the service boundary (issue 20, item 10): `save_items`
took `quantity_centi=100.5` (stored as a decimal in a money column) and `True`, and a string
gave a TypeError; the district's catalogue prices the same. Each is a one-line refusal now."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from caseworker.domain.errors import ValidationError
from caseworker.domain.retrofit import Action
from caseworker.domain.roles import Actor
from caseworker.services.retrofit import assessment, catalogue
from caseworker.workspace import Workspace
from tests.services import _retrofit as rf
from tests.services._elderly import TODAY


@pytest.mark.parametrize("quantity", [100.5, 100.0, True, "100", None, 10**30])
def test_a_quantity_that_is_not_a_whole_number_of_hundredths_is_refused(
    office_ws: Workspace, worker: Actor, quantity: object
) -> None:
    case = rf.open_case(office_ws, worker)
    rf.step(office_ws, worker, case.id, Action.CHECK)
    with pytest.raises(ValidationError, match="数量"), office_ws.writer(worker) as s:
        assessment.save_items(
            s, worker, case.id, [assessment.ItemDraft("R01", quantity)], today=TODAY
        )  # type: ignore[arg-type]
    with office_ws.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM retrofit_assessment_item")).scalar() == 0


@pytest.mark.parametrize("price", [9000.5, True, "9000", None])
def test_a_catalogue_price_that_is_not_whole_fen_is_refused(tmp_path: Path, price) -> None:
    from caseworker.district import service
    from caseworker.district.hub import Hub

    district = Actor.system("district")
    with Hub.open(tmp_path / "hub") as hub:
        service.init(hub, "测试区民政局")
        with pytest.raises(ValidationError, match="单价"), hub.writer(district) as s:
            catalogue.set_price(s, district, "R01", price)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="补贴上限"), hub.writer(district) as s:
            catalogue.set_price(s, district, "R01", 9000, 100.5)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="单价"), hub.writer(district) as s:
            catalogue.add(
                s,
                district,
                code="X01",
                part=catalogue.Part.AIDS,
                name="助浴凳",
                unit="个",
                price_fen=price,  # type: ignore[arg-type]
            )
