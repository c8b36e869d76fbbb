from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.i18n import Catalogs
from schedules.care_rules import CareRules


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs.load()


@pytest.fixture
def rules() -> CareRules:
    return CareRules.from_settings(load_settings({}))
