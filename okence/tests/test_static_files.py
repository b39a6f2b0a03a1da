"""Production collects static files with hashed names, and the meeting modules import those."""

import os
import re
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

    def hashed_source(module: str) -> str:
        hashed = [
            path
            for path in (tmp_path / "static" / "okence" / "meeting").glob(f"{module}.*.js")
            if not path.name.endswith(".gz")
        ]
        assert hashed, f"no hashed copy of {module}.js"
        return hashed[0].read_text()

    # The page's module imports ui.js, which imports the shared socket client (see openRoom) from
    # lib/, a folder up: both hashed.
    source = hashed_source("citizen")
    assert "./ui.js" not in source and re.search(r'"\./ui\.[0-9a-f]{12}\.js"', source)
    source = hashed_source("ui")
    assert "../lib/socket.js" not in source
    assert re.search(r'"\.\./lib/socket\.[0-9a-f]{12}\.js"', source)
