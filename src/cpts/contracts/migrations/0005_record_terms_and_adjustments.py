"""Fill the terms recorded at each signature and turn manual corrections into adjusting entries;
then, on PostgreSQL, forbid overlapping contracts and edits of paid entries and recorded facts."""

from decimal import Decimal

from django.db import migrations, models

from cpts.aci import add_months, default_tree, size_class

EXCLUSION = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE contracts_contract ADD CONSTRAINT contract_periods_never_overlap
    EXCLUDE USING gist (
        community_id WITH =,
        daterange(signed_on, COALESCE(terminated_on, ends_on), '[)') WITH &&
    );
"""

# A paid entry of the ledger is never edited nor deleted; a recorded contract year keeps its facts,
# and its final result once set. Corrections are new entries (services.correct_payment).
TRIGGERS = """
CREATE OR REPLACE FUNCTION cpts_paid_entry_is_final() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'paid' THEN
        RAISE EXCEPTION 'A paid entry of the ledger is never edited nor deleted (payment %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF NEW.amount <> OLD.amount OR NEW.kind <> OLD.kind OR NEW.community_id <> OLD.community_id
       OR NEW.contract_id IS DISTINCT FROM OLD.contract_id
       OR NEW.contract_year IS DISTINCT FROM OLD.contract_year THEN
        RAISE EXCEPTION 'The amount of an entry is never edited (payment %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER paid_entry_is_final BEFORE UPDATE OR DELETE ON contracts_payment
    FOR EACH ROW EXECUTE FUNCTION cpts_paid_entry_is_final();

CREATE OR REPLACE FUNCTION cpts_contract_year_is_a_fact() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'A recorded contract year is never deleted (%)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.contract_id, NEW.number, NEW.start, NEW."end", NEW.population, NEW.size_class,
        NEW.members, NEW.grid) IS DISTINCT FROM (OLD.contract_id, OLD.number, OLD.start,
        OLD."end", OLD.population, OLD.size_class, OLD.members, OLD.grid)
       OR NEW.perimeter_id IS DISTINCT FROM OLD.perimeter_id
       OR NEW.amendment_id IS DISTINCT FROM OLD.amendment_id
       OR (OLD.total IS NOT NULL AND (NEW.total IS DISTINCT FROM OLD.total
                                      OR NEW.result IS DISTINCT FROM OLD.result)) THEN
        RAISE EXCEPTION 'The facts of a recorded contract year never change (%)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER contract_year_is_a_fact BEFORE UPDATE OR DELETE ON contracts_contractyear
    FOR EACH ROW EXECUTE FUNCTION cpts_contract_year_is_a_fact();
"""

REVERSE = """
DROP TRIGGER IF EXISTS contract_year_is_a_fact ON contracts_contractyear;
DROP FUNCTION IF EXISTS cpts_contract_year_is_a_fact();
DROP TRIGGER IF EXISTS paid_entry_is_final ON contracts_payment;
DROP FUNCTION IF EXISTS cpts_paid_entry_is_final();
ALTER TABLE contracts_contract DROP CONSTRAINT IF EXISTS contract_periods_never_overlap;
"""


def record_terms(apps, schema_editor):
    Contract = apps.get_model("contracts", "Contract")
    Member = apps.get_model("communities", "Member")
    tree = default_tree()
    for contract in Contract.objects.select_related("community"):
        duration = tree.at("agreement.contract_duration_years", contract.signed_on).integer()
        contract.ends_on = add_months(contract.signed_on, 12 * duration)
        contract.population = contract.community.population
        contract.size_class = size_class(contract.population, contract.signed_on).value
        contract.members = (
            Member.objects.filter(community_id=contract.community_id)
            .filter(models.Q(joined_on__isnull=True) | models.Q(joined_on__lte=contract.signed_on))
            .count()
        )
        contract.save(update_fields=["ends_on", "population", "size_class", "members"])


def corrections_to_adjustments(apps, schema_editor):
    Payment = apps.get_model("contracts", "Payment")
    User = apps.get_model("accounts", "User")
    fallback = User.objects.filter(is_superuser=True).first() or User.objects.first()
    for payment in Payment.objects.filter(corrected_amount__isnull=False):
        delta = payment.corrected_amount - payment.amount
        if delta == Decimal(0):
            continue
        Payment.objects.create(
            community_id=payment.community_id,
            contract_id=payment.contract_id,
            contract_year=payment.contract_year,
            kind="adjustment",
            label=f"Régularisation de « {payment.label} »"[:300],
            amount=delta,
            reason=payment.correction_reason or "Correction manuelle antérieure",
            corrects_id=payment.pk,
            created_by=fallback,
            due_on=payment.due_on,
            paid_on=payment.paid_on,
            status=payment.status,
            explanation={"migrated_correction": True},
            run_id=payment.run_id,
        )


def postgres_only(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0004_ledger_contract_years_amendments_renewals"),
        ("communities", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(record_terms, migrations.RunPython.noop),
        migrations.RunPython(corrections_to_adjustments, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="contract",
            name="ends_on",
            field=models.DateField(verbose_name="fin du contrat (exclue)"),
        ),
        migrations.AlterField(
            model_name="contract",
            name="population",
            field=models.PositiveIntegerField(verbose_name="population à la signature"),
        ),
        migrations.AlterField(
            model_name="contract",
            name="size_class",
            field=models.PositiveSmallIntegerField(verbose_name="taille à la signature"),
        ),
        migrations.AlterField(
            model_name="contract",
            name="members",
            field=models.PositiveIntegerField(verbose_name="membres à la signature"),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="ends_on",
            field=models.DateField(verbose_name="fin du contrat (exclue)"),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="population",
            field=models.PositiveIntegerField(verbose_name="population à la signature"),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="size_class",
            field=models.PositiveSmallIntegerField(verbose_name="taille à la signature"),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="members",
            field=models.PositiveIntegerField(verbose_name="membres à la signature"),
        ),
        migrations.RemoveField(model_name="historicalpayment", name="corrected_amount"),
        migrations.RemoveField(model_name="historicalpayment", name="correction_reason"),
        migrations.RemoveField(model_name="payment", name="corrected_amount"),
        migrations.RemoveField(model_name="payment", name="correction_reason"),
        migrations.RunPython(postgres_only(EXCLUSION), postgres_only(REVERSE)),
        migrations.RunPython(postgres_only(TRIGGERS), migrations.RunPython.noop),
    ]
