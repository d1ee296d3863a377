"""The engine is pure Python: importing every engine module pulls in no Django."""

import pkgutil
import subprocess
import sys

import fullvalue.engine


def test_engine_imports_no_django():
    names = [m.name for m in pkgutil.walk_packages(fullvalue.engine.__path__, "fullvalue.engine.")]
    assert names, "the engine has modules"
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
