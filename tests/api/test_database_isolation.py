"""The test database fixtures: writes inside the rolled-back transaction are gone afterwards."""

from __future__ import annotations

import pytest

from kiosk_api.db import get_engine, get_sessionmaker, session_scope
from kiosk_api.models import Slot
from tests.api.conftest import make_slot
from tests.support.databases import rolled_back


@pytest.mark.commits  # outside the per-test transaction, to see what rolled_back leaves behind
def test_committed_sessions_inside_rolled_back_leave_no_row() -> None:
    with rolled_back(get_engine(), get_sessionmaker()):
        slot_id = make_slot()
        with session_scope() as session:
            assert session.get(Slot, slot_id) is not None
    with session_scope() as session:
        assert session.get(Slot, slot_id) is None
