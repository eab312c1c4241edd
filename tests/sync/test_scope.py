"""Which office a record belongs to, found from the foreign keys alone."""

from __future__ import annotations

from caseworker.district import scope
from tests.sync import models_for_tests  # noqa: F401  (registers the programme-like tables)


def test_paths_to_the_office() -> None:
    assert scope.office_path("office") == ()
    assert scope.office_path("community") == (("office_id", "office"),)
    assert scope.office_path("staff") == (("office_id", "office"),)
    assert scope.office_path("setting") is None
    assert scope.office_path("dated_value") is None  # district-wide: the hub decides
    assert scope.office_path("synctest_resident") == (
        ("community_id", "community"),
        ("office_id", "office"),
    )
    # a visit's optional visitor (staff) is not the way: its required resident is
    assert scope.office_path("synctest_visit") == (
        ("resident_id", "synctest_resident"),
        ("community_id", "community"),
        ("office_id", "office"),
    )
