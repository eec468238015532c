"""What the sample-app tests share: template snapshots as JSON files (syrupy)."""

import pytest
from syrupy.extensions.json import JSONSnapshotExtension


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)
