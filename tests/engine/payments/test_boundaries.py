import subprocess
import sys


def test_the_payment_engine_never_imports_django():
    code = (
        "import sys, fullvalue.engine.payments, fullvalue.engine.payments.cli, "
        "fullvalue.engine.payments.charts; "
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
