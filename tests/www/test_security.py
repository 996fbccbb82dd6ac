"""Safe by default: DEBUG off and a secret key required, login throttling, strong passwords and
their change, short sessions, a Content-Security-Policy that the pages respect, and a clean
``manage.py check --deploy`` with the production settings.

The settings themselves are proven in subprocesses that import ``cpts.settings`` as production
does (the test suite's own settings are ``cpts.settings_test``).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cpts.accounts.models import Role, User

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TEST_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cpts")


def settings_env(tmp_path: Path, **env: str) -> dict[str, str]:
    """The environment of a fresh process on ``cpts.settings`` with exactly the given variables
    (none of DEBUG, SECRET_KEY, ALLOWED_HOSTS... is inherited)."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "cpts.settings",
        "CPTS_HOME": str(tmp_path),
        "DATABASE_URL": TEST_DATABASE_URL,
        **env,
    }


def run_with_settings(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=settings_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- DEBUG and SECRET_KEY ------------------------------------------------------------------------


def test_the_app_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    for env in ({}, {"DEBUG": "0"}, {"DEBUG": "false"}):
        result = run_with_settings("import django; django.setup()", tmp_path, **env)
        assert result.returncode != 0, env
        assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_and_the_demo_key_is_random_and_kept(tmp_path: Path) -> None:
    show = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY)"
    result = run_with_settings(show, tmp_path, SECRET_KEY="k" * 60)
    assert result.stdout.split() == ["False", "k" * 60], result.stderr
    first = run_with_settings(show, tmp_path, DEBUG="1")
    second = run_with_settings(show, tmp_path, DEBUG="1")
    assert first.returncode == 0, first.stderr
    debug, key = first.stdout.split()
    assert debug == "True"
    assert len(key) >= 50
    assert "demo-only" not in key
    assert second.stdout == first.stdout  # kept under var/, so sessions survive a restart
    stored = tmp_path / "var" / "demo-secret-key"
    assert stored.read_text().strip() == key
    assert stored.stat().st_mode & 0o077 == 0


def test_an_unknown_url_is_our_404_that_lists_no_url(tmp_path: Path) -> None:
    """With the default settings (DEBUG unset), no technical 404 page listing every URL."""
    probe = """
import django
django.setup()
from django.test import Client
client = Client()
for path in ("/connexion/nexiste-pas/", "/accessibilite/", "/static/nexiste-pas.js"):
    response = client.get(path, secure=True, HTTP_HOST="localhost")
    text = response.content.decode()
    print(path, response.status_code, "urlpatterns" in text or "URLconf" in text,
          "Page introuvable" in text or path.startswith("/static/"))
"""
    result = run_with_settings(probe, tmp_path, SECRET_KEY=secrets.token_urlsafe(64))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[:3] == [  # no technical page; ours, in French (static files: a bare 404)
        "/connexion/nexiste-pas/ 404 False True",
        "/accessibilite/ 404 False True",
        "/static/nexiste-pas.js 404 False True",
    ]


def test_check_deploy_is_clean_with_the_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=settings_env(
            tmp_path,
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="cpts-pilote.example.gouv.fr",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


# --- Login throttling ----------------------------------------------------------------------------


@pytest.fixture
def agent(geography: None) -> User:
    return User.objects.create_user(
        username="agent-cpam", password="bon-mot-de-passe-2026", role=Role.NATIONAL
    )


def login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_login_is_locked_after_five_failures_for_that_username_and_address(
    agent: User, client: Client
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "agent-cpam", "mauvais")
        assert response.status_code == 200
        assert "Identifiant ou mot de passe incorrect." in response.content.decode()
    response = login(client, "agent-cpam", "mauvais")  # the fifth failure locks
    assert response.status_code == 429
    # Locked: even the right password is refused, with a French message on the login page.
    response = login(client, "agent-cpam", "bon-mot-de-passe-2026")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Trop de tentatives de connexion échouées" in text
    assert "bloquée pendant 15 minutes" in text
    assert 'name="password"' in text
    assert "_auth_user_id" not in client.session
    # Another address is not locked (username and address together), nor another username.
    other = Client()
    assert (
        login(other, "agent-cpam", "bon-mot-de-passe-2026", REMOTE_ADDR="10.1.2.3").status_code
        == 302
    )


def test_a_success_resets_the_failure_count(agent: User, client: Client) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "agent-cpam", "mauvais")
    assert login(client, "agent-cpam", "bon-mot-de-passe-2026").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "agent-cpam", "mauvais").status_code == 200
    assert login(client, "agent-cpam", "bon-mot-de-passe-2026").status_code == 302


# --- Passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "cpam1234",  # too short (and the finding of the review)
        "motdepasse",  # too short, common
        "123456789012",  # long enough, only digits
        "password1234",  # long enough, common
        "qwertyuiop123",  # long enough, common
        "agent-cpam-2026",  # too close to the username
    ],
)
def test_weak_passwords_are_refused(password: str, agent: User) -> None:
    with pytest.raises(ValidationError):
        validate_password(password, agent)


def test_the_demo_password_passes_the_validators(agent: User) -> None:
    from cpts.demo.seed import PASSWORD

    validate_password(PASSWORD, agent)
    for username in (
        "coordination",
        "cpam-occitanie",
        "ars-idf",
        "national",
        "facilitateur",
        "admin",
    ):
        validate_password(PASSWORD, User(username=username))


def test_password_change_through_the_page(agent: User, client: Client) -> None:
    client.force_login(agent)
    home = client.get(reverse("home"), follow=True)
    assert reverse("password_change") in home.content.decode()  # linked from the header
    url = reverse("password_change")
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Changer mon mot de passe" in text
    assert "Ancien mot de passe" in text
    assert "Nouveau mot de passe" in text

    weak = client.post(
        url,
        {
            "old_password": "bon-mot-de-passe-2026",
            "new_password1": "cpam1234",
            "new_password2": "cpam1234",
        },
    )
    assert weak.status_code == 200
    assert "Ce mot de passe est trop court" in weak.content.decode()
    wrong_old = client.post(
        url,
        {
            "old_password": "pas-le-bon",
            "new_password1": "Nouveau-secret-2026",
            "new_password2": "Nouveau-secret-2026",
        },
    )
    assert "Votre ancien mot de passe est incorrect" in wrong_old.content.decode()

    done = client.post(
        url,
        {
            "old_password": "bon-mot-de-passe-2026",
            "new_password1": "Nouveau-secret-2026",
            "new_password2": "Nouveau-secret-2026",
        },
        follow=True,
    )
    assert "Votre mot de passe a été changé." in done.content.decode()
    assert client.get(url).status_code == 200  # still signed in
    agent.refresh_from_db()
    assert agent.check_password("Nouveau-secret-2026")
    client.logout()
    assert login(Client(), "agent-cpam", "Nouveau-secret-2026").status_code == 302
    assert login(Client(), "agent-cpam", "bon-mot-de-passe-2026").status_code == 200


def test_password_change_needs_a_signed_in_user(client: Client) -> None:
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Sessions ------------------------------------------------------------------------------------


def test_sessions_last_a_working_day_at_most_and_end_with_the_browser(
    agent: User, client: Client
) -> None:
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    response = login(client, "agent-cpam", "bon-mot-de-passe-2026")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == ""  # a browser-session cookie
    assert cookie["httponly"]
    assert client.session.get_expiry_age() <= 8 * 60 * 60


# --- Content-Security-Policy ---------------------------------------------------------------------


def test_the_csp_header_is_on_every_page(agent: User, client: Client) -> None:
    pages = [reverse("login")]
    for url in pages:
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
    client.force_login(agent)
    for url in (reverse("communities:list"), reverse("password_change")):
        assert "script-src 'self'" in client.get(url)["Content-Security-Policy"]
    assert "Content-Security-Policy" in client.get("/nexiste-pas/")


# --- The pages respect the policy, in a real browser ---------------------------------------------

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_main_pages_show_no_csp_violation(
    live_server: Any, browser: Any, contracted: dict[str, Any]
) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    violations: list[str] = []

    def visit(path: str) -> None:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        violations.extend(f"{path}: {v}" for v in page.evaluate("window.__cspViolations"))

    visit("/connexion/")
    page.get_by_label("Identifiant").fill("coord")
    page.get_by_label("Mot de passe").fill("pw-for-tests")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    nord = contracted["nord"].pk
    for path in (
        "/",
        f"/communautes/{nord}/",
        f"/communautes/{nord}/contrat/",
        f"/communautes/{nord}/annexe/1/",
        f"/communautes/{nord}/versements/",
        f"/communautes/{nord}/membres/",
        f"/communautes/{nord}/historique/",
        "/communautes/",
        "/territoire/",
        f"/territoire/communautes/{nord}/perimetre/",
        "/crises/",
        "/mot-de-passe/",
    ):
        visit(path)
    context.close()
    assert violations == [], "\n".join(violations)
    assert console == [], "\n".join(console)
