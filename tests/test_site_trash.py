"""Replaced releases are deleted by a detached, low-priority process (``Releases.purge_trash``): a full
build over a live 200,000-document site must not wait while 360,000 old files are unlinked."""

from __future__ import annotations

import fcntl
import os
import time

from site_generator.build import build_site
from site_generator.output import Releases
from tests.test_site_build import small_config


def _release_with_files(releases: Releases, name: str, count: int) -> None:
    releases.clear(name)
    for i in range(count):
        (releases.path(name) / f"d{i % 7}").mkdir(exist_ok=True)
        (releases.path(name) / f"d{i % 7}" / f"{i}.html").write_text(f"第{i}页")


def test_the_trash_is_deleted_by_a_process_in_its_own_session(tmp_path):
    releases = Releases(tmp_path / "site", tmp_path / "state")
    _release_with_files(releases, "a", 300)
    releases.switch("a")
    _release_with_files(releases, "b", 300)
    releases.clear("b")  # the old b goes to the trash, outside the releases folder
    assert sorted(p.name for p in releases.root.iterdir()) == ["a", "b"]
    assert len(list(releases.trash.iterdir())) == 1
    deleter = releases.purge_trash()
    assert deleter is not None and deleter.pid != os.getpid()
    assert os.getsid(deleter.pid) == deleter.pid  # detached: a new session, not the builder's
    assert deleter.wait(timeout=60) == 0
    assert list(releases.trash.iterdir()) == []
    assert (tmp_path / "site" / "d3" / "3.html").read_text() == "第3页"  # the live release untouched
    assert releases.purge_trash() is None  # nothing left: no process started


def test_full_builds_over_a_live_site_leave_only_the_two_releases(tmp_path):
    from cms.demo.sample import generate_sample

    records = list(generate_sample(docs=25, seed=5))
    out = tmp_path / "site"
    build_site(iter(records), out, config=small_config())
    changed = [{**r, "title": r["title"] + "（修订）"} for r in records]
    build_site(iter(changed), out, config=small_config(), full=True)
    releases = Releases(out, tmp_path / ".site.build")
    assert sorted(p.name for p in releases.root.iterdir()) == ["a", "b"]
    assert "（修订）" in (out / "index.html").read_text()
    for _ in range(300):  # the detached deleter empties the trash soon after
        if not any(releases.trash.iterdir()):
            break
        time.sleep(0.1)
    assert list(releases.trash.iterdir()) == []


def test_one_deleter_at_a_time_and_it_takes_what_came_meanwhile(tmp_path):
    releases = Releases(tmp_path / "site", tmp_path / "state")
    _release_with_files(releases, "a", 50)
    releases.switch("a")
    _release_with_files(releases, "b", 50)
    releases.clear("b")
    with open(tmp_path / "state" / "trash.lock", "a") as lock:  # a deleter of an earlier build at work
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = releases.purge_trash()
        time.sleep(0.5)
        assert waiting.poll() is None and len(list(releases.trash.iterdir())) == 1  # it waits its turn
        _release_with_files(releases, "b", 50)
        releases.clear("b")  # another release goes to the trash meanwhile
    assert waiting.wait(timeout=60) == 0
    assert list(releases.trash.iterdir()) == []
