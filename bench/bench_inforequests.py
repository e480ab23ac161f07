"""Benchmark 依申请公开: concurrent submissions stored exactly once, and the annual report at scale.

    .venv/bin/python bench/bench_inforequests.py [--submissions 200] [--requests 100000]
                                                  [--documents 200000] [--database-url postgres://...]
                                                  [--data-dir DIR [--prepare-only | --report-only]]

1. Starts gunicorn (2 workers × 8 threads) on a free 127.0.0.1 port over a fresh database and
   fires ``--submissions`` concurrent citizens (each: challenge, answer, POST with its own
   Idempotency-Key), then every citizen retries once with the same key. Counts rows and numbers.
2. Bulk-inserts ``--requests`` requests over three years and ``--documents`` documents, then
   times ``govsite annual_report --year 2025 --dry-run`` (the whole command, as an operator runs
   it) and the computation alone.
Loopback only; the temporary data directory is removed afterwards. With ``--data-dir`` the data
is kept there: ``--prepare-only`` fills it (slow: run it outside the benchmark lock) and
``--report-only`` times the annual report over it (the figure to take under the lock).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from results import recording

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests.helpers.loopback import free_port  # noqa: E402
from tests.helpers.services import solve  # noqa: E402


def govsite_shell(env: dict, code: str) -> str:
    out = subprocess.run([str(BIN / "govsite"), "shell", "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    lines = [line for line in out.splitlines() if line.strip()]
    return lines[-1] if lines else ""  # Django's shell first says what it imported


def call(method: str, url: str, body: dict | None = None, key: str = "") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def submissions(env: dict, n: int) -> None:
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "cms.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2", "-k", "gthread",
         "--threads", "8", "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}/api/services/inforequests"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/departments", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        results: list[tuple[str, int, str]] = []
        lock = threading.Lock()
        barrier = threading.Barrier(n)

        def citizen(i: int) -> None:
            _, challenge = call("GET", base + "/challenge")
            key = uuid.uuid4().hex
            body = {"department": "zrzy", "name": f"申请人{i}", "credential_type": "其他", "credential_no": f"C{i}",
                    "phone": "13800138000", "description": f"第{i}份申请：请公开某项政府信息。",
                    "challenge_token": challenge["token"], "challenge_answer": solve(challenge["question"])}
            barrier.wait()
            status, data = call("POST", base + "/", body, key)
            status2, data2 = call("POST", base + "/", body, key)  # the retry a lost answer causes
            with lock:
                results.append((key, status, data.get("number", "")))
                results.append((key, status2, data2.get("number", "")))

        started = time.perf_counter()
        threads = [threading.Thread(target=citizen, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    statuses = sorted({s for _k, s, _n in results})
    numbers = {k: set() for k, _s, _n in results}
    for k, _s, number in results:
        numbers[k].add(number)
    rows = int(govsite_shell(env, "from services.inforequests.models import InfoRequest\n"
                                  "print(InfoRequest.objects.count())").strip())
    distinct = int(govsite_shell(env, "from services.inforequests.models import InfoRequest\n"
                                      "print(InfoRequest.objects.values('number').distinct().count())").strip())
    print(f"{n} concurrent submissions + {n} retries with the same keys: {elapsed:.2f} s; statuses {statuses}")
    print(f"rows stored: {rows}; distinct numbers: {distinct}; keys answered with one number each: "
        f"{sum(1 for v in numbers.values() if len(v) == 1 and '' not in v)} of {n}")
    if rows != n or distinct != n:
        raise SystemExit("FAILED: not stored exactly once each")


FILL = """
import datetime as dt, random
from django.utils import timezone
from wagtail.models import Locale
from content_models.models import Department, DisclosureDocument
from services.inforequests.models import InfoRequest
from services.inforequests.outcomes import REASONS, Outcome
rng = random.Random(7)
depts = list(Department.objects.all())
types = ["natural", "business", "research", "nonprofit", "legal", "other"]
outcomes = list(Outcome.values)
batch = []
for i in range({requests}):
    got = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(1000))
    answered = got + dt.timedelta(days=rng.randrange(1, 50)) if rng.random() < 0.9 else None
    outcome = rng.choice(outcomes) if answered else ""
    batch.append(InfoRequest(number=f"YS{{i:010d}}", department=rng.choice(depts), applicant_type=rng.choice(types),
        name="申请人", credential_type="其他", credential_no="x", phone="13800138000", description="信息",
        received_on=got, submitted_at=timezone.make_aware(dt.datetime.combine(got, dt.time(9))),
        status="answered" if answered else "accepted", answered_on=answered, outcome=outcome,
        reason=rng.choice(REASONS[outcome]) if outcome in REASONS else ""))
    if len(batch) == 5000:
        InfoRequest.objects.bulk_create(batch); batch = []
InfoRequest.objects.bulk_create(batch)
locale = Locale.get_default()
cats = ["法规规章", "政策文件", "通知公告", "工作动态", "政策解读"]
validity = ["有效", "有效", "有效", "失效", "废止"]
batch = []
for i in range({documents}):
    day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(4000))
    batch.append(DisclosureDocument(source_id=f"b{{i}}", locale=locale, department=rng.choice(depts), organ="某局",
        title=f"文件{{i}}", category=rng.choice(cats), written=day, validity=rng.choice(validity), live=True,
        published_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9)))))
    if len(batch) == 5000:
        DisclosureDocument.objects.bulk_create(batch); batch = []
DisclosureDocument.objects.bulk_create(batch)
print(InfoRequest.objects.count(), DisclosureDocument.objects.count())
"""

TIME_COMPUTE = """
import time
from services.inforequests import report
t = time.perf_counter(); r = report.compute(2025); html = report.to_html(r, None); data = report.to_csv(r)
print(f"{time.perf_counter() - t:.2f} {len(r.problems)} {r.requests.rows[0][1][-1]}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", default="", help="keep the data here (reused by --report-only)")
    stage = parser.add_mutually_exclusive_group()
    stage.add_argument("--prepare-only", action="store_true", help="fill --data-dir and stop (outside the lock)")
    stage.add_argument("--report-only", action="store_true", help="time the report over a filled --data-dir")
    args = parser.parse_args()
    if (args.prepare_only or args.report_only) and not args.data_dir:
        parser.error("--prepare-only and --report-only need --data-dir")
    data = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bench-inforequests-"))
    filled = data / "filled.txt"
    if args.report_only and not filled.exists():
        parser.error(f"{data} is not filled yet: run with --prepare-only first")
    data.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(data), GOVSITE_SITE_DIR=str(data / "site"), GOVSITE_SERVICES_RATE_LIMIT="0",
               DJANGO_SETTINGS_MODULE="cms.settings", GOVSITE_NOTIFIERS="services.notify.EmailNotifier")
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    try:
        if args.prepare_only:
            prepare(env, args)
            return
        with recording("bench_inforequests: submissions and the annual report"):
            if not args.report_only:
                prepare(env, args)
            if args.report_only:
                print(filled.read_text(encoding="utf-8").strip(), "(prepared outside the lock)")
            seconds, problems, new = govsite_shell(env, TIME_COMPUTE).split()
            print(f"annual report 2025, computation + HTML + CSV: {seconds} s ({new} new requests, {problems} problems)")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run([str(BIN / "govsite"), "annual_report", "--year", "2025", "--dry-run"], cwd=ROOT, env=env,
                           check=True, capture_output=True)
            whole = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            print(f"govsite annual_report --year 2025 --dry-run, whole process: {whole:.2f} s wall, {cpu:.2f} s CPU "
                f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; target < 10 s)")
            if cpu >= 10:
                raise SystemExit("FAILED: the annual report used 10 s of CPU or more")
    finally:
        if not args.data_dir:
            shutil.rmtree(data, ignore_errors=True)


def prepare(env: dict, args: argparse.Namespace) -> None:
    """A fresh database: the concurrent submissions, then a year of requests and the documents."""
    data = Path(env["GOVSITE_DATA_DIR"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _prepare(env, args)
    print(out.getvalue(), end="")
    (data / "filled.txt").write_text(out.getvalue(), encoding="utf-8")


def _prepare(env: dict, args: argparse.Namespace) -> None:
    subprocess.run([str(BIN / "govsite"), "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    govsite_shell(env, "from content_models.models import Department\n"
                       "for i, (s, n) in enumerate([('zrzy', '自然资源局'), ('jyj', '教育局'), ('scj', '市场监管局')]):\n"
                       "    Department.objects.create(slug=s, name=n, sort_order=i)")
    print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    submissions(env, args.submissions)
    t = time.perf_counter()
    counts = govsite_shell(env, FILL.format(requests=args.requests, documents=args.documents)).split()
    print(f"filled {counts[0]} requests and {counts[1]} documents in {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
