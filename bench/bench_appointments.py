"""Benchmark the booking API (预约办理) under a production server on loopback, and check that no
slot was over-booked.

    .venv/bin/python bench/bench_appointments.py [--duration 20] [--connections 128] [--baseline]
                                                 [--server granian|gunicorn[,…]] [--database-url postgres://...]
                                                 [--cache-url redis://127.0.0.1:6379/0] [--threads 4[,8]]

Creates a temporary SQLite database (or uses --database-url), migrates it; for each measurement
opens two windows of its own: one with 8 periods of 300 places on each of the next 10 working days
(24,000 places), and a "hot" one whose single slot has 50 places; prepares one booking per request
(each with its own answered challenge in the shared cache and its own Idempotency-Key: the path a
citizen's browser takes), 10 % of them for the hot slot. The server (``cms.wsgi:application``, the
README's production setup) runs with 2 workers of ``--threads`` threads each (several counts are
measured in turn: a booking on PostgreSQL mostly waits for its commit's WAL flush, which more
threads overlap); wrk (Debian's ``wrk``) sends
``POST /api/services/appointments/bookings`` over ``--connections`` connections for ``--duration``
seconds. The per-IP write limit is off (every request comes from 127.0.0.1). ``--baseline`` also
measures Django's whole path (``GOVSITE_FAST_PATHS=0``) in the same run, on windows of its own.
Prints bookings/s (201 answers), refusals (409, slot full), other answers, latency, and then checks
in the database that every slot's counter equals its active bookings and never exceeds its capacity.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_services import BIN, ROOT, free_port, start_server
from results import recording

SETUP = r"""
import datetime as dt, json, random, re, uuid, orjson
from content_models.models import Department
from services import antispam
from services.appointments.models import Window, Period
from services.workdays import is_workday
d, _ = Department.objects.get_or_create(slug="bench", defaults={"name": "压测部门"})
w = Window.objects.create(department=d, name="综合窗口", place="一楼", days_ahead=40)
starts = [dt.time(8 + h) for h in range(8)]
for n, s in enumerate(starts):
    Period.objects.create(window=w, start=s, end=dt.time(s.hour, 50), capacity=300, sort_order=n)
hot = Window.objects.create(department=d, name="热门窗口", place="二楼", days_ahead=40)
Period.objects.create(window=hot, start=dt.time(9), end=dt.time(10), capacity=50)
days, day = [], dt.date.today() + dt.timedelta(days=1)
while len(days) < 10:
    if is_workday(day):
        days.append(day.isoformat())
    day += dt.timedelta(days=1)
rng = random.Random(1)
with open(OUT, "w") as fh:
    for i in range(N):
        c = antispam.new_challenge()
        a, op, b = re.search(r"(\d+)\s*(加|减)\s*(\d+)", c.question).groups()
        answer = int(a) + int(b) if op == "加" else int(a) - int(b)
        if i % 10 == 0:
            window, d_, start = hot.pk, days[0], "09:00"
        else:
            window, d_, start = w.pk, rng.choice(days), f"{rng.choice(starts):%H:%M}"
        body = {"window": window, "day": d_, "start": start, "name": "许文华", "phone": f"138{i:08d}",
                "challenge_token": c.token, "challenge_answer": str(answer)}
        fh.write(uuid.uuid4().hex + "\t" + orjson.dumps(body).decode() + "\n")
print(json.dumps([w.pk, hot.pk]))
"""

CHECK = r"""
import json
from django.db.models import Count, Q
from services.appointments.models import Slot, Booking
rows = Slot.objects.filter(window_id__in=WINDOWS).annotate(active=Count("bookings", filter=~Q(bookings__status="cancelled")))
bad = [(s.pk, s.booked, s.active, s.capacity) for s in rows if s.booked != s.active or s.booked > s.capacity]
hot = [(s.booked, s.capacity) for s in rows.filter(window_id=WINDOWS[1])]
print(json.dumps({"slots": rows.count(), "bookings": Booking.objects.filter(window_id__in=WINDOWS).count(),
                  "bad": bad, "hot": hot}))
"""

LUA = r"""
local lines, i = {}, 0
for line in io.lines("%s") do lines[#lines + 1] = line end
local counts = {}
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  ok, full, other = 0, 0, 0
  i = tonumber(id)
end
request = function()
  i = i + 2
  local line = lines[(i %% #lines) + 1]
  local tab = line:find("\t")
  return wrk.format("POST", "/api/services/appointments/bookings",
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = line:sub(1, tab - 1)}, line:sub(tab + 1))
end
response = function(status, headers, body)
  if status == 201 then ok = ok + 1 elseif status == 409 then full = full + 1 else other = other + 1 end
end
done = function(summary, latency, requests)
  local o, f, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); f = f + t:get("full"); x = x + t:get("other") end
  io.write(string.format("COUNTS %%d %%d %%d\n", o, f, x))
end
"""


def shell(env: dict, code: str) -> object:
    out = subprocess.run([str(BIN / "govsite"), "shell", "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(kind: str, threads: int, env: dict, args, tmp: Path, label: str) -> dict:
    """Prepare this measurement's windows and bookings, load the server, check the database."""
    bodies = tmp / f"bookings-{label}.tsv"
    t0 = time.monotonic()
    windows = shell(env, f"OUT = {str(bodies)!r}; N = {args.requests}\n" + SETUP)
    prepared = time.monotonic() - t0
    script = tmp / f"book-{label}.lua"
    script.write_text(LUA % bodies)
    port = free_port()
    proc = start_server(kind, env, port, threads)
    try:
        out = subprocess.run(["wrk", "-t", "2", "-c", str(args.connections), "-d", f"{args.duration}s", "--latency",
                              "-s", str(script), f"http://127.0.0.1:{port}"],
                             check=True, capture_output=True, text=True, timeout=args.duration + 120).stdout
        load = os.getloadavg()[0]
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    ok, full, other = map(int, re.search(r"COUNTS (\d+) (\d+) (\d+)", out).groups())
    seconds = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    check = shell(env, f"WINDOWS = {windows!r}\n" + CHECK)
    return {"ok": ok, "full": full, "other": other, "seconds": seconds, "load": load, "prepared": prepared,
            "p50": re.search(r"\s50%\s+([\d.]+\w+)", out).group(1), "p99": re.search(r"\s99%\s+([\d.]+\w+)", out).group(1),
            "check": check}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=128)
    ap.add_argument("--requests", type=int, default=40000, help="bookings prepared per measurement (each used once)")
    ap.add_argument("--server", default="granian", help="granian, gunicorn or both (comma-separated)")
    ap.add_argument("--threads", default="4", help="threads per worker (granian blocking threads, gunicorn gthread); "
                    "several (comma-separated, e.g. 4,8) are measured one after another in the same run")
    ap.add_argument("--database-url", default="")
    ap.add_argument("--cache-url", default="", help="GOVSITE_CACHE_URL (redis://…): the shared cache of production "
                    "(challenges); default: the database cache")
    ap.add_argument("--baseline", action="store_true", help="also measure Django's whole path (GOVSITE_FAST_PATHS=0)")
    args = ap.parse_args()
    servers = [k.strip() for k in args.server.split(",") if k.strip()]
    thread_counts = [int(t) for t in args.threads.split(",") if t.strip()]
    if not servers or any(k not in ("granian", "gunicorn") for k in servers):
        raise SystemExit("--server：granian、gunicorn 或两者（逗号分隔）")
    tmp = Path(tempfile.mkdtemp(prefix="bench-appointments-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GOVSITE_CACHE_URL", "GOVSITE_FAST_PATHS")}
    env.update(GOVSITE_DATA_DIR=str(tmp), GOVSITE_SITE_DIR=str(tmp / "site"), DJANGO_SETTINGS_MODULE="cms.settings",
               GOVSITE_SERVE_SITE="0", GOVSITE_SERVICE_PAGES="0", GOVSITE_SERVICES_RATE_LIMIT="0")
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.cache_url:
        env.update(GOVSITE_CACHE_URL=args.cache_url, GOVSITE_CACHE_PREFIX=f"bench-appt-{os.getpid()}")
    subprocess.run([str(BIN / "govsite"), "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    db = ("PostgreSQL" if args.database_url else "SQLite (WAL)") + (", Redis cache" if args.cache_url else ", database cache")
    variants = [("short path", {})] + ([("Django path (GOVSITE_FAST_PATHS=0)", {"GOVSITE_FAST_PATHS": "0"})]
                                       if args.baseline else [])
    try:
        for kind in servers:
            for threads in thread_counts:
                run(kind, threads, env, args, tmp, db, variants)
    finally:
        if args.cache_url:
            import redis  # noqa: PLC0415 - only a Redis run needs the client

            client = redis.Redis.from_url(args.cache_url)
            for key in client.scan_iter(match=f"{env['GOVSITE_CACHE_PREFIX']}:*"):
                client.delete(key)


def run(kind: str, threads: int, env: dict, args, tmp: Path, db: str, variants: list) -> None:
    rates = {}
    for n, (name, extra) in enumerate(variants):
        r = measure(kind, threads, {**env, **extra}, args, tmp, f"{kind}-{threads}-{n}")
        rate = r["ok"] / r["seconds"]
        rates[name] = rate
        check = r["check"]
        print(f"booking API · {name} · {kind} (2 workers, {threads} threads each) · {db} · wrk, "
              f"{args.connections} connections, {args.duration} s · {os.cpu_count()} CPUs, load {r['load']:.1f}")
        print(f"  prepared {args.requests} bookings (answered challenges, keys) in {r['prepared']:.1f} s")
        print(f"  bookings made (201): {r['ok']}  = {rate:.0f} bookings/s   slot full (409): {r['full']}   "
              f"other: {r['other']}")
        print(f"  all answers: {(r['ok'] + r['full'] + r['other']) / r['seconds']:.0f} requests/s   "
              f"p50 {r['p50']}   p99 {r['p99']}")
        print(f"  database: {check['bookings']} bookings in {check['slots']} slots; hot slot booked/capacity "
              f"{check['hot']}; slots whose counter is wrong or over capacity: {len(check['bad'])}")
        print(f"  over-bookings: {'none' if not check['bad'] else check['bad'][:5]}")
        if n == 0:
            print(f"  target ≥ 500 bookings/s: {'met' if rate >= 500 else 'NOT met'}")
    if len(rates) == 2:
        short, full = rates.values()
        print(f"  {kind}, {threads} threads: short path / Django path = {short / max(full, 0.1):.1f}× bookings/s")


def _title(argv: list[str]) -> str:
    """One RESULTS.md section per database and cache, so the SQLite and PostgreSQL runs both stay."""
    db = "PostgreSQL" if any(a.startswith("--database-url") for a in argv) else "SQLite"
    cache = "Redis" if any(a.startswith("--cache-url") for a in argv) else "database cache"
    return f"bench_appointments: booking API ({db}, {cache})"


if __name__ == "__main__":
    with recording(_title(sys.argv[1:])):
        main()
