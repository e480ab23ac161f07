"""Self-inspection (自查): what the national checklist (国办秘函〔2019〕19号) would count, found before an
inspector does. ``govsite inspect [--json] [--external]`` and the admin's 网站自查 report run
``checks.run_inspection``; the build worker runs it daily (``jobs.daily_report``). Every finding
links to the thing to fix."""
