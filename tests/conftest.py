from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"

# Property tests are seeded and bounded so the suite is deterministic and fast.
settings.register_profile(
    "ecoopt", derandomize=True, deadline=None, max_examples=30, print_blob=True
)
settings.load_profile("ecoopt")


@pytest.fixture
def paper_path() -> Path:
    return INSTANCES / "gpushare" / "paper_four_agents.yaml"
