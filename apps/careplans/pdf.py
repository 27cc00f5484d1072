"""The patient's summary as a PDF (xhtml2pdf: pure Python, no browser, no network)."""

from io import BytesIO
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from xhtml2pdf import pisa

from apps.careplans.selectors import PatientSummary


class PdfRenderError(Exception):
    pass


def _no_external_resources(uri: str, rel: str) -> str:
    # The summary is self-contained; never let the renderer fetch anything.
    return ""


def summary_context(summary: PatientSummary) -> dict[str, Any]:
    staff_language = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "summary": summary,
        "patient": summary.patient,
        "plan": summary.plan,
        # The staff links around the patient's copy stay in the reader's own language.
        "staff_language": staff_language,
        "in_patient_language": not staff_language.startswith(summary.language),
    }


def render_summary(
    template_name: str, summary: PatientSummary, request: HttpRequest | None = None
) -> str:
    """The summary's HTML in the patient's language; the override ends with the
    render, so the staff user's own pages are untouched."""
    context = summary_context(summary)
    with translation.override(summary.language):
        return render_to_string(template_name, context, request=request)


def render_summary_pdf(summary: PatientSummary) -> bytes:
    html = render_summary("careplans/summary_pdf.html", summary)
    output = BytesIO()
    result = pisa.CreatePDF(
        html, dest=output, encoding="utf-8", link_callback=_no_external_resources
    )
    if result.err:
        raise PdfRenderError("The summary could not be rendered as a PDF.")
    return output.getvalue()


def summary_filename(summary: PatientSummary) -> str:
    # Ids only: a file name travels through downloads folders and mail.
    return f"care-plan-summary-{summary.plan.pk}.pdf"


def summary_pdf_response(summary: PatientSummary) -> HttpResponse:
    """The summary as a PDF opened in the browser (the page and the API serve the same file)."""
    response = HttpResponse(render_summary_pdf(summary), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{summary_filename(summary)}"'
    return response
