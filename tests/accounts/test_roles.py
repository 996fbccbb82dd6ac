"""Role labels: short enough for the header, and the migrations match the model."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from cpts.accounts.models import Role
from tests.factories import regulator

pytestmark = pytest.mark.django_db


def test_the_regulator_role_label_is_short_and_migrated(client: Client) -> None:
    assert Role.REGULATOR.label == "régulation du SAS"
    # the migration holds the same choices: nothing left to migrate
    out = io.StringIO()
    call_command("makemigrations", "accounts", "--check", "--dry-run", stdout=out)
    client.force_login(regulator(["59"]))
    page = client.get("/", follow=True).content.decode()
    assert "· régulation du SAS</span>" in page
