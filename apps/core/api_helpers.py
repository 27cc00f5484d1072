"""Small pieces every API view shares, so each door parses its input the same way."""

from typing import Any

from rest_framework import serializers


def parse_input(
    serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any
) -> dict[str, Any]:
    """The input serializer's validated values; invalid input is a 400 naming the fields
    (DRF's ValidationError), so nothing is written."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
