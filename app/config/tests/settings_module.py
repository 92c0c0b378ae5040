"""The settings module as it reads a given environment, in this process: what
``config/settings.py`` makes of the variables, without starting a process."""

import os
import runpy
from pathlib import Path
from unittest import mock

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "settings.py"


def settings_read_from(unset=(), **values):
    """The names ``config.settings`` defines when it runs with this process's
    environment, changed by ``values`` and without the names in ``unset``."""
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(values)
    with mock.patch.dict(os.environ, env, clear=True):
        return runpy.run_path(str(SETTINGS_FILE))
