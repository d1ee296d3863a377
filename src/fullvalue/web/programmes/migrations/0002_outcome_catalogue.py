"""The outcome catalogue programmes pay for (the seven pathways and proven reoffending)."""

from django.db import migrations

CATALOGUE = [
    ("proven-reoffending-binary", "Proven reoffending (binary)",
     "The share of the cohort with a proven reoffence: an offence committed within 12 months of "
     "the index date and proven by conviction or caution within a further 6 months (MoJ).",
     "Ministry of Justice reoffending data for the cohort, matched by the Justice Data Lab or "
     "the commissioner's extract.", "Reducing reoffending"),
    ("proven-reoffending-frequency", "Proven reoffending (frequency)",
     "Proven reoffences per person in the cohort over the same window.",
     "As for the binary measure.", "Reducing reoffending"),
    ("employment-sustained", "Sustained employment",
     "Paid work of at least 16 hours a week sustained for 13 weeks.",
     "Payslips, employer confirmation or HMRC data match.",
     "Education, training and employment"),
    ("accommodation-settled", "Settled accommodation",
     "Settled accommodation on release and still held after 3 months.",
     "Tenancy agreement or local authority housing record.", "Accommodation"),
    ("substance-recovery", "Substance misuse recovery",
     "Completion of treatment free of dependence, with no re-presentation within 6 months.",
     "National Drug Treatment Monitoring System record.", "Drugs and alcohol"),
    ("debt-resolved", "Finance, benefit and debt resolved",
     "Benefits in payment on release and priority debts under a repayment plan.",
     "Benefit award letter and debt plan.", "Finance, benefit and debt"),
    ("family-contact", "Family relationships maintained",
     "Regular contact with children and family maintained or restored.",
     "Case record with family confirmation.", "Children and families"),
    ("attitudes-progress", "Attitudes, thinking and behaviour progress",
     "Improvement on a validated distance-travelled measure (e.g. Outcomes Star).",
     "Two assessments at least 3 months apart.", "Attitudes, thinking and behaviour"),
]


def load(apps, schema_editor):
    Outcome = apps.get_model("programmes", "OutcomeDefinition")
    for code, name, definition, evidence, pathway in CATALOGUE:
        Outcome.objects.update_or_create(
            code=code,
            defaults={"name": name, "definition": definition, "evidence_rule": evidence,
                      "pathway": pathway, "is_catalogue": True},
        )


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
