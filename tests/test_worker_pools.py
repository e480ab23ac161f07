"""Builds started in a process where the queue worker ran must not hang (issue 19, item 5).

``govsite db_worker`` installs SIGTERM/SIGINT/SIGQUIT handlers that log and only ask it to stop.
A pool forked afterwards inherited them, so ``Pool.terminate()`` could wait for ever on a child
(the handler logging under a lock copied mid-use by the fork, or not exiting while the worker
runs a task). Every pool now comes from ``site_generator.processes.fork_pool``, whose children
reset the handlers to the default.
"""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cms", "content_models", "site_generator", "search_index", "publish", "services")

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, tempfile
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")
    os.environ.setdefault("GOVSITE_DATA_DIR", tempfile.mkdtemp())
    import django
    django.setup()
    from django_tasks_db.management.commands.db_worker import Worker
    from search_index.build import build_index
    from site_generator.processes import fork_pool

    worker = Worker(queue_names=["builds"], interval=0.1, batch=True, backend_name="builds",
                    startup_delay=False, max_tasks=None, worker_id="t", excluded_queue_names=[])
    worker.configure_signals()  # what db_worker does before it runs tasks
    worker.running_task = True  # as while it runs a build task: SIGTERM then only asks it to stop

    with fork_pool(2) as pool:
        handlers = pool.map(signal.getsignal, [signal.SIGTERM, signal.SIGQUIT, signal.SIGINT])
    print("child handlers default:", all(h == signal.SIG_DFL for h in handlers))

    records = [
        {"id": f"d{i}", "site": "zfb", "organ": "南安市人民政府办公室", "title": f"关于第{i}批项目的通知",
         "published": "2024-03-01T09:00:00+08:00", "body_html": f"<p>第{i}批项目名单公布如下。</p>"}
        for i in range(900)
    ]
    tmp = tempfile.mkdtemp()
    stats = build_index(records, os.path.join(tmp, "site"), os.path.join(tmp, "state"), processes=2)
    print("indexed", stats.documents)
    """
)


def test_pool_children_die_on_sigterm_after_the_queue_worker_set_its_handlers():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "child handlers default: True" in proc.stdout
    assert "indexed 900" in proc.stdout


def test_every_process_pool_is_made_by_fork_pool():
    pool_call = re.compile(r"\.Pool\(|ProcessPoolExecutor|multiprocessing\.Process\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "processes.py"
        for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if pool_call.search(line)
    ]
    assert offenders == [], "process pools must come from site_generator.processes (fork_pool, fork_executor)"
