"""HL7 v2 over HTTP: POST /api/v1/hl7/adt with ER7 messages, answered by HL7 ACKs."""

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.exceptions import PermissionDenied as DrfPermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core.client_address import client_address
from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.interop import permissions
from apps.interop.intake import adt_receive_payload, adt_refuse_oversized, max_message_bytes
from apps.interop.models import AdtChannel

ER7_MEDIA_TYPE = "x-application/hl7-v2+er7"
# HAPI's default and the registered-style name, beside the type this door always took.
MEDIA_TYPES = (ER7_MEDIA_TYPE, "application/hl7-v2", "application/hl7-v2+er7")


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The message is over the size limit."
    default_code = "too_large"


class Er7Parser(BaseParser):
    """The body as bytes, read up to the limit and no further; decoding is intake's."""

    media_type = ER7_MEDIA_TYPE

    def parse(  # type: ignore[override]  # the body is bytes, not a mapping
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        limit = max_message_bytes()
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise PayloadTooLarge(_too_large(limit))
        return bytes(data)


class Hl7V2Parser(Er7Parser):
    media_type = "application/hl7-v2"


class Hl7V2Er7Parser(Er7Parser):
    media_type = "application/hl7-v2+er7"


def _too_large(limit: int) -> str:
    return f"The message is over {limit} bytes (HL7_MAX_MESSAGE_BYTES); nothing was processed."


class AdtReceiveApi(APIView):
    """Interface accounts (token authentication, User.is_interface) only.

    Every message gets HTTP 200 with an HL7 ACK: MSA-1 AA (accepted), AE (an
    error in its content; MSA-3 and ERR say which) or AR (rejected: not a
    message taken here). Several messages in one body get one ACK each, back
    to back; an FHS/BHS batch gets a batch ACK; a batch that does not add up
    gets one AR and nothing in it is processed. HTTP errors mean nothing was
    received: 400 (an empty body), 401/403 (who is sending), 413 (over
    HL7_MAX_MESSAGE_BYTES), 415 (content type).
    """

    parser_classes = [Er7Parser, Hl7V2Parser, Hl7V2Er7Parser]

    @extend_schema(
        request={media_type: {"type": "string"} for media_type in MEDIA_TYPES},
        responses={
            200: OpenApiResponse(description="HL7 ACK (ER7), one per message"),
            400: OpenApiResponse(description="Empty body"),
            413: OpenApiResponse(description="Over HL7_MAX_MESSAGE_BYTES"),
        },
        examples=[
            OpenApiExample(
                "A03",
                value="MSH|^~\\&|ADT|HOSP|CAREGRAPH|ORG|20250101120000||ADT^A03|1|P|2.5.1\r...",
            )
        ],
    )
    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        # Who sends is settled before the body is read or measured (the service asks again).
        if not permissions.can_send_adt(request.user):
            raise DrfPermissionDenied("Only interface accounts send HL7 messages.")
        context = RequestContext(
            source=AuditSource.HL7, ip_address=client_address(request._request), path=request.path
        )
        with request_context(context):
            declared = _declared_length(request)
            if declared > max_message_bytes():
                # Refused before the body is read: it is never held, cut or parsed.
                adt_refuse_oversized(
                    actor=request.user, size=declared, head=b"", channel=AdtChannel.HTTP
                )
                raise PayloadTooLarge(_too_large(max_message_bytes()))
            try:
                payload = _body(request)
            except PayloadTooLarge:  # no Content-Length (chunked): found while reading
                adt_refuse_oversized(
                    actor=request.user,
                    size=max_message_bytes() + 1,
                    head=b"",
                    channel=AdtChannel.HTTP,
                )
                raise
            if not payload.strip():
                raise ParseError("The body is empty: send an HL7 v2 message (ER7 text).")
            answer = adt_receive_payload(
                actor=request.user, payload=payload, channel=AdtChannel.HTTP
            )
        return HttpResponse(answer.as_text(), content_type=f"{_reply_type(request)}; charset=utf-8")


def _declared_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _reply_type(request: Request) -> str:
    """The ACK comes back in the media type the message was sent in."""
    sent = (request.content_type or "").split(";", 1)[0].strip().lower()
    return sent if sent in MEDIA_TYPES else ER7_MEDIA_TYPE


def _body(request: Request) -> bytes:
    data = request.data
    return data if isinstance(data, bytes) else b""
