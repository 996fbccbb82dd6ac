"""URLs of CPTS Pilote (French paths for French users)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cpts.accounts import views as account_views
from cpts.communities import views as community_views

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
    path("communautes/", include("cpts.communities.urls")),
    path("contrats/", include("cpts.contracts.urls")),
    path("crises/", include("cpts.crises.urls")),
    path("territoire/", include("cpts.territory.urls")),
    path("admin/", admin.site.urls),
]
