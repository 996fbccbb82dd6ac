"""URLs of CPTS Pilote (French paths for French users)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cpts.www import accounts as account_views
from cpts.www import communities as community_views

urlpatterns = [
    path("", community_views.home, name="home"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("communautes/", include("cpts.www.urls_communities")),
    path("contrats/", include("cpts.www.urls_contracts")),
    path("crises/", include("cpts.www.urls_crises")),
    path("territoire/", include("cpts.www.urls_territory")),
    path("sas/", include("cpts.www.urls_sas")),
    path("pilotage/", include("cpts.www.urls_steering")),
    path("exports/", include("cpts.www.urls_exports")),
    path("admin/", admin.site.urls),
    # the FHIR API of the SAS aggregator: bearer tokens, JSON answers (cpts.api)
    path("fhir/", include("cpts.api.urls")),
    # the REST API: bearer tokens, JSON answers, OpenAPI at /api/v1/openapi.json (cpts.api.rest)
    path("api/v1/", include("cpts.api.rest.urls")),
]

handler403 = "cpts.www.errors.forbidden"
handler404 = "cpts.www.errors.not_found"
