"""Build the same sample site at two revisions and say whether the output trees are identical.

    .venv/bin/python bench/compare_builds.py                  # HEAD against the working tree
    .venv/bin/python bench/compare_builds.py 48b25ea          # 48b25ea against the working tree
    .venv/bin/python bench/compare_builds.py 48b25ea HEAD     # two commits
    .venv/bin/python bench/compare_builds.py --manifest-dir /tmp/m   # also keep sha256 manifests

A move of code must not change what the site generator writes. Each revision other than the
working tree is checked out in a temporary ``git worktree`` and runs its own code with this
interpreter (``PYTHONPATH`` = that checkout, with the editable install's import hook removed, so
a module that one revision lacks is never taken from the working tree): ``govsite migrate`` into a
fresh data dir, then
``govsite build_site --full --from-jsonl SAMPLE --out DIR`` with the settings' build plugins (search
index, service pages, publish change log). The sample is the project's own generator
(``generate_sample(docs=1500, seed=7)`` by default), written to JSONL once by whichever revision
has it and fed to both builds.

Every file of the two trees is compared by sha256. Two things in the search index are random by
design and are normalised before comparing, nothing else: the index epoch (``os.urandom``, drawn
when the index state is created; it appears in file names and in directory files, so a name never
comes back with other content) and the ``built`` timestamp in ``search/idx/manifest.json``.
Prints ``identical`` or the paths that differ, and exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from results import recording

ROOT = Path(__file__).resolve().parent.parent
WORKTREE = "WORKTREE"
SEARCH_MANIFEST = "search/idx/manifest.json"

# Every child first drops setuptools' editable-install finder: it resolves a module missing from the
# checkout (say ``cms.wagtail_hooks`` at an older revision) to the working tree's file instead.
BOOT = (
    "import sys\n"
    "sys.meta_path[:] = [f for f in sys.meta_path if 'EditableFinder' not in getattr(f, '__name__', '')]\n"
)
CLI = BOOT + "import runpy\nsys.argv[0] = 'govsite'\nrunpy.run_module('cms.cli', run_name='__main__', alter_sys=True)\n"
WHERE = BOOT + "import cms.cli, site_generator.build\nprint(cms.cli.__file__, site_generator.build.__file__)\n"

# Write the sample with whichever module layout the revision has (the generator and the JSONL
# writer moved in issue 12).
WRITE_SAMPLE = BOOT + r"""
import importlib
def first(*names):
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise SystemExit(f"none of {names} in this revision")
sample = first("cms.demo.sample", "content_models.sample")
writer = first("content_models.record", "content_models.exchange")
n = writer.write_jsonl(sample.generate_sample(docs=int(sys.argv[2]), seed=int(sys.argv[3])), sys.argv[1])
print(n)
"""


def run(cmd: list[str], *, cwd: Path, env: dict | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return proc.stdout


def checkout(rev: str, tmp: Path) -> Path:
    """The source tree of ``rev``: the working tree itself, or a temporary detached worktree."""
    if rev == WORKTREE:
        return ROOT
    path = tmp / f"src-{re.sub(r'[^A-Za-z0-9._-]', '_', rev)}"
    run(["git", "worktree", "add", "--detach", "--quiet", str(path), rev], cwd=ROOT)
    return path


def env_for(src: Path, data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVSITE_", "DJANGO_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(src), GOVSITE_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="cms.settings")
    return env


def build(src: Path, sample: Path, work: Path) -> Path:
    """Migrate a fresh SQLite database and build the sample with the revision's own code."""
    env = env_for(src, work / "data")
    where = run([sys.executable, "-c", WHERE], cwd=src, env=env)
    if not all(Path(p).resolve().is_relative_to(src.resolve()) for p in where.split()):
        raise SystemExit(f"{src}: the code imported is not this checkout's: {where}")
    cli = [sys.executable, "-c", CLI]
    run([*cli, "migrate", "-v0"], cwd=src, env=env)
    out = work / "site"
    print(run([*cli, "build_site", "--full", "--from-jsonl", str(sample), "--out", str(out)],
              cwd=src, env=env).strip())
    return out


def manifest(out: Path) -> dict[str, str]:
    """sha256 of every file of a built site, by path, with the search index's random parts normalised."""
    root = out.resolve()
    epoch = None
    index_manifest = root / SEARCH_MANIFEST
    if index_manifest.exists():
        epoch = json.loads(index_manifest.read_text("utf-8")).get("epoch")
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        if rel == SEARCH_MANIFEST:
            doc = json.loads(data)
            doc["built"] = "<built>"
            data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")
        if epoch:
            rel = rel.replace(epoch, "<epoch>")
            data = data.replace(epoch.encode("ascii"), b"<epoch>")
        files[rel] = hashlib.sha256(data).hexdigest()
    return files


def diff(a: dict[str, str], b: dict[str, str]) -> list[str]:
    lines = [f"only in base:  {p}" for p in sorted(a.keys() - b.keys())]
    lines += [f"only in other: {p}" for p in sorted(b.keys() - a.keys())]
    lines += [f"differs:       {p}" for p in sorted(a.keys() & b.keys()) if a[p] != b[p]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", nargs="?", default="HEAD", help="git revision (default HEAD)")
    parser.add_argument("other", nargs="?", default=WORKTREE, help=f"git revision or {WORKTREE} (default)")
    parser.add_argument("--docs", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--manifest-dir", type=Path, help="write each build's sha256 manifest here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="compare-builds-"))
    sources: list[Path] = []
    try:
        manifests = {}
        sample = tmp / "sample.jsonl"
        for label, rev in (("base", args.base), ("other", args.other)):
            src = checkout(rev, tmp)
            if src != ROOT:
                sources.append(src)
            if not sample.exists():
                env = env_for(src, tmp / "sample-data")
                count = run([sys.executable, "-c", WRITE_SAMPLE, str(sample), str(args.docs), str(args.seed)],
                            cwd=src, env=env).strip()
                print(f"sample: {count} records (docs={args.docs}, seed={args.seed}) written by {rev}")
            print(f"{label}: {rev}")
            manifests[label] = manifest(build(src, sample, tmp / label))
            if args.manifest_dir:
                args.manifest_dir.mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^A-Za-z0-9._-]", "_", rev)
                (args.manifest_dir / f"{label}-{name}.json").write_text(
                    json.dumps(manifests[label], indent=0, sort_keys=True), "utf-8")
        lines = diff(manifests["base"], manifests["other"])
        print(f"{len(manifests['base'])} files in base, {len(manifests['other'])} in other")
        if lines:
            print("\n".join(lines))
            print(f"DIFFERENT: {len(lines)} paths")
            return 1
        print("identical")
        return 0
    finally:
        for src in sources:
            subprocess.run(["git", "worktree", "remove", "--force", str(src)], cwd=ROOT, capture_output=True)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    with recording("compare_builds: two revisions build identical sites"):
        sys.exit(main())
