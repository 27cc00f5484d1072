from typing import Any

from django.contrib.auth.backends import ModelBackend

from apps.accounts.models import User


class AccountBackend(ModelBackend):
    """Django's model backend, loading the signed-in person's organisation with them: every
    request asks for its policy (a second factor for all?) and this costs no extra query."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User.objects.select_related("organisation").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
