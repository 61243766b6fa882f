"""A real OpenSSH server for the SFTP tests and the SFTP benchmark.

``start_sshd`` does not depend on pytest (bench/bench_sftp.py uses it); the
fixtures at the bottom wrap it for the tests. The server listens on a free
loopback port with a throw-away host key, accepts only a throw-away client key
(and, if asked, passwords), and serves SFTP with OpenSSH's internal-sftp.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

SSHD = Path("/usr/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")  # Debian's sshd refuses to start as root without it
HOST = "127.0.0.1"
START_TIMEOUT = 10.0


def generate_key(path: Path, comment: str = "recon-test") -> str:
    """Create an unencrypted ed25519 key pair at ``path`` (and ``path.pub``); return the public key line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + ".pub")):
        stale.unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc (no psutil needed)."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state, ppid, ...
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


@dataclass
class SshServer:
    """A running sshd and what a client needs to reach it."""

    host: str
    port: int
    user: str
    workdir: Path
    host_public_key: str  # "ssh-ed25519 AAAA..."
    client_key: Path
    known_hosts: Path  # holds "[127.0.0.1]:PORT <host key>"
    log_path: Path
    process: subprocess.Popen[bytes]
    password_auth: bool = False
    _stopped: bool = field(default=False, repr=False)

    def url(self, root: str | os.PathLike[str], user: str | None = None) -> str:
        return f"sftp://{user or self.user}@{self.host}:{self.port}{quote(str(root))}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def logins(self) -> int:
        """Successful logins so far."""
        return len(re.findall(r"^Accepted (?:publickey|password) for ", self.log_text(), flags=re.MULTILINE))

    def session_pids(self) -> list[int]:
        """Every process below the listener: the per-connection sshd processes."""
        tree = _children()
        found: list[int] = []
        pending = list(tree.get(self.process.pid, []))
        while pending:
            pid = pending.pop()
            found.append(pid)
            pending.extend(tree.get(pid, []))
        return found

    def signal_sessions(self, signum: int = signal.SIGKILL) -> list[int]:
        """Signal the open connections' processes (the listener keeps accepting); returns their pids."""
        pids = self.session_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        return pids

    def stop(self) -> None:
        """Kill the listener and every connection, so the port refuses connections from now on."""
        if self._stopped:
            return
        self._stopped = True
        sessions = self.session_pids()
        self.process.kill()
        self.process.wait(timeout=5)
        for pid in sessions:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def start_sshd(
    workdir: Path,
    *,
    password_auth: bool = False,
    client_key: Path | None = None,
    user: str | None = None,
) -> SshServer:
    """Start ``sshd -D -e`` on a free loopback port; return once it listens.

    Raises RuntimeError with the server's log when it does not start.
    """
    if not SSHD.exists():
        raise RuntimeError(f"{SSHD} not found: install openssh-server")
    if os.geteuid() == 0 and not PRIVSEP_DIR.is_dir():
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    host_key = workdir / "ssh_host_ed25519_key"
    host_public_key = " ".join(generate_key(host_key, "recon-test-host").split()[:2])
    if client_key is None:
        client_key = workdir / "client_key"
        generate_key(client_key, "recon-test-client")
    authorized_keys = workdir / "authorized_keys"
    authorized_keys.write_text(client_key.with_name(client_key.name + ".pub").read_text())
    authorized_keys.chmod(0o644)
    log_path = workdir / "sshd.log"
    last_error = ""
    for _ in range(5):  # another process may take the port between probing and binding
        port = free_port()
        config = workdir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"ListenAddress {HOST}:{port}",
                    f"HostKey {host_key}",
                    f"PidFile {workdir / 'sshd.pid'}",
                    f"AuthorizedKeysFile {authorized_keys}",
                    "PubkeyAuthentication yes",
                    f"PasswordAuthentication {'yes' if password_auth else 'no'}",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin yes",
                    "StrictModes no",
                    "UsePAM no",
                    "UseDNS no",
                    "LogLevel VERBOSE",
                    "MaxStartups 50",
                    "Subsystem sftp internal-sftp",
                    "",
                ]
            )
        )
        log = log_path.open("ab")
        process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if f"Server listening on {HOST} port {port}" in log_path.read_text(errors="replace"):
                known_hosts = workdir / "known_hosts"
                known_hosts.write_text(f"[{HOST}]:{port} {host_public_key}\n")
                return SshServer(
                    host=HOST,
                    port=port,
                    user=user or getpass.getuser(),
                    workdir=workdir,
                    host_public_key=host_public_key,
                    client_key=client_key,
                    known_hosts=known_hosts,
                    log_path=log_path,
                    process=process,
                    password_auth=password_auth,
                )
            if process.poll() is not None:
                break
            time.sleep(0.02)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=5)
        last_error = log_path.read_text(errors="replace")
        if "Address already in use" not in last_error:
            break
    raise RuntimeError(f"sshd did not start:\n{last_error}")


class SilentServer:
    """A TCP listener on loopback that accepts connections and then never answers.

    With ``banner`` it first sends an SSH greeting, so the client gets past the
    banner and waits in the key exchange instead. Either way only a timeout
    can end the client's wait: this is what a hung server looks like.
    """

    def __init__(self, banner: bytes | None = None) -> None:
        self.banner = banner
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.accepted = 0
        self._connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="silent-server", daemon=True)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._connections:
            conn.close()
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._connections.append(conn)
            if self.banner:
                with contextlib.suppress(OSError):
                    conn.sendall(self.banner)


class FileWatcher:
    """Run ``action`` once, from a thread, as soon as a file matching ``pattern`` under ``root`` reaches ``size``.

    The tests use it to act in the middle of a real download (kill or freeze
    the server, grow the file) by watching the loader's temporary file grow.
    """

    def __init__(self, root: Path, pattern: str, size: int, action: Callable[[], object]) -> None:
        self.root = root
        self.pattern = pattern
        self.size = size
        self.action = action
        self.fired = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="file-watcher", daemon=True)

    def __enter__(self) -> FileWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for path in self.root.rglob(self.pattern) if self.root.exists() else ():
                try:
                    big_enough = path.stat().st_size >= self.size
                except OSError:
                    continue
                if big_enough:
                    try:
                        self.action()
                    except BaseException as exc:
                        self.error = exc
                    self.fired.set()
                    return
            time.sleep(0.002)


@dataclass
class PasswordUser:
    name: str
    password: str


TEST_USER = "recon-sftp-test"


@contextlib.contextmanager
def password_user() -> Iterator[PasswordUser]:
    """A local account with a random password, for password authentication; removed afterwards if created here.

    Needs root (useradd, chpasswd); raises RuntimeError otherwise.
    """
    if os.geteuid() != 0:
        raise RuntimeError("creating a test account with a password needs root")
    for tool in ("useradd", "userdel", "chpasswd"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} not found")
    created = False
    if subprocess.run(["id", TEST_USER], capture_output=True).returncode != 0:
        subprocess.run(
            ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
            check=True,
            capture_output=True,
        )
        created = True
    password = secrets.token_urlsafe(18)
    try:
        subprocess.run(["chpasswd"], input=f"{TEST_USER}:{password}\n".encode(), check=True, capture_output=True)
        yield PasswordUser(TEST_USER, password)
    finally:
        if created:
            subprocess.run(["userdel", TEST_USER], capture_output=True)
        else:
            subprocess.run(["passwd", "--lock", TEST_USER], capture_output=True)


# -- pytest fixtures: import these functions into a test module; tests ask for them by their ``name`` --------


@pytest.fixture(name="sshd")
def sshd_fixture(tmp_path: Path) -> Iterator[SshServer]:
    """A fresh sshd per test (key-only authentication), stopped afterwards."""
    server = start_sshd(tmp_path / "sshd")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="sshd_password")
def sshd_password_fixture(tmp_path: Path) -> Iterator[tuple[SshServer, PasswordUser]]:
    """An sshd that also accepts passwords, and an account with a password (skipped when that cannot be made)."""
    with contextlib.ExitStack() as stack:
        try:
            user = stack.enter_context(password_user())
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            pytest.skip(f"password authentication needs a local test account: {exc}")
        server = start_sshd(tmp_path / "sshd-password", password_auth=True, user=user.name)
        stack.callback(server.stop)
        yield server, user
