"""The parsed records: field order, and rows that are not records."""

import dataclasses

import pytest

from sheetsync.model import RECORD_TYPES
from sheetsync.schema import INPUT_TABS


@pytest.mark.parametrize("schema", INPUT_TABS, ids=lambda s: s.role)
def test_record_fields_follow_the_schema_order(schema):
    # model._read_records builds records positionally, in schema order.
    fields = [f.name for f in dataclasses.fields(RECORD_TYPES[schema.role])]
    assert fields == ["row"] + [column.key for column in schema.inputs]
