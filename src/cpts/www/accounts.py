"""Sign-in pages: the login page when django-axes has locked a username out, password change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from dsfr.forms import DsfrBaseForm


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' lockout response: the login page again, with a French message (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": auth_forms.AuthenticationForm(request, initial={"username": username}),
        "locked_out": True,
        "cooloff_minutes": minutes,
        "title": "Connexion",
    }
    return render(request, "accounts/login.html", context, status=429)


class PasswordChangeForm(DsfrBaseForm, auth_forms.PasswordChangeForm):
    """Django's password change form (old password, new password twice, every validator),
    drawn with the State design system."""


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")
    extra_context = {"title": "Changer mon mot de passe"}

    def form_valid(self, form: auth_forms.PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Votre mot de passe a été changé.")
        return response
