from typing import Any

from django.contrib.auth import views as auth_views
from django.utils.decorators import method_decorator

from apps.accounts.forms import LoginForm
from apps.core.throttles import rate_limited


@method_decorator(rate_limited("login"), name="post")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["timed_out"] = self.request.GET.get("timeout") == "1"
        return context


class LogoutView(auth_views.LogoutView):
    pass
