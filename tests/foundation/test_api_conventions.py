"""/api/v1 conventions: token and session auth, one error shape, pagination, schema."""

from django.urls import reverse
from rest_framework.test import APIClient

from stq02.models import ApiToken


def test_me_with_a_token(world):
    response = world.api("api_a").get(reverse("api:me"))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "api-a"
    assert body["role"] == "api_client"
    assert body["unit"]["code"] == "KV-A"


def test_me_with_the_browser_session(world):
    client = world.client("officer_a")
    response = client.get(reverse("api:me"))
    assert response.status_code == 200
    assert response.json()["unit"]["code"] == "KV-A-KT"


def test_token_is_stored_only_as_a_digest(world):
    token = ApiToken.objects.get(user=world.api_a)
    assert world.api_a_token not in (token.digest, token.prefix)
    assert token.digest == ApiToken.hash(world.api_a_token)


def test_bad_token_gets_the_common_error_shape(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(reverse("api:me"))
    assert response.status_code == 401
    assert set(response.json()["error"]) >= {"code", "message"}


def test_revoked_token_is_refused(world):
    from django.utils import timezone

    ApiToken.objects.filter(user=world.api_a).update(revoked_at=timezone.now())
    assert world.api("api_a").get(reverse("api:me")).status_code == 401


def test_anonymous_is_refused(db):
    response = APIClient().get(reverse("api:me"))
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_units_are_scoped_and_paginated(world):
    response = world.api("head_a").get(reverse("api:unit-list"))
    body = response.json()
    assert body["count"] == 2
    assert {row["code"] for row in body["results"]} == {"KV-A", "KV-A-KT"}
    central = world.api("department_head").get(reverse("api:unit-list"), {"page_size": 2}).json()
    assert central["count"] == 5 and len(central["results"]) == 2 and central["next"]


def test_api_clients_cannot_write_by_default(world):
    response = world.api("api_a").post(reverse("api:unit-list"), {})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_schema_and_interactive_page(world):
    client = world.client("officer_a")
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    # The "Token" box of the interactive page: the extension is registered by the URLs.
    assert schema.json()["components"]["securitySchemes"]["tokenAuth"]["in"] == "header"
    assert client.get(reverse("api:docs")).status_code == 200
