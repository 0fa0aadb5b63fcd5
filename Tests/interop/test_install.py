"""scripts/install puts the binary in PREFIX/bin (~/.local/bin by default), replacing an older one in
place. The release build itself (scripts/build-release) is too slow for every test run; the
binary under test stands in for it here."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import REPO


def install(*args: str, dist: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIST": str(dist), "HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run([str(REPO / "scripts" / "install"), *args], capture_output=True, text=True, env=env, timeout=60)


def test_install_into_the_default_prefix_and_a_given_one(rk_bin, tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    shutil.copy(rk_bin, dist / "riskkernel")
    home = tmp_path / "home"
    home.mkdir()

    result = install(dist=dist, home=home)
    assert result.returncode == 0, result.stderr
    installed = home / ".local" / "bin" / "riskkernel"
    assert installed.is_file() and os.access(installed, os.X_OK)
    assert subprocess.run([str(installed), "--version"], capture_output=True, text=True).stdout.strip()
    assert f"{installed.parent} is not on your PATH" in result.stdout
    assert "riskkernel wrap --client" in result.stdout

    # Again, over the first: the file is replaced, not written into.
    inode = installed.stat().st_ino
    assert install(dist=dist, home=home).returncode == 0
    assert installed.stat().st_ino != inode
    assert not list(installed.parent.glob(".riskkernel*"))

    prefix = tmp_path / "opt"
    assert install("--prefix", str(prefix), dist=dist, home=home).returncode == 0
    assert (prefix / "bin" / "riskkernel").is_file()
    assert install(f"--prefix={tmp_path / 'other'}", dist=dist, home=home).returncode == 0
    assert (tmp_path / "other" / "bin" / "riskkernel").is_file()

    wrong = install("--prefix", dist=dist, home=home)
    assert wrong.returncode == 2 and "--prefix needs a directory" in wrong.stderr
