"""A drop location on an SFTP server, read with paramiko.

Producers usually deliver to an SFTP server, not to a directory the loader can
mount, so this source lists the drop remotely and downloads each new file into
a local landing cache before the common load path (hash, manifest, CSV load)
takes over. The choices below follow from running unattended:

* The server's host key is always checked against a known_hosts file and an
  unknown or changed key stops the run before a byte is read: a scheduler
  cannot answer a "trust this key?" prompt, and trusting on first use would
  hand the drop to whoever answers first.
* Every network wait has a timeout and transient failures are retried a few
  times with backoff, so a flaky or silent server ends the run with a message
  instead of hanging the scheduler slot. Authentication and host-key failures
  are never retried: repeating them only locks accounts and hides the cause.
* A file is stat'ed before and after its download; if it changed, it is still
  being written and is skipped until the next run rather than landed half.
* Downloads use paramiko's pipelined (prefetching) transfer, with the window,
  packet size, read size and cipher tuned against OpenSSH's ``sftp`` client
  (bench/bench_sftp.py): with paramiko's defaults a download ran at about half
  of OpenSSH's speed on the same machine.

Configuration comes from the CLI options and these environment variables
(secrets only ever from the environment, never from the URL or a flag):

``RECON_SFTP_KNOWN_HOSTS``     known_hosts file (else ``~/.ssh/known_hosts``)
``RECON_SFTP_KEY_FILE``        private key for public-key authentication
``RECON_SFTP_KEY_PASSPHRASE``  its passphrase, when it is encrypted
``RECON_SFTP_PASSWORD``        password authentication
``RECON_SFTP_TIMEOUT``         seconds every network wait may take (default 30)
``RECON_SFTP_ATTEMPTS``        attempts for a connection or a download (default 3)
``RECON_SFTP_RETRY_BASE``      first backoff delay in seconds, doubled per retry (default 1)
"""

from __future__ import annotations

import logging
import os
import posixpath
import random
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar
from urllib.parse import unquote, urlsplit

import paramiko
from paramiko.sftp import CMD_EXTENDED, CMD_EXTENDED_REPLY

from loaders.database import PROJECT_ROOT
from loaders.errors import ConfigError, FileNotReady, LoaderError, SourceError
from loaders.progress import clear_line, fit_label
from loaders.settings import env_number
from loaders.sources.base import DropEntry

log = logging.getLogger(__name__)
# paramiko's own log (transport errors with tracebacks): kept under this module's name for
# applications that configure logging, but never printed by Python's last-resort handler,
# since every failure it describes reaches the user as one SourceError message.
PARAMIKO_LOG_CHANNEL = f"{__name__}.paramiko"
logging.getLogger(PARAMIKO_LOG_CHANNEL).addHandler(logging.NullHandler())

T = TypeVar("T")

ENV_KNOWN_HOSTS = "RECON_SFTP_KNOWN_HOSTS"
ENV_KEY_FILE = "RECON_SFTP_KEY_FILE"
ENV_KEY_PASSPHRASE = "RECON_SFTP_KEY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
ENV_PASSWORD = "RECON_SFTP_PASSWORD"  # noqa: S105 - the variable's name, not a secret
ENV_TIMEOUT = "RECON_SFTP_TIMEOUT"
ENV_ATTEMPTS = "RECON_SFTP_ATTEMPTS"
ENV_RETRY_BASE = "RECON_SFTP_RETRY_BASE"

DEFAULT_PORT = 22
DEFAULT_CACHE_DIR = PROJECT_ROOT / "data" / "landing"
RETRY_CAP_SECONDS = 30.0
KEEPALIVE_SECONDS = 15

# Transfer tuning, measured with bench/bench_sftp.py against OpenSSH 9 on loopback.
# paramiko's channel buffer shifts its remaining bytes on every read (twice per SFTP
# response), so its CPU cost grows with the window: 1 MiB keeps the link busy without
# that cost; 2 MiB and more measured slower, not faster. Packets of 128 KiB halve the
# per-packet work (decryption calls, buffer feeds) against the 32 KiB default.
WINDOW_SIZE = 1024 * 1024
MAX_PACKET_SIZE = 128 * 1024
# paramiko reads 32 KiB per SFTP request (the protocol's safe default): one request,
# one response and one pass through paramiko's Python code per 32 KiB. Larger reads
# are used only when the server announces it serves them (limits@openssh.com; OpenSSH
# serves 255 KiB), since a server that answers short would make prefetching fall back
# to one read per round trip.
BASE_READ_SIZE = 32 * 1024
PREFERRED_READ_SIZE = 256 * 1024
# AES-GCM authenticates as it decrypts; with AES-CTR paramiko spends as much time
# in HMAC-SHA2 as in everything else together. Both are modern, vetted ciphers.
PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")

# Connection-level failures a retry can cure; anything else is reported as is.
_PERMANENT = (
    paramiko.AuthenticationException,
    paramiko.BadHostKeyException,
    paramiko.IncompatiblePeer,
    socket.gaierror,
)
_TRANSIENT = (TimeoutError, ConnectionError, EOFError, paramiko.SSHException, paramiko.SFTPError)


@dataclass(frozen=True)
class SftpTarget:
    """Where the drop is: parsed from ``sftp://user@host[:port]/path``, never holding a secret."""

    user: str
    host: str
    port: int
    root: str  # absolute POSIX path on the server, without a trailing slash (except "/")

    @property
    def uri(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port != DEFAULT_PORT else ""
        return f"sftp://{self.user}@{host}{port}{self.root}"

    @property
    def known_hosts_name(self) -> str:
        """The name OpenSSH (and paramiko) look up in known_hosts: ``host``, or ``[host]:port`` off port 22."""
        return self.host if self.port == DEFAULT_PORT else f"[{self.host}]:{self.port}"

    def keyscan(self, known_hosts: Path) -> str:
        port = f"-p {self.port} " if self.port != DEFAULT_PORT else ""
        return f"ssh-keyscan {port}{self.host} >> {known_hosts}"


@dataclass(frozen=True)
class SftpSettings:
    """Timeouts and retry policy (from the environment, so tests and slow links can change them)."""

    timeout: float = 30.0
    attempts: int = 3
    retry_base: float = 1.0

    @classmethod
    def from_env(cls) -> SftpSettings:
        return cls(
            timeout=env_number(ENV_TIMEOUT, 30.0, minimum=0.1),
            attempts=int(env_number(ENV_ATTEMPTS, 3, minimum=1)),
            retry_base=env_number(ENV_RETRY_BASE, 1.0, minimum=0.0),
        )

    def backoff(self, attempt: int) -> float:
        """Delay before the next attempt: exponential, capped, with jitter so that runs do not retry in step."""
        ceiling = min(RETRY_CAP_SECONDS, self.retry_base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not cryptography


def parse_url(location: str) -> SftpTarget:
    """Split an ``sftp://`` URL, refusing a password in it (it would end up in shell history and logs)."""
    try:
        parts = urlsplit(location)
    except ValueError as exc:
        # The message must not echo the URL: it may hold a password.
        raise ConfigError(
            f"the SFTP URL cannot be parsed ({exc}): use sftp://user@host[:port]/path, an IPv6 host in brackets"
        ) from None
    if parts.scheme != "sftp":
        raise ConfigError(f"not an SFTP URL: {location!r}; expected sftp://user@host[:port]/path")
    if parts.password is not None:
        # The message must not echo the URL: it holds the password.
        raise ConfigError(
            "the SFTP URL contains a password: remove it from the URL and set it in the RECON_SFTP_PASSWORD "
            "environment variable (or use --key-file)"
        )
    safe = f"sftp://{parts.netloc}{parts.path}"
    if parts.query or parts.fragment:
        raise ConfigError(f"unexpected '?' or '#' in {safe!r}: percent-encode them in the path (%3F, %23)")
    if not parts.username:
        raise ConfigError(f"no user in {safe!r}: use sftp://user@host[:port]/path")
    if not parts.hostname:
        raise ConfigError(f"no host in {safe!r}: use sftp://user@host[:port]/path")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ConfigError(f"bad port in {safe!r}") from None
    root = unquote(parts.path)
    if not root.startswith("/"):
        raise ConfigError(f"no drop directory in {safe!r}: give its absolute path on the server, e.g. /srv/drop")
    root = posixpath.normpath(root)
    if root.startswith("//"):  # normpath keeps a leading double slash
        root = "/" + root.lstrip("/")
    return SftpTarget(user=unquote(parts.username), host=parts.hostname, port=port, root=root)


class UnknownHostKey(paramiko.SSHException):
    """The server's host key is not in known_hosts (raised by :class:`RejectUnknownHost`)."""

    def __init__(self, hostname: str, key: paramiko.PKey) -> None:
        super().__init__(f"host key of {hostname} not found in known_hosts")
        self.hostname = hostname
        self.key = key


class RejectUnknownHost(paramiko.RejectPolicy):
    """paramiko's RejectPolicy, keeping the offered key so that the message can show its fingerprint."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise UnknownHostKey(hostname, key)


class TunedSFTPClient(paramiko.SFTPClient):
    """An SFTPClient whose files read ``read_size`` bytes per request (paramiko hard-codes 32 KiB per class)."""

    read_size = BASE_READ_SIZE

    def open(self, filename: str | bytes, mode: str = "r", bufsize: int = -1) -> paramiko.SFTPFile:
        handle = super().open(filename, mode, bufsize)
        if "r" in mode:
            handle.MAX_REQUEST_SIZE = self.read_size
        return handle


def negotiate_read_size(sftp: paramiko.SFTPClient) -> int:
    """The read size to request: the preferred one if the server says it serves that much, else the SFTP default."""
    try:
        kind, msg = sftp._request(CMD_EXTENDED, "limits@openssh.com")
    except (OSError, paramiko.SFTPError):
        return BASE_READ_SIZE  # extension not supported: stay with what every server serves
    if kind != CMD_EXTENDED_REPLY or msg is None:
        return BASE_READ_SIZE
    msg.get_int64()  # max packet length
    max_read = msg.get_int64()
    if max_read == 0:  # no limit announced
        return PREFERRED_READ_SIZE
    return max(BASE_READ_SIZE, min(PREFERRED_READ_SIZE, max_read))


class ProgressBar:
    """A one-line progress bar on stderr for a terminal; cleared when done so the CLI's line replaces it."""

    def __init__(self, label: str, stream: IO[str] | None = None, width: int = 28) -> None:
        self.label = fit_label(label)
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.shown_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.shown_at < 0.1 and done < total:
            return
        self.shown_at = now
        share = done / total if total else 1.0
        filled = int(share * self.width)
        rate = done / max(now - self.started, 1e-6) / 1e6
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(
            f"\r{self.label} [{bar}] {share:4.0%} {done / 1e6:,.1f}/{total / 1e6:,.1f} MB {rate:.1f} MB/s"
        )
        self.stream.flush()

    def finish(self) -> None:
        clear_line(self.stream)


class SftpSource:
    """A drop directory on an SFTP server; files are downloaded to a local landing cache one at a time.

    Connects when created (:meth:`from_url`), so a wrong host key or credential
    stops the run before the database is opened.
    """

    trust_size_and_mtime = True  # a download costs far more than a listing: skip unchanged files unseen

    def __init__(
        self,
        target: SftpTarget,
        *,
        known_hosts: Path,
        pkey: paramiko.PKey | None = None,
        key_file: Path | None = None,
        password: str | None = None,
        archive: str | None = None,
        cache_dir: Path = DEFAULT_CACHE_DIR,
        progress: bool = False,
        settings: SftpSettings | None = None,
    ) -> None:
        if pkey is None and password is None:
            raise ConfigError(
                f"no credentials for {target.uri}: pass --key-file (or set {ENV_KEY_FILE}), "
                f"or set {ENV_PASSWORD} for password authentication"
            )
        self.target = target
        self.uri = target.uri
        self.known_hosts = known_hosts
        self.cache_dir = cache_dir
        self.progress = progress
        self.settings = settings or SftpSettings()
        self.archive = _archive_root(target.root, archive) if archive else None
        self._pkey = pkey
        self._key_file = key_file
        self._password = password
        self._client: paramiko.SSHClient | None = None
        self._sftp: TunedSFTPClient | None = None

    def __repr__(self) -> str:
        return f"SftpSource({self.uri!r})"

    @classmethod
    def from_url(
        cls,
        location: str,
        *,
        known_hosts: str | None = None,
        key_file: str | None = None,
        archive: str | None = None,
        cache_dir: str | None = None,
        progress: bool = False,
    ) -> SftpSource:
        """Build the source from the CLI's options and the environment, and connect (checking the drop exists)."""
        source = cls.configure(
            location,
            known_hosts=known_hosts,
            key_file=key_file,
            archive=archive,
            cache_dir=cache_dir,
            progress=progress,
        )
        try:
            source._with_retries(f"connecting to {source.uri}", source._check_root)
        except BaseException:
            source.close()
            raise
        return source

    @classmethod
    def configure(
        cls,
        location: str,
        *,
        known_hosts: str | None = None,
        key_file: str | None = None,
        archive: str | None = None,
        cache_dir: str | None = None,
        progress: bool = False,
    ) -> SftpSource:
        """Build the source from the options and the environment without connecting.

        The notification sender's outboxes (recon_tools/notify.py) start here: the same URL
        form, host-key check, credentials and retries as the drop, and a connection only
        when the first file is uploaded, since an outbox directory may not exist yet.
        """
        target = parse_url(location)
        known_hosts_path = Path(
            known_hosts or os.environ.get(ENV_KNOWN_HOSTS) or Path.home() / ".ssh" / "known_hosts"
        ).expanduser()
        if not known_hosts_path.is_file():
            raise ConfigError(
                f"known_hosts file {known_hosts_path} not found: the server's host key must be known before "
                f"connecting. Get the key's fingerprint from the server's administrator, then add it with "
                f"'{target.keyscan(known_hosts_path)}' and compare 'ssh-keygen -lf {known_hosts_path}' "
                f"with it; or point --known-hosts / {ENV_KNOWN_HOSTS} at an existing file"
            )
        key_path = key_file or os.environ.get(ENV_KEY_FILE) or None
        pkey = _load_key(Path(key_path).expanduser()) if key_path else None
        password = os.environ.get(ENV_PASSWORD) or None
        return cls(
            target,
            known_hosts=known_hosts_path,
            pkey=pkey,
            key_file=Path(key_path).expanduser() if key_path else None,
            password=password,
            archive=archive,
            cache_dir=Path(cache_dir).expanduser() if cache_dir else DEFAULT_CACHE_DIR,
            progress=progress,
            settings=SftpSettings.from_env(),
        )

    # -- the DropSource interface ------------------------------------------------------------------------------

    def list_entries(self) -> list[DropEntry]:
        """Every regular file under the root (recursively), with sizes and mtimes as the server reports them."""
        return self._with_retries(f"listing {self.uri}", self._list_once)

    @contextmanager
    def fetch(self, entry: DropEntry) -> Iterator[Path]:
        """Download the file into the landing cache and yield its path; the cached copy is removed on exit.

        The bytes are in the database (and their SHA-256 in the manifest) once
        the load commits, so keeping the copy would only grow the cache.
        """
        local = self._with_retries(f"downloading {entry.relpath} from {self.uri}", lambda: self._download(entry))
        try:
            yield local
        finally:
            local.unlink(missing_ok=True)
            self._prune_cache_dirs(local.parent)

    def after_commit(self, entry: DropEntry) -> str | None:
        """Move the file into the archive directory on the server; a failure is a note, never an error.

        The load has committed by now, so failing the run would misreport it.
        A file left in the drop is seen again next run and reported as a repeat.
        """
        if self.archive is None:
            return None
        try:
            if self._sftp is None or not self._connected():
                self._connect()
            return f"archived to {self._archive_once(entry)}"
        except Exception as exc:
            return f"not archived: {_describe(exc, self.settings.timeout)}"

    def upload(self, local: Path, relpath: str) -> str:
        """Write a local file to ``relpath`` under the root, atomically; return the remote path.

        The bytes go to a ``.part`` name first (a name the drop's readers skip) and are renamed
        once complete, as the interface asks of producers; the directories are created when
        missing. Retried like a download; a failed attempt leaves no partial file behind.
        """
        return self._with_retries(f"uploading {relpath} to {self.uri}", lambda: self._upload_once(local, relpath))

    def close(self) -> None:
        self._disconnect()

    # -- connection --------------------------------------------------------------------------------------------

    def _connected(self) -> bool:
        """Whether the connection (and the SFTP channel, once open) is still up, as far as paramiko knows."""
        if self._client is None:
            return False
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            return False
        return self._sftp is None or not self._sftp.get_channel().closed

    def _make_transport(
        self, sock: socket.socket, disabled_algorithms: dict[str, list[str]] | None = None
    ) -> paramiko.Transport:
        transport = paramiko.Transport(
            sock,
            default_window_size=WINDOW_SIZE,
            default_max_packet_size=MAX_PACKET_SIZE,
            disabled_algorithms=disabled_algorithms,
        )
        options = transport.get_security_options()
        preferred = [name for name in PREFERRED_CIPHERS if name in options.ciphers]
        options.ciphers = (*preferred, *(name for name in options.ciphers if name not in preferred))
        return transport

    def _connect(self) -> None:
        """One connection attempt: TCP, host-key check, authentication, SFTP session, each with a timeout."""
        self._disconnect()
        timeout = self.settings.timeout
        target = self.target
        try:
            sock = socket.create_connection((target.host, target.port), timeout=timeout)
        except socket.gaierror as exc:
            raise SourceError(f"cannot resolve the host name {target.host!r}: {exc.strerror or exc}") from None
        # Window adjustments and read requests are small packets: Nagle's delay would stall the pipeline.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client = paramiko.SSHClient()
        client.set_log_channel(PARAMIKO_LOG_CHANNEL)
        self._client = client
        try:
            client.load_host_keys(str(self.known_hosts))
            client.set_missing_host_key_policy(RejectUnknownHost())
            client.connect(
                target.host,
                port=target.port,
                username=target.user,
                pkey=self._pkey,
                password=self._password,
                sock=sock,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                channel_timeout=timeout,
                allow_agent=False,  # only the credentials configured for this run, so behaviour is explicit
                look_for_keys=False,
                transport_factory=self._make_transport,
            )
        except BaseException as exc:
            self._disconnect()
            sock.close()
            failure = self._permanent_failure(exc)
            if failure is None:
                raise
            raise failure from None
        transport = client.get_transport()
        if transport is None:
            raise paramiko.SSHException("the SSH connection closed right after authentication")
        transport.set_keepalive(max(1, min(KEEPALIVE_SECONDS, int(timeout / 2))))
        sftp = TunedSFTPClient.from_transport(transport, window_size=WINDOW_SIZE, max_packet_size=MAX_PACKET_SIZE)
        if sftp is None:
            raise paramiko.SSHException("the server did not open an SFTP session")
        sftp.get_channel().settimeout(timeout)
        sftp.read_size = negotiate_read_size(sftp)
        self._sftp = sftp

    def _disconnect(self) -> None:
        sftp, client = self._sftp, self._client
        self._sftp = self._client = None
        if sftp is not None:
            with suppress(Exception):
                sftp.close()
        if client is not None:
            with suppress(Exception):
                client.close()

    def _permanent_failure(self, exc: BaseException) -> LoaderError | None:
        """The error to stop the run with for a failure no retry can cure (host key, credentials), else None."""
        target = self.target
        if isinstance(exc, UnknownHostKey):
            return SourceError(self._unknown_host_message(exc.key))
        if isinstance(exc, paramiko.BadHostKeyException):
            return SourceError(self._changed_host_message(exc.key, exc.expected_key))
        if isinstance(exc, paramiko.BadAuthenticationType):
            allowed = ", ".join(exc.allowed_types) or "none"
            return SourceError(
                f"{target.user}@{target.host} refused {self._auth_methods()} "
                f"(the server allows: {allowed}); nothing was read"
            )
        if isinstance(exc, paramiko.AuthenticationException):
            return SourceError(
                f"authentication failed for {target.user}@{target.host} with {self._auth_methods()}: check the user "
                f"and that the server accepts this key (or password) for it; nothing was read"
            )
        if isinstance(exc, paramiko.IncompatiblePeer):
            return SourceError(f"{target.host} has no SSH algorithm in common with this client: {exc}")
        if isinstance(exc, OSError) and exc.filename == str(self.known_hosts):
            return ConfigError(f"cannot read known_hosts file {self.known_hosts}: {exc.strerror or exc}")
        return None

    def _auth_methods(self) -> str:
        methods = []
        if self._pkey is not None:
            methods.append(f"the key {self._key_file}" if self._key_file else "the configured key")
        if self._password is not None:
            methods.append(f"the password from {ENV_PASSWORD}")
        return " and ".join(methods)

    def _unknown_host_message(self, key: paramiko.PKey) -> str:
        target, path = self.target, self.known_hosts
        return (
            f"the host key of {target.known_hosts_name} is not in {path}, so the server cannot be trusted yet; "
            f"nothing was read. The server offered {key.get_name()} {key.fingerprint}. Check that fingerprint "
            f"with the server's administrator (out of band, not over this connection), then add the key with "
            f"'{target.keyscan(path)}' and compare 'ssh-keygen -lf {path}' with it"
        )

    def _changed_host_message(self, offered: paramiko.PKey, expected: paramiko.PKey) -> str:
        target, path = self.target, self.known_hosts
        return (
            f"the host key of {target.known_hosts_name} has CHANGED: the server offered {offered.get_name()} "
            f"{offered.fingerprint}, but {path} has {expected.get_name()} {expected.fingerprint}. The server may "
            f"have been rebuilt, or someone may be intercepting the connection; nothing was read. Confirm the new "
            f"fingerprint with the server's administrator (out of band), then replace the entry with "
            f"'ssh-keygen -R \"{target.known_hosts_name}\" -f {path}' and '{target.keyscan(path)}'"
        )

    def _with_retries(self, what: str, operation: Callable[[], T]) -> T:
        """Run ``operation`` (connecting first if needed), retrying transient failures with backoff."""
        attempts = self.settings.attempts
        for attempt in range(1, attempts + 1):
            try:
                if self._sftp is None or not self._connected():
                    self._connect()
                return operation()
            except Exception as exc:
                if not self._is_transient(exc):
                    raise
                reason = _describe(exc, self.settings.timeout)
                self._disconnect()
                if attempt == attempts:
                    raise SourceError(
                        f"{what} failed after {attempts} attempt{'s' if attempts > 1 else ''}: {reason}"
                    ) from exc
                delay = self.settings.backoff(attempt)
                log.warning("%s: %s; retrying in %.1f s (attempt %d of %d)", what, reason, delay, attempt + 1, attempts)
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _is_transient(self, exc: BaseException) -> bool:
        if isinstance(exc, (LoaderError, UnknownHostKey, *_PERMANENT)):
            return False
        if isinstance(exc, _TRANSIENT):
            return True
        # An SFTP status error (no such file, permission denied) is about that file, but paramiko
        # reports a channel closed under it with the same OSError type, possibly before its own
        # thread has marked the connection dead: ask the connection whether it still answers.
        return isinstance(exc, OSError) and not self._answers()

    def _answers(self) -> bool:
        """Whether the SFTP session is up and answers a request (within the timeout)."""
        if self._sftp is None or not self._connected():
            return False
        try:
            self._sftp.normalize(".")
        except Exception:
            return False
        return True

    # -- operations (each runs on a live connection, inside _with_retries) -------------------------------------

    @property
    def sftp(self) -> TunedSFTPClient:
        if self._sftp is None:
            raise paramiko.SSHException("not connected")
        return self._sftp

    def _check_root(self) -> None:
        try:
            attrs = self.sftp.stat(self.target.root)
        except FileNotFoundError:
            raise SourceError(
                f"drop directory {self.target.root} not found on {self.target.host}: check the path in --from"
            ) from None
        except PermissionError:
            raise SourceError(f"no permission to read {self.target.root} on {self.target.host}") from None
        except OSError as exc:
            if self._is_transient(exc):
                raise  # the connection's failure: retried
            raise SourceError(f"cannot open {self.target.root} on {self.target.host}: {exc.strerror or exc}") from None
        if attrs.st_mode is not None and not stat.S_ISDIR(attrs.st_mode):
            raise SourceError(f"{self.uri} is not a directory on the server: check the path in --from")

    def _list_once(self) -> list[DropEntry]:
        entries: list[DropEntry] = []
        pending = [""]
        while pending:
            rel_dir = pending.pop()
            remote_dir = self._remote(rel_dir)
            try:
                listing = self.sftp.listdir_attr(remote_dir)
            except OSError as exc:
                if not self._is_transient(exc):
                    raise SourceError(
                        f"could not list {remote_dir} on {self.target.host}: {exc.strerror or exc}"
                    ) from None
                raise
            subdirs = []
            for attrs in sorted(listing, key=lambda item: item.filename):
                name = attrs.filename
                if name in {"", ".", ".."} or "/" in name:
                    continue  # not a name a directory can hold: never turn it into a local path
                rel = f"{rel_dir}/{name}" if rel_dir else name
                mode = attrs.st_mode or 0
                if stat.S_ISDIR(mode):
                    if self.archive is None or self._remote(rel) != self.archive:
                        subdirs.append(rel)
                    continue
                if stat.S_ISLNK(mode):
                    # Like os.walk: a link to a file is listed as that file; links to
                    # directories are not followed, so a link loop cannot trap the walk.
                    try:
                        attrs = self.sftp.stat(self._remote(rel))
                    except OSError as exc:
                        if self._is_transient(exc):
                            raise
                        continue  # dangling or unreadable link: not a file to deliver
                    mode = attrs.st_mode or 0
                if stat.S_ISREG(mode):
                    entries.append(DropEntry(rel, attrs.st_size or 0, float(attrs.st_mtime or 0)))
            pending.extend(reversed(subdirs))
        return entries

    def _download(self, entry: DropEntry) -> Path:
        """Download one file into the cache via a temporary name; raise FileNotReady if it changed meanwhile."""
        remote = self._remote(entry.relpath)
        final = self._cache_path(entry.relpath)
        before = self.sftp.stat(remote)
        if before.st_size != entry.size or float(before.st_mtime or 0) != entry.mtime:
            raise FileNotReady("changed since it was listed: still being written; will be picked up on the next run")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
        except OSError as exc:
            # A local problem, the same for every file: stop rather than report each one unreadable.
            raise ConfigError(
                f"cannot write to the landing cache {self.cache_dir}: {exc.strerror or exc} (see --cache-dir)"
            ) from None
        temp = Path(temp_name)
        bar = ProgressBar(entry.relpath) if self.progress else None
        try:
            with os.fdopen(fd, "wb") as handle:
                # getfo pipelines reads (prefetch) instead of one request per round trip.
                self.sftp.getfo(remote, handle, callback=bar, prefetch=True)
            after = self.sftp.stat(remote)
            received = temp.stat().st_size
            if (
                after.st_size != before.st_size
                or after.st_mtime != before.st_mtime
                or received != (before.st_size or 0)
            ):
                raise FileNotReady(
                    f"changed during the download ({before.st_size} -> {after.st_size} bytes on the server, "
                    f"{received} received): still being written; will be picked up on the next run"
                )
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        finally:
            if bar is not None:
                bar.finish()
        return final

    def _upload_once(self, local: Path, relpath: str) -> str:
        sftp = self.sftp
        final = self._remote(relpath)
        temp = final + ".part"
        self._makedirs(posixpath.dirname(final))
        try:
            sftp.put(str(local), temp, confirm=True)
            try:
                sftp.posix_rename(temp, final)
            except OSError as exc:
                if "unsupported" not in str(exc).lower():
                    raise
                # servers without the posix-rename extension refuse to rename over a file
                with suppress(FileNotFoundError):
                    sftp.remove(final)
                sftp.rename(temp, final)
        except BaseException:
            with suppress(Exception):
                sftp.remove(temp)
            raise
        return final

    def _archive_once(self, entry: DropEntry) -> str:
        if self.archive is None:
            raise ValueError("no archive directory configured")
        sftp = self.sftp
        destination = posixpath.join(self.archive, entry.relpath)
        self._makedirs(posixpath.dirname(destination))
        with suppress(FileNotFoundError):
            sftp.stat(destination)
            # An earlier version of this file is archived already: keep both.
            destination += "." + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        source = self._remote(entry.relpath)
        try:
            sftp.posix_rename(source, destination)
        except OSError as exc:
            if "unsupported" not in str(exc).lower():
                raise
            sftp.rename(source, destination)  # servers without the posix-rename extension
        return destination

    # -- helpers -----------------------------------------------------------------------------------------------

    def _remote(self, relpath: str) -> str:
        if not relpath:
            return self.target.root
        return posixpath.join(self.target.root, relpath)

    def _cache_path(self, relpath: str) -> Path:
        parts = relpath.split("/")
        if any(part in {"", ".", ".."} for part in parts):
            raise SourceError(f"refusing unsafe file name {relpath!r} from the server")
        return self.cache_dir.joinpath(*parts)

    def _prune_cache_dirs(self, directory: Path) -> None:
        """Remove directories the download created and left empty (never the cache root itself)."""
        cache = self.cache_dir.resolve()
        current = directory.resolve()
        while current != cache and cache in current.parents:
            try:
                current.rmdir()
            except OSError:
                return  # not empty (another file) or already gone
            current = current.parent

    def _makedirs(self, remote_dir: str) -> None:
        missing = []
        current = remote_dir
        while current not in {"", "/"}:
            try:
                self.sftp.stat(current)
                break
            except FileNotFoundError:
                missing.append(current)
                current = posixpath.dirname(current)
        for path in reversed(missing):
            try:
                self.sftp.mkdir(path)
            except OSError:
                self.sftp.stat(path)  # created meanwhile is fine; anything else raises


def _archive_root(root: str, archive: str) -> str:
    """The archive directory on the server: absolute as given, or relative to the drop root."""
    path = posixpath.normpath(posixpath.join(root, archive))
    if path == root:
        raise ConfigError("the archive directory cannot be the drop directory itself")
    return path


def _load_key(path: Path) -> paramiko.PKey:
    """Load the private key now, so a missing file or passphrase is a configuration error, not a login failure."""
    if not path.is_file():
        raise ConfigError(f"key file {path} not found: check --key-file / {ENV_KEY_FILE}")
    passphrase = os.environ.get(ENV_KEY_PASSPHRASE) or None
    try:
        return paramiko.PKey.from_path(path, passphrase.encode() if passphrase else None)
    except TypeError as exc:
        if "password" in str(exc).lower() and passphrase is None:
            raise ConfigError(f"key file {path} is encrypted: set {ENV_KEY_PASSPHRASE}") from None
        raise ConfigError(f"cannot read key file {path}: {type(exc).__name__}") from None
    except (ValueError, paramiko.SSHException, OSError) as exc:
        hint = "wrong passphrase in " + ENV_KEY_PASSPHRASE + ", or " if passphrase else ""
        # Only the class name: a parser's message could quote bytes of the key.
        raise ConfigError(
            f"cannot read key file {path} ({hint}not an OpenSSH/PEM private key: {type(exc).__name__})"
        ) from None


def _describe(exc: BaseException, timeout: float) -> str:
    """A short reason for a network failure, without paramiko's internals."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s (timed out)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the SFTP server running on that port?)"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the server"
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, EOFError) or "connection dropped" in text.lower() or text == "Socket is closed":
        return "connection closed by the server"
    if isinstance(exc, paramiko.SSHException):
        if "banner" in text.lower() or "no existing session" in text.lower():
            return (
                f"no SSH handshake within {timeout:g} s: the server accepted the connection but did not answer "
                f"(is it an SSH server, and is it overloaded or hung?)"
            )
        return f"SSH error: {text}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return text
