"""Production collects static files with hashed names, and the meeting modules import those."""

import os
import subprocess
import sys

from django.conf import settings


def test_collectstatic_rewrites_the_meeting_modules_imports(tmp_path):
    env = os.environ | {
        "OKENCE_PROFILE": "production",
        "SECRET_KEY": "s" * 50,
        "SMTP_URL": "smtp://127.0.0.1:25",
        "OKENCE_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    hashed = [
        path
        for path in (tmp_path / "static" / "okence" / "meeting").glob("citizen.*.js")
        if not path.name.endswith(".gz")
    ]
    assert hashed, "no hashed copy of citizen.js"
    source = hashed[0].read_text()
    assert "./signalling.js" not in source and "signalling." in source
