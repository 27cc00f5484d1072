"""Date and time fields for API input that refuse implausible values.

A clinical date before 1900 or after 2100 is a typing error (or a probe): it is
refused with a field error instead of being stored, or overflowing date
arithmetic later (business days, due dates) as a 500.
"""

import datetime
from collections.abc import MutableMapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

EARLIEST_YEAR = 1900
LATEST_YEAR = 2100
RANGE_MESSAGE = f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}."


def _check_year(value: datetime.date) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise serializers.ValidationError(RANGE_MESSAGE, code="date_out_of_range")


class DateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> datetime.date:
        parsed: datetime.date = super().to_internal_value(value)
        _check_year(parsed)
        return parsed


class DateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value: Any) -> datetime.datetime:
        parsed: datetime.datetime = super().to_internal_value(value)
        _check_year(parsed)
        return parsed


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
        "description": "A wall-clock time in the team's time zone, without an offset "
        "(a weekly 09:00 stays 09:00 across daylight-saving changes).",
        "example": "09:00",
    }
)
class WallClockTimeField(serializers.TimeField):
    """A local time of day. OpenAPI's `time` format demands an offset, which a recurring
    local time has none of, so the schema publishes the shape it really has."""


class OutputModelSerializer(serializers.ModelSerializer):
    """A model's fields as an API answer (declare `Meta.read_only_fields = fields`).

    DRF drops `allow_blank` from read-only fields, so a choice field the model allows
    to be blank would be published as an enum without "" and every blank answer would
    break the schema; here such a field keeps saying that "" may come back.
    """

    def include_extra_kwargs(
        self, kwargs: MutableMapping[str, Any], extra_kwargs: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        allow_blank = bool(kwargs.get("allow_blank"))
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and "choices" in kwargs:
            kwargs["allow_blank"] = True
        return kwargs
