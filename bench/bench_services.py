"""Benchmark the status lookup (办件查询) under a production server on loopback, throttling on.

    .venv/bin/python bench/bench_services.py [--rows 200000] [--duration 20] [--connections 128]
                                              [--server granian,gunicorn] [--database-url postgres://...]
                                              [--cache-url redis://127.0.0.1:6379/0] [--baseline]
                                              [--data-dir DIR [--prepare-only]]

Creates a temporary SQLite database (or uses --database-url), migrates it, bulk-inserts ``--rows``
applications (with ``--data-dir`` the data is kept there and reused by the next run, so it can be
made with ``--prepare-only`` outside the benchmark lock), then for each server (the README's
production setup: ``cms.wsgi:application`` under granian or gunicorn, 2 workers) starts it on a
free 127.0.0.1 port and loads
``GET /api/services/status/lookup?no=…&code=…`` with wrk (Debian's ``wrk``; 10% of the requests miss)
for a bounded time; without wrk a Python thread client runs a bounded number of requests.
Throttling is on as deployed (services.throttle, in the database cache or, with --cache-url, Redis):
the server trusts 127.0.0.1 as its reverse proxy and each request names another citizen in
X-Forwarded-For, so the per-client and per-number counters are read on every request and written on
every miss.
Prints requests/s, p50 and p99 latency. ``--baseline`` also measures the same servers with the
short path off (``GOVSITE_FAST_PATHS=0``: every lookup through Django's whole handler and ninja)
in the same run. The shared cache is emptied before each measurement, so no counter of an earlier
run locks a number. Loopback only; a temporary data directory is removed afterwards.
"""

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from results import recording, session_priority

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shell(env: dict, code: str) -> str:
    return subprocess.run([str(BIN / "govsite"), "shell", "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


def prepare(env: dict, rows: int, pairs_file: Path, seed: int = 1) -> list[tuple[str, str]]:
    """Migrate and fill the database in a child process (unless it already holds exactly ``rows``
    applications and their pairs file); return (number, code) pairs to query."""
    subprocess.run([str(BIN / "govsite"), "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    have = int(_shell(env, "from services.status.models import Application\n"
                           "print(Application.objects.count())").split()[-1])
    if have == rows and pairs_file.exists():
        return [tuple(line.split()) for line in pairs_file.read_text().splitlines()]
    code = f"""
import datetime as dt, random
from services.cases import new_query_code
from services.status.models import Application
from services.workdays import add_workdays
Application.objects.all().delete()
rng = random.Random({seed})
depts = ["自然资源局", "市场监管局", "教育局", "住建局", "民政局", "卫健局", "交通局", "农业农村局", "人社局", "税务局"]
start = dt.date(2025, 1, 1)
batch = []
for i in range({rows}):
    accepted = start + dt.timedelta(days=rng.randrange(600))
    batch.append(Application(number=f"XK{{i:08d}}", query_code=new_query_code(), applicant="许文华",
        item="建设工程规划许可", department=rng.choice(depts), accepted_on=accepted, deadline_days=20,
        deadline=add_workdays(accepted, 20), status="in_progress"))
    if len(batch) == 5000:
        Application.objects.bulk_create(batch); batch = []
Application.objects.bulk_create(batch)
"""
    subprocess.run([str(BIN / "govsite"), "shell", "-c", code], cwd=ROOT, env=env, check=True)
    dump = _shell(env, "from services.status.models import Application\n"
                       "import sys\n"
                       "for n, c in Application.objects.values_list('number', 'query_code').order_by('?')[:20000]:\n"
                       "    sys.stdout.write(f'{n} {c}\\n')")
    pairs = [tuple(line.split()) for line in dump.splitlines() if re.fullmatch(r"XK\d+ [2-9A-Z]{10}", line.strip())]
    pairs_file.write_text("".join(f"{n} {c}\n" for n, c in pairs))
    return pairs


def clear_cache(env: dict) -> None:
    """Empty the shared cache (its counters would lock numbers an earlier run guessed wrong)."""
    _shell(env, "from django.core.cache import cache\ncache.clear()")


def start_server(kind: str, env: dict, port: int, threads: int) -> subprocess.Popen:
    if kind == "granian":
        cmd = [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers",
               "2", "--blocking-threads", str(threads), "--no-access-log", "--log-level", "warning",
               "cms.wsgi:application"]
    else:
        cmd = [str(BIN / "gunicorn"), "cms.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2",
               "-k", "gthread", "--threads", str(threads), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    session_priority(proc.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/services/letters/challenge", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("服务器未能启动")


LUA = """
local pairs = {}
for line in io.lines("%s") do
  local n, c = line:match("(%%S+) (%%S+)")
  pairs[#pairs + 1] = {n, c}
end
local i = 0
request = function()
  i = i + 1
  local p = pairs[(i * 7919) %% #pairs + 1]
  local code = p[2]
  if i %% 10 == 0 then code = "WRONGCODE9" end
  local client = "10." .. (math.floor(i / 62500) %% 250) .. "." .. (math.floor(i / 250) %% 250) .. "." .. (i %% 250)
  return wrk.format("GET", "/api/services/status/lookup?no=" .. p[1] .. "&code=" .. code,
                    {["X-Forwarded-For"] = client})
end
"""


def run_wrk(port: int, pairs_file: Path, duration: int, connections: int) -> dict:
    script = pairs_file.with_suffix(".lua")
    script.write_text(LUA % pairs_file)
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        check=True, capture_output=True, text=True, timeout=duration + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> str:
        m = re.search(rf"\s{p}%\s+([\d.]+\w+)", out)
        return m.group(1) if m else "?"

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"requests": total, "rps": rps, "p50": pct("50"), "p99": pct("99"),
            "non_2xx": int(errors.group(1)) if errors else 0, "raw": out}


def run_threads(port: int, pairs: list, duration: int, connections: int, max_requests: int = 50000) -> dict:
    """Fallback load generator: bounded by count and time."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + duration
    counter = iter(range(max_requests))

    def worker():
        rng = random.Random()
        while time.monotonic() < stop:
            try:
                next(counter)
            except StopIteration:
                return
            n, c = rng.choice(pairs)
            t0 = time.perf_counter()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/services/status/lookup?no={n}&code={c}").read()
            except urllib.error.HTTPError:
                pass
            with lock:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=worker) for _ in range(min(connections, 64))]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    latencies.sort()
    return {"requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50": f"{latencies[len(latencies) // 2] * 1000:.1f}ms",
            "p99": f"{latencies[int(len(latencies) * 0.99)] * 1000:.1f}ms", "non_2xx": "?"}


def measure(kind: str, env: dict, args, pairs: list, pairs_file: Path) -> dict:
    clear_cache(env)
    port = free_port()
    proc = start_server(kind, env, port, args.threads)
    try:
        if shutil.which("wrk"):
            return {**run_wrk(port, pairs_file, args.duration, args.connections), "tool": "wrk"}
        return {**run_threads(port, pairs, args.duration, args.connections), "tool": "python threads"}
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=128)
    ap.add_argument("--server", default="granian", help="granian, gunicorn or both (comma-separated)")
    ap.add_argument("--threads", type=int, default=4, help="threads per worker (granian blocking threads, gunicorn gthread)")
    ap.add_argument("--database-url", default="")
    ap.add_argument("--cache-url", default="", help="Redis for the shared cache (default: the database cache)")
    ap.add_argument("--baseline", action="store_true", help="also measure with the short path off (GOVSITE_FAST_PATHS=0)")
    ap.add_argument("--data-dir", default="", help="keep the prepared data here and reuse it (default: a temporary directory)")
    ap.add_argument("--prepare-only", action="store_true", help="prepare the data in --data-dir and stop")
    args = ap.parse_args()
    servers = [k.strip() for k in args.server.split(",") if k.strip()]
    if not servers or any(k not in ("granian", "gunicorn") for k in servers):
        raise SystemExit("--server：granian、gunicorn 或两者（逗号分隔）")

    tmp = Path(args.data_dir).resolve() if args.data_dir else Path(tempfile.mkdtemp(prefix="bench-services-"))
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(tmp), GOVSITE_SITE_DIR=str(tmp / "site"), DJANGO_SETTINGS_MODULE="cms.settings",
               GOVSITE_SERVE_SITE="0", GOVSITE_TRUSTED_PROXIES="127.0.0.1")
    env.pop("GOVSITE_CACHE_URL", None)
    env.pop("GOVSITE_FAST_PATHS", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.cache_url:
        env.update(GOVSITE_CACHE_URL=args.cache_url, GOVSITE_CACHE_PREFIX=f"bench-{os.getpid()}")
    try:
        t0 = time.monotonic()
        pairs_file = tmp / f"pairs-{args.rows}.txt"
        pairs = prepare(env, args.rows, pairs_file)
        print(f"准备数据：{args.rows} 条办件，{time.monotonic() - t0:.1f} s")
        if args.prepare_only:
            return
        db = "PostgreSQL" if args.database_url else "SQLite (WAL)"
        db += " · throttling on, " + ("Redis cache" if args.cache_url else "database cache")
        variants = [("short path", {})] + ([("Django path (GOVSITE_FAST_PATHS=0)", {"GOVSITE_FAST_PATHS": "0"})]
                                           if args.baseline else [])
        for kind in servers:
            figures = {}
            for name, extra in variants:
                result = measure(kind, {**env, **extra}, args, pairs, pairs_file)
                figures[name] = result
                print(f"status lookup · {name} · {kind} (2 workers × {args.threads} threads) · {db} · {args.rows} rows · "
                      f"{result['tool']}, {args.connections} connections, {args.duration} s · load {os.getloadavg()[0]:.1f}")
                print(f"  requests: {result['requests']}  requests/s: {result['rps']:.0f}  p50: {result['p50']}  "
                      f"p99: {result['p99']}  non-2xx (10% misses expected): {result['non_2xx']}")
            if len(figures) == 2:
                short, full = figures.values()
                print(f"  {kind}: short path / Django path = {short['rps'] / full['rps']:.1f}× requests/s")
    finally:
        if not args.data_dir:
            shutil.rmtree(tmp, ignore_errors=True)
        if args.cache_url:
            import redis  # noqa: PLC0415 - only a Redis run needs the client

            client = redis.Redis.from_url(args.cache_url)
            for key in client.scan_iter(match=f"{env['GOVSITE_CACHE_PREFIX']}:*"):
                client.delete(key)


def _title(argv: list[str]) -> str:
    """One RESULTS.md section per database and cache, so the SQLite and PostgreSQL runs both stay."""
    db = "PostgreSQL" if any(a.startswith("--database-url") for a in argv) else "SQLite"
    cache = "Redis" if any(a.startswith("--cache-url") for a in argv) else "database cache"
    return f"bench_services: status lookup, throttling on ({db}, {cache})"


if __name__ == "__main__":
    if "--prepare-only" in sys.argv[1:]:
        main()  # no figures: RESULTS.md is left as it is
    else:
        with recording(_title(sys.argv[1:])):
            main()
