"""Sign-in, throttling, sign-out, password change and the language switch."""

import pytest
from django.urls import reverse

from stq02.models import Role
from tests.factories import UserFactory

PASSWORD = "a-Strong-pass-123"


@pytest.fixture
def officer(db):
    return UserFactory(username="canbo", role=Role.OFFICER)


def test_login_page_speaks_vietnamese_by_default(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response["Content-Language"] == "vi"
    assert "Đăng nhập" in response.content.decode()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_and_logout(client, officer):
    response = client.post(reverse("login"), {"username": "canbo", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_repeated_failures_block_even_the_right_password(client, officer, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _attempt in range(3):
        response = client.post(reverse("login"), {"username": "canbo", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "canbo", "password": PASSWORD})
    assert response.status_code == 429
    assert "Quá nhiều lần đăng nhập sai" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_change(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-Strong-pass-456",
            "new_password2": "another-Strong-pass-456",
        },
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password("another-Strong-pass-456")


def test_language_switch_is_saved_on_the_profile(client, officer):
    client.force_login(officer)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("profile")})
    assert response.status_code == 302 and response["Location"] == reverse("profile")
    officer.refresh_from_db()
    assert officer.language == "en"
    page = client.get(reverse("profile")).content.decode()
    assert "Change password" in page


def test_language_switch_refuses_foreign_redirects(client, officer):
    response = client.post(
        reverse("set_language"), {"language": "vi", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_passwords_are_not_kept_in_history(officer):
    officer.set_password("yet-another-Pass-789")
    officer.save()
    record = officer.history.first()
    assert not hasattr(record, "password")
