"""Pytest plugin (loaded with ``-p tests.plugin`` from setup.cfg) that isolates test state.

pytest-django imports the settings before any conftest.py runs, so a conftest cannot choose the
data directory in time; a plugin named on the command line is imported earlier. Tests then never
touch the developer's ``./var``.
"""

import os
import tempfile

if "GOVSITE_DATA_DIR" not in os.environ:
    os.environ["GOVSITE_DATA_DIR"] = tempfile.mkdtemp(prefix="govsite-test-")
os.environ.setdefault("GOVSITE_SITE_DIR", os.path.join(os.environ["GOVSITE_DATA_DIR"], "site"))
