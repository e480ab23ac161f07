import subprocess
import sys


def test_command_on_an_unmigrated_database_says_to_migrate(tmp_path):
    env = {"GOVSITE_DATA_DIR": str(tmp_path / "fresh"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "cms.cli", "export_documents", str(tmp_path / "out.jsonl")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 1
    assert "请先运行 govsite migrate" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_govsite_is_manage_py(tmp_path):
    env = {"GOVSITE_DATA_DIR": str(tmp_path / "d"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "cms.cli", "help"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0
    for command in ("migrate", "createsuperuser", "runserver", "import_documents", "build_site", "publish_site"):
        assert command in done.stdout
