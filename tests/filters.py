"""Shared checks for lists whose page and API read one filter form."""

from typing import Any

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient


def get_both(
    page_client: Client, api_client: APIClient, names: tuple[str, str], params: dict[str, str]
) -> tuple[Any, Any]:
    """The same query string sent to the page and to the API (their URL names)."""
    page_name, api_name = names
    return page_client.get(reverse(page_name), params), api_client.get(reverse(api_name), params)


def assert_refused_alike(page: Any, api: Any, field: str, *, form: str = "form") -> None:
    """Both doors answer 400 and name the same one field."""
    assert page.status_code == api.status_code == 400
    assert list(api.json()["errors"]) == [field]
    assert page.context[form].errors.keys() == {field}
