"""Each community computation owns its département's and nation's computations (a shared row per
period let another community's computation rewrite what a closed year showed); counts are signed
(a regularisation cancelling a regulated act of an earlier period gives -1).

Data kept: a shared comparison goes to the first community computation of its period (and
département), and a copy of it, with its results, to each other one; a comparison no community
computation uses is dropped (none is referenced by an annex indicator)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def own_comparisons(apps, schema_editor):
    Computation = apps.get_model("indicators", "Computation")
    ComputedIndicator = apps.get_model("indicators", "ComputedIndicator")
    shared = Computation.objects.filter(scope__in=["departement", "national"], owner__isnull=True)
    for row in list(shared.order_by("pk")):
        owners = Computation.objects.filter(scope="community", start=row.start, end=row.end)
        if row.scope == "departement":
            owners = owners.filter(departement_id=row.departement_id)
        first, *others = list(owners.order_by("pk")) or [None]
        if first is None:
            row.delete()
            continue
        results = list(ComputedIndicator.objects.filter(computation=row).order_by("pk"))
        row.owner = first
        row.save(update_fields=["owner"])
        for owner in others:
            copy = Computation.objects.get(pk=row.pk)
            copy.pk = None
            copy.owner = owner
            copy.save()
            ComputedIndicator.objects.bulk_create(
                ComputedIndicator(
                    computation=copy,
                    code=item.code,
                    label=item.label,
                    numerator=item.numerator,
                    denominator=item.denominator,
                    value=item.value,
                )
                for item in results
            )
    if schema_editor.connection.vendor == "postgresql":  # no pending trigger events before ALTER
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0002_history_of_communities_and_members"),
        ("indicators", "0001_computed_indicators_per_scope_and_period"),
        ("territory", "0005_perimeter_versions_never_overlap"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="computation",
            name="computation_scope_consistent",
        ),
        migrations.RemoveConstraint(
            model_name="computation",
            name="computation_once_per_departement_period",
        ),
        migrations.RemoveConstraint(
            model_name="computation",
            name="computation_once_per_national_period",
        ),
        migrations.AddField(
            model_name="computation",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="comparisons",
                to="indicators.computation",
                verbose_name="calcul de la CPTS comparée",
            ),
        ),
        migrations.AddField(
            model_name="historicalcomputation",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="indicators.computation",
                verbose_name="calcul de la CPTS comparée",
            ),
        ),
        migrations.AlterField(
            model_name="computedindicator",
            name="numerator",
            field=models.BigIntegerField(verbose_name="numérateur"),
        ),
        migrations.AlterField(
            model_name="historicalcomputedindicator",
            name="numerator",
            field=models.BigIntegerField(verbose_name="numérateur"),
        ),
        migrations.RunPython(own_comparisons, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="computation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("scope", "community"),
                        ("community__isnull", False),
                        ("departement__isnull", False),
                        ("owner__isnull", True),
                    ),
                    models.Q(
                        ("scope", "departement"),
                        ("community__isnull", True),
                        ("departement__isnull", False),
                        ("owner__isnull", False),
                    ),
                    models.Q(
                        ("scope", "national"),
                        ("community__isnull", True),
                        ("departement__isnull", True),
                        ("owner__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="computation_scope_consistent",
            ),
        ),
        migrations.AddConstraint(
            model_name="computation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("owner__isnull", False)),
                fields=("owner", "scope"),
                name="comparison_once_per_community_computation",
            ),
        ),
        migrations.AddConstraint(
            model_name="computedindicator",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("denominator__isnull", True),
                    models.Q(("numerator__gte", 0), ("numerator__lte", models.F("denominator"))),
                    _connector="OR",
                ),
                name="computed_share_within_its_denominator",
            ),
        ),
    ]
