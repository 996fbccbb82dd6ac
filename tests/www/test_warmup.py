"""A server process warms up before its first request (``cpts.www.warmup``, called by
``cpts.wsgi``): views imported, templates compiled, the territory's arrays built."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import engines

from cpts.communities import perimeters
from cpts.territory.models import PopulationVintage
from cpts.www import warmup


@pytest.mark.django_db(transaction=True)
def test_warm_builds_the_arrays_compiles_the_templates_and_closes_its_connection(
    geography: None,
) -> None:
    perimeters._ARRAYS.clear()
    perimeters._POPULATIONS.clear()
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()

    assert warmup.warm() >= 0
    assert connection.connection is None  # closed: none may cross a fork

    assert len(perimeters._ARRAYS) == 1
    arrays = next(iter(perimeters._ARRAYS.values()))
    vintages = set(PopulationVintage.objects.values_list("year", flat=True))
    assert vintages  # the sample has legal populations
    assert {year for year, _ in perimeters._POPULATIONS} == vintages
    assert all(size == len(arrays.codes) for _, size in perimeters._POPULATIONS)
    compiled = {name for name in loader.get_template_cache if not name.startswith("dsfr/")}
    on_disk = {str(path.relative_to(warmup.TEMPLATES)) for path in warmup.TEMPLATES.rglob("*.html")}
    assert on_disk <= set(loader.get_template_cache)
    assert compiled  # our own templates, compiled


def test_the_wsgi_module_can_skip_the_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    calls: list[int] = []
    monkeypatch.setenv("CPTS_WARM_UP", "0")
    monkeypatch.setattr(warmup, "warm", lambda: calls.append(1) or 0.0)
    sys.modules.pop("cpts.wsgi", None)
    importlib.import_module("cpts.wsgi")
    assert calls == []
    monkeypatch.setenv("CPTS_WARM_UP", "1")
    sys.modules.pop("cpts.wsgi", None)
    importlib.import_module("cpts.wsgi")
    assert calls == [1]
