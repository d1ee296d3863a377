import subprocess
import sys


def test_measure_engine_imports_without_django():
    code = (
        "import sys, fullvalue.engine.measure, fullvalue.engine.measure.cli, "
        "fullvalue.engine.measure.synthetic; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
