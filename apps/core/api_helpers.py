"""What every API view does with a request body: parse it with an input serializer."""

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request


def parsed_input(
    serializer: type[serializers.Serializer], request: Request, *, partial: bool = False
) -> dict[str, Any]:
    """The request body as `serializer` validates it; a bad body is a 400 with the fields'
    messages (DRF's ValidationError), so nothing is written."""
    data = serializer(data=request.data, partial=partial)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)
