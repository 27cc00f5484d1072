"""HL7 v2 over HTTP: POST /api/v1/hl7/adt with the ER7 message, answered by an HL7 ACK."""

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core.context import RequestContext, request_context
from apps.core.middleware import client_ip
from apps.core.models import AuditSource
from apps.interop.models import AdtChannel
from apps.interop.services import adt_receive

ER7_MEDIA_TYPE = "x-application/hl7-v2+er7"


class Er7Parser(BaseParser):
    """The body as text; HL7 v2 is ASCII or UTF-8 in practice, Latin-1 as the fallback."""

    media_type = ER7_MEDIA_TYPE

    def parse(  # type: ignore[override]  # the body is text, not a mapping
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> str:
        data = stream.read() if stream is not None else b""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")


class AdtReceiveApi(APIView):
    """Interface accounts (token authentication, User.is_interface) only.

    Every message gets HTTP 200 with an HL7 ACK: MSA-1 AA (accepted), AE (an
    error in its content; MSA-3 and ERR say which) or AR (rejected: not a
    message taken here). HTTP errors mean the message was not received:
    401/403 (who is sending), 415 (content type).
    """

    parser_classes = [Er7Parser]

    @extend_schema(
        request={ER7_MEDIA_TYPE: {"type": "string"}},
        responses={200: OpenApiResponse(description="HL7 ACK (ER7)")},
        examples=[
            OpenApiExample(
                "A03",
                value="MSH|^~\\&|ADT|HOSP|CAREGRAPH|ORG|20250101120000||ADT^A03|1|P|2.5.1\r...",
            )
        ],
    )
    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        raw = _body(request)
        context = RequestContext(
            source=AuditSource.HL7, ip_address=client_ip(request._request), path=request.path
        )
        with request_context(context):
            result = adt_receive(actor=request.user, raw=raw, channel=AdtChannel.HTTP)
        return HttpResponse(result.ack, content_type=f"{ER7_MEDIA_TYPE}; charset=utf-8")


def _body(request: Request) -> str:
    data = request.data
    return data if isinstance(data, str) else ""
