"""Reference data: English regions and the devolved nations, and police force areas."""

from django.db import migrations

from fullvalue.domain.organisations import POLICE_FORCE_AREAS, REGIONS


def load_areas(apps, schema_editor):
    Area = apps.get_model("organisations", "Area")
    for code, name in REGIONS.items():
        Area.objects.update_or_create(code=code, defaults={"name": name, "kind": "region"})
    for code, name in POLICE_FORCE_AREAS.items():
        Area.objects.update_or_create(code=code, defaults={"name": name, "kind": "pfa"})


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(load_areas, migrations.RunPython.noop)]
