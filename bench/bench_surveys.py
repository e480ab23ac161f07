"""Benchmark 网上调查: concurrent answers counted exactly once, and the results page after closing.

    .venv/bin/python bench/bench_surveys.py [--answers 500] [--duplicates 100] [--bulk 100000] [--poll 0.2]
                                             [--server granian|gunicorn] [--database-url postgres://...]

1. Concurrency: a temporary database (SQLite, or ``--database-url``), migrated; an open survey of
   four questions (single, multiple, scale, free text); a production server (2 workers) on a
   free 127.0.0.1 port behind which the citizens come as through a reverse proxy: the rate limits
   in shared state stay on (the production defaults), ``GOVSITE_TRUSTED_PROXIES`` names loopback
   and each citizen has his own ``X-Forwarded-For`` address. ``--answers`` citizens each fetch a
   token and a challenge, then all send their answers at the same moment, and ``--duplicates`` of
   them send the same token a second time concurrently (a double click, another tab). Then the
   survey closes, its results are published and the build queue's job builds the site; the check
   reads the published ``results.csv``: every accepted answer counted exactly once (the counts of
   every option and scale value equal those of the answers the accepted citizens sent), every
   duplicate refused, every accepted answer stored once.
2. Results after closing: ``--bulk`` answers inserted in bulk into another survey, the site built
   while it is open; then the survey closes (its end date passes), and the department publishes
   its results through the admin (the survey's edit form in the Wagtail admin, submitted as the
   editor's browser does). A running build worker (``govsite build_worker``, polling every
   ``--poll`` seconds) takes the queued build. Prints the time from the editor's save until the
   results page with the right count is on the live site (target: under 1 s), the build task's
   own time, and the time of the count alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from results import recording

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests.helpers.services import solve  # noqa: E402 - after the path is set

CREATE = """
import datetime as dt, json
from django.utils import timezone
from content_models.models import Department
from services.surveys.models import Question, Survey
dept, _ = Department.objects.get_or_create(slug="jtj", defaults={"name": "交通运输局", "organ_code": "113505830003"})
today = timezone.localdate()
s = Survey.objects.create(title="并发答卷测试", department=dept, start_date=today, end_date=today + dt.timedelta(days=3))
ids = [Question.objects.create(survey=s, sort_order=i, kind=k, text=t, options=o, required=k != "text").pk
       for i, (k, t, o) in enumerate([("single", "出行方式？", "公交\\n步行\\n骑车\\n驾车"),
                                      ("multiple", "改进哪些？", "班次\\n线路\\n站台\\n票价\\n信息"),
                                      ("scale", "满意度", ""), ("text", "建议", "")])]
print(json.dumps([s.number, ids]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def govsite(env: dict, *args: str) -> str:
    done = subprocess.run([str(BIN / "govsite"), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"govsite {args[0]} 失败：{done.stderr[-2000:]}")
    return done.stdout


def start_server(kind: str, env: dict, port: int, log: Path) -> subprocess.Popen:
    if kind == "granian":
        cmd = [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers",
               "2", "--blocking-threads", "8", "--backlog", "2048", "--no-access-log", "--log-level", "warning",
               "cms.wsgi:application"]
    else:
        cmd = [str(BIN / "gunicorn"), "cms.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2", "-k", "gthread",
               "--threads", "16", "--backlog", "2048", "--log-level", "warning"]
    with open(log, "wb") as stderr:  # Django logs every refused duplicate (409) as a warning
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stderr=stderr)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/services/surveys/challenge", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    os.killpg(proc.pid, 9)
    raise SystemExit("服务器未能启动")


OPTIONS = [["公交", "步行", "骑车", "驾车"], ["班次", "线路", "站台", "票价", "信息"]]

PUBLISH = """
import datetime as dt
from django.utils import timezone
from cms.build.jobs import run_pending
from services.surveys.models import Survey
s = Survey.objects.get(number=%r)
today = timezone.localdate()
Survey.objects.filter(pk=s.pk).update(start_date=today - dt.timedelta(days=2), end_date=today - dt.timedelta(days=1))
s.refresh_from_db()
s.results_published = True
s.save()
print(run_pending())
"""


def address(i: int) -> str:
    """Citizen ``i``'s own address, as the reverse proxy reports it in ``X-Forwarded-For``."""
    return f"10.{i // 62500 % 250}.{i // 250 % 250}.{i % 250 + 1}"


def call(method: str, url: str, body: dict | None = None, timeout: float = 120,
         client: str | None = None) -> tuple[int, dict, float]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if client:
        headers["X-Forwarded-For"] = client
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read()), time.perf_counter() - t0
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {"raw": raw[:200].decode("utf-8", "replace")}
        return e.code, payload, time.perf_counter() - t0


def answers_for(rng: random.Random, ids: list[int]) -> list[dict]:
    out = [{"question": ids[0], "choice": rng.randrange(4)},
           {"question": ids[1], "choices": sorted(rng.sample(range(5), rng.randint(1, 3)))},
           {"question": ids[2], "value": rng.randint(1, 5)}]
    if rng.random() < 0.2:
        out.append({"question": ids[3], "text": "希望增加夜班车"})
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else 0.0


def concurrency(args, env: dict) -> None:
    number, ids = json.loads(govsite(env, "shell", "-c", CREATE).strip().splitlines()[-1])
    port = free_port()
    log = Path(env["GOVSITE_DATA_DIR"]) / "server.log"
    proc = start_server(args.server, env, port, log)
    base = f"http://127.0.0.1:{port}/api/services/surveys"
    try:
        rng = random.Random(1)
        with ThreadPoolExecutor(max_workers=32) as pool:
            tokens = list(pool.map(lambda i: call("GET", f"{base}/{number}/token", client=address(i))[1]["token"],
                                   range(args.answers)))
            # the duplicates' challenges are fetched by the same citizens (0 … duplicates-1)
            challenges = list(pool.map(lambda k: call("GET", f"{base}/challenge", client=address(k % args.answers))[1],
                                       range(args.answers + args.duplicates)))
        bodies = []
        for i, token in enumerate(tokens):
            ch = challenges[i]
            bodies.append({"token": token, "answers": answers_for(rng, ids), "challenge_token": ch["token"],
                           "challenge_answer": solve(ch["question"])})
        repeats = []
        for j, body in enumerate(bodies[:args.duplicates]):
            ch = challenges[args.answers + j]
            repeats.append({**body, "answers": answers_for(rng, ids), "challenge_token": ch["token"],
                            "challenge_answer": solve(ch["question"])})
        sends = [(i, b) for i, b in enumerate(bodies)] + [(i, b) for i, b in enumerate(repeats)]
        random.Random(2).shuffle(sends)
        gate = threading.Barrier(len(sends))
        outcomes: list[tuple[int, int, dict, float]] = [None] * len(sends)  # type: ignore[list-item]

        def one(k: int) -> None:
            i, body = sends[k]
            gate.wait()
            status, payload, took = call("POST", f"{base}/{number}/responses", body, client=address(i))
            outcomes[k] = (i, status, payload, took)

        threads = [threading.Thread(target=one, args=(k,)) for k in range(len(sends))]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)

    server_errors = log.read_text("utf-8", "replace").count("Internal Server Error")
    statuses = Counter(status for _i, status, _p, _t in outcomes)
    accepted: dict[int, dict] = {}
    for k, (i, status, _p, _t) in enumerate(outcomes):
        if status == 201:
            if i in accepted:
                raise SystemExit(f"同一答卷标识被接受两次：{i}")
            accepted[i] = sends[k][1]
    per_token = Counter(i for i, status, _p, _t in outcomes if status == 201)
    # what the accepted citizens sent, as the published results name it: (question number, option or value)
    expected = Counter()
    for body in accepted.values():
        for a in body["answers"]:
            number_of = ids.index(a["question"]) + 1
            if "choice" in a:
                expected[(number_of, OPTIONS[0][a["choice"]])] += 1
            elif "choices" in a:
                expected.update((number_of, OPTIONS[1][c]) for c in a["choices"])
            elif "value" in a:
                expected[(number_of, str(a["value"]))] += 1
    stored = int(govsite(env, "shell", "-c", "from services.surveys.models import Response\n"
                         f"print(Response.objects.filter(survey__number={number!r}).count())").strip().splitlines()[-1])
    # the survey closes, the results are published and the queue's build writes them: read what citizens get
    govsite(env, "shell", "-c", PUBLISH % number)
    published_total, counted = read_results_csv(Path(env["GOVSITE_SITE_DIR"]) / f"surveys/{number}/results.csv")
    took = [t for _i, _s, _p, t in outcomes]
    print(f"1. 并发答卷 · {args.server}（2 个进程）· {'PostgreSQL' if args.database_url else 'SQLite (WAL)'}"
          " · 频率限制开启（生产默认值，共享缓存），群众经反向代理（X-Forwarded-For）各有自己的地址")
    print(f"   {args.answers} 位群众同时提交，另有 {args.duplicates} 份用同一答卷标识同时重复提交；墙钟 {wall:.2f} s，"
          f"p50 {pct(took, 0.5) * 1000:.0f} ms，p99 {pct(took, 0.99) * 1000:.0f} ms")
    print(f"   应答：{dict(sorted(statuses.items()))}；接受 {len(accepted)}，库中答卷 {stored}，"
          f"同一标识接受两次的：{sum(1 for n in per_token.values() if n > 1)}；服务器错误日志 {server_errors} 条")
    ok = (server_errors == 0 and stored == len(accepted) == args.answers == published_total
          and statuses.get(409, 0) == args.duplicates and counted == expected)
    print(f"   公布的结果（results.csv）：有效答卷 {published_total} 份；各选项和分值的人数与被接受答卷所发送的一致：{'是' if counted == expected else '否'}")
    print(f"   每份被接受的答卷恰好计入一次：{'是' if ok else '否'}")
    if not ok:
        raise SystemExit("并发答卷检查未通过")


def read_results_csv(path: Path) -> tuple[int, Counter]:
    """The published results file: (有效答卷, {(question number, option or value): count}), zero counts left out."""
    rows = list(csv.reader(path.read_text("utf-8-sig").splitlines()))
    total = int(next(r[1] for r in rows if r and r[0] == "有效答卷"))
    counted = Counter()
    for r in rows[3:]:
        if len(r) >= 5 and r[0].isdigit() and r[4].isdigit() and r[3] not in ("收到回答", "平均分") and int(r[4]):
            counted[(int(r[0]), r[3])] = int(r[4])
    return total, counted


def bulk_results(args, env: dict) -> None:
    """Phase 2 in a child process that has Django (this file with --phase results)."""
    out = subprocess.run([sys.executable, __file__, "--phase", "results", "--bulk", str(args.bulk), "--poll",
                          str(args.poll)], cwd=ROOT, env=env, capture_output=True, text=True)
    sys.stdout.write(out.stdout)
    if out.returncode:
        raise SystemExit(f"结果页面阶段失败：{out.stderr[-3000:]}")


def results_phase(bulk: int, poll: float) -> None:
    import datetime as dt  # noqa: PLC0415 - the child process only
    import secrets  # noqa: PLC0415

    import django  # noqa: PLC0415
    import lxml.html  # noqa: PLC0415

    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.db import transaction  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415
    from django_tasks_db.models import DBTaskResult  # noqa: PLC0415

    from cms.build.jobs import run_pending  # noqa: PLC0415
    from cms.build.tasks import TASK_PATH  # noqa: PLC0415
    from cms.models import PendingChange  # noqa: PLC0415
    from content_models.models import Department  # noqa: PLC0415
    from services.site import request_site_refresh  # noqa: PLC0415
    from services.surveys import results  # noqa: PLC0415
    from services.surveys.models import Answer, Question, Response, Survey, TextAnswer  # noqa: PLC0415

    rng = random.Random(5)
    today = timezone.localdate()
    dept, _ = Department.objects.get_or_create(slug="jtj", defaults={"name": "交通运输局", "organ_code": "113505830003"})
    survey = Survey.objects.create(title="十万份答卷调查", department=dept, start_date=today - dt.timedelta(days=9),
                                   end_date=today + dt.timedelta(days=1))
    qs = [Question.objects.create(survey=survey, sort_order=i, kind=k, text=t, options=o, required=k != "text")
          for i, (k, t, o) in enumerate([("single", "出行方式？", "公交\n步行\n骑车\n驾车"),
                                         ("multiple", "改进哪些？", "班次\n线路\n站台\n票价\n信息"),
                                         ("scale", "满意度", ""), ("text", "建议", "")])]
    t0 = time.perf_counter()
    batch = 5000
    for start in range(0, bulk, batch):
        with transaction.atomic():
            responses = Response.objects.bulk_create(
                [Response(survey=survey, token_hash=f"{n:064x}") for n in range(start, min(bulk, start + batch))])
            rows, texts = [], []
            for r in responses:
                rows.append(Answer(response=r, question=qs[0], choice=rng.randrange(4)))
                rows += [Answer(response=r, question=qs[1], choice=c) for c in rng.sample(range(5), rng.randint(1, 3))]
                rows.append(Answer(response=r, question=qs[2], value=rng.randint(1, 5)))
                if rng.random() < 0.05:
                    texts.append(TextAnswer(response=r, question=qs[3], text="希望增加夜班车", department=dept,
                                            status=rng.choice(["approved", "pending"])))
            Answer.objects.bulk_create(rows, batch_size=5000)
            TextAnswer.objects.bulk_create(texts, batch_size=5000)
    print(f"2. 结果页面 · {bulk} 份答卷（{Answer.objects.filter(question__survey=survey).count()} 行选项和分值），"
          f"写入 {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    run_pending()
    print(f"   调查进行中的首次构建（全部页面）：{time.perf_counter() - t0:.2f} s")

    # A running build worker, as in production (``govsite build_worker``), warmed up by one queued build.
    log = open(Path(os.environ["GOVSITE_DATA_DIR"]) / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen([str(BIN / "govsite"), "build_worker", "--interval", str(poll), "--no-schedule",
                               "--no-startup-delay", "--no-reload"], cwd=ROOT, start_new_session=True, stderr=log)
    try:
        request_site_refresh("bench: worker warm-up")
        if not wait_for(lambda: not PendingChange.objects.exists(), 120):
            raise SystemExit("构建进程未能处理队列")

        # the survey closes (its end date passes) and the department publishes the results in the admin
        Survey.objects.filter(pk=survey.pk).update(end_date=today - dt.timedelta(days=1))
        editor = get_user_model().objects.create_superuser("bench-editor", "editor@example.org", secrets.token_hex(16))
        client = Client()
        client.force_login(editor)
        url = f"/admin/snippets/services_surveys/survey/edit/{survey.pk}/"
        form = next(f for f in lxml.html.fromstring(client.get(url).content).forms
                    if f.inputs is not None and "results_published" in f.inputs.keys())
        data: dict[str, list[str]] = {}
        for name, value in form.form_values():
            if name != "results_published":
                data.setdefault(name, []).append(value)
        data["results_published"] = ["on"]
        page = Path(settings.GOVSITE_SITE_DIR) / f"surveys/{survey.number}/results/index.html"
        marker = f"有效答卷 <strong>{bulk}</strong> 份"
        t0 = time.perf_counter()
        answer = client.post(url, data)
        saved = time.perf_counter()
        if answer.status_code != 302:
            raise SystemExit(f"管理后台未能保存：{answer.status_code} {answer.content[:3000]!r}")
        visible = wait_for(lambda: page.exists() and marker in page.read_text("utf-8"), 60, step=0.005)
        shown = time.perf_counter()
        tasks = DBTaskResult.objects.filter(task_path=TASK_PATH, enqueued_at__gte=editor.date_joined)
        wait_for(lambda: tasks.exists() and not tasks.exclude(finished_at__isnull=False).exists(), 60)
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)
        log.close()
    task = tasks.order_by("-enqueued_at").first()
    outcome = task.return_value if task else None
    t1 = time.perf_counter()
    counted = results.compute(survey)
    compute = time.perf_counter() - t1
    print(f"   截止后部门在管理后台公布结果（提交编辑表单）：保存 {saved - t0:.2f} s；保存后到结果页面在线上网站出现 "
          f"{shown - saved:.2f} s（目标 < 1 s；构建进程每 {poll} s 查看一次队列）；从点击保存算起 {shown - t0:.2f} s")
    print(f"   构建队列的增量构建（build_worker 运行的任务）：{outcome.get('seconds') if outcome else '?'} s，上线 "
          f"{outcome.get('live_seconds') if outcome else '?'} s；单独统计 {compute:.2f} s；结果页面答卷数正确：{'是' if visible else '否'}；"
          f"{ {k: v for k, v in outcome.items() if k != 'errors'} if isinstance(outcome, dict) else outcome}")
    if counted["total"] != bulk or not visible:
        raise SystemExit("结果页面检查未通过")


def wait_for(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=500)
    ap.add_argument("--duplicates", type=int, default=100)
    ap.add_argument("--bulk", type=int, default=100_000)
    ap.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    ap.add_argument("--database-url", default="")
    ap.add_argument("--poll", type=float, default=0.2, help="the build worker's queue polling interval (seconds)")
    ap.add_argument("--phase", choices=["all", "results"], default="all", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase == "results":
        results_phase(args.bulk, args.poll)
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-surveys-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GOVSITE_DATA_DIR=str(tmp), GOVSITE_SITE_DIR=str(tmp / "site"), DJANGO_SETTINGS_MODULE="cms.settings",
               GOVSITE_SERVE_SITE="0", GOVSITE_TRUSTED_PROXIES="127.0.0.1", GOVSITE_BUILD_PROCESSES="1")
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    try:
        govsite(env, "migrate", "-v0")
        concurrency(args, env)
        bulk_results(args, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if "--phase" in sys.argv:
        main()
    else:
        with recording("bench_surveys: concurrent answers and the results page"):
            main()
