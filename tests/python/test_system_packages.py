"""scripts/ensure-system-packages.sh leaves an sshd that starts, on a machine that lacks its user.

Debian's openssh-server creates the privilege separation user ``sshd`` in its install
script, which some images skip; sshd then refuses to start ("Privilege separation user
sshd does not exist") and every SFTP test fails. The script must make sshd runnable by
itself. The check runs in a private mount namespace over a copy of /etc without that user,
so the machine's own accounts are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

SSHD = Path("/usr/sbin/sshd")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not SSHD.exists() or shutil.which("unshare") is None,
    reason="needs root, OpenSSH's sshd and unshare",
)


def test_the_script_creates_sshds_user_when_the_machine_lacks_it(tmp_path):
    etc = tmp_path / "etc"
    shutil.copytree("/etc", etc, symlinks=True, ignore_dangling_symlinks=True)
    for name in ("passwd", "shadow", "group", "gshadow"):
        path = etc / name
        if path.exists():
            lines = path.read_text().splitlines(keepends=True)
            path.write_text("".join(line for line in lines if not line.startswith("sshd:")))
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "host_key")], check=True)
    script = PROJECT_ROOT / "scripts" / "ensure-system-packages.sh"
    # sshd -t checks its configuration and its privilege separation user, and exits non-zero without it.
    check = f"{SSHD} -t -f /dev/null -h {tmp_path / 'host_key'}"
    steps = (
        f"mount --bind {etc} /etc && {{ {check} && echo before=ok || echo before=failed; }} && bash {script} && {check}"
    )
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-c", steps],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "mount" in result.stderr and "permission denied" in result.stderr.lower():
        pytest.skip(f"cannot bind-mount here: {result.stderr.strip()}")
    assert "before=failed" in result.stdout, result.stdout + result.stderr  # the copy really lacks the user
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sshd:" in (etc / "passwd").read_text()
