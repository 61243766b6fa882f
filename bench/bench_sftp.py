"""Download throughput: the loader's SFTP source against OpenSSH's ``sftp`` client, on the same server.

    python bench/bench_sftp.py [--size-mb 300] [--rounds 3]

Starts a throw-away OpenSSH server on loopback (as the tests do), writes a
file of random bytes, then alternately downloads it through
``SftpSource.fetch`` (the path every delivered file takes) and through
``sftp -b -`` with ``get``. Both timings run from the start of the connection
to the last byte on local disk, into the same local directory, and both
downloads are checked against the file's SHA-256. Prints MB/s per round, the
medians and the ratio loader/OpenSSH; exits 1 when the ratio is below
``--target`` (default 0.9).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "tests" / "python"))

from sftp_server import SshServer, start_sshd  # noqa: E402

from loaders.sources.sftp import SftpSource  # noqa: E402

BLOCK = 1 << 20


def make_file(path: Path, size: int) -> str:
    """Write ``size`` random bytes (incompressible, so no layer can shortcut them); return their SHA-256."""
    sha = hashlib.sha256()
    block = os.urandom(BLOCK)
    with path.open("wb") as handle:
        written = 0
        while written < size:
            # Vary each block so that nothing downstream can deduplicate them.
            chunk = (written.to_bytes(8, "big") + block[8:])[: size - written]
            handle.write(chunk)
            sha.update(chunk)
            written += len(chunk)
    return sha.hexdigest()


def sha256_of(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(BLOCK):
            sha.update(chunk)
    return sha.hexdigest()


def time_loader(server: SshServer, drop: Path, name: str, cache: Path, expected_sha: str) -> float:
    started = time.perf_counter()
    source = SftpSource.from_url(
        server.url(drop), known_hosts=str(server.known_hosts), key_file=str(server.client_key), cache_dir=str(cache)
    )
    try:
        entry = next(item for item in source.list_entries() if item.relpath == name)
        with source.fetch(entry) as local:
            seconds = time.perf_counter() - started
            if sha256_of(local) != expected_sha:
                raise SystemExit("loader download does not match the source file")
    finally:
        source.close()
    return seconds


def time_openssh(server: SshServer, remote: Path, local: Path, expected_sha: str) -> float:
    command = [
        "sftp",
        "-q",
        "-b",
        "-",
        "-P",
        str(server.port),
        "-i",
        str(server.client_key),
        "-o",
        f"UserKnownHostsFile={server.known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        f"{server.user}@{server.host}",
    ]
    started = time.perf_counter()
    subprocess.run(command, input=f'get "{remote}" "{local}"\n', text=True, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    try:
        if sha256_of(local) != expected_sha:
            raise SystemExit("OpenSSH download does not match the source file")
    finally:
        local.unlink(missing_ok=True)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=300, help="file size in MB (10^6 bytes; default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="download rounds per client (default 3)")
    parser.add_argument("--target", type=float, default=0.9, help="minimum ratio loader/OpenSSH (default 0.9)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if shutil.which("sftp") is None:
        raise SystemExit("OpenSSH's sftp client is not installed (apt-get install openssh-client)")

    workdir = Path(tempfile.mkdtemp(prefix="bench-sftp-"))
    server = None
    try:
        server = start_sshd(workdir / "sshd")
        drop = workdir / "drop"
        drop.mkdir()
        name = "bench.bin"
        size = args.size_mb * 1_000_000
        print(f"writing {args.size_mb} MB of random bytes ...", flush=True)
        expected_sha = make_file(drop / name, size)
        local_dir = workdir / "local"
        local_dir.mkdir()
        print(f"sshd {server.host}:{server.port}, {args.rounds} round(s), alternating loader / OpenSSH sftp")
        loader_rates: list[float] = []
        openssh_rates: list[float] = []
        for round_no in range(1, args.rounds + 1):
            # Alternate which client goes first so that neither always gets the warmer cache.
            order = ["loader", "openssh"] if round_no % 2 else ["openssh", "loader"]
            results = {}
            for client in order:
                if client == "loader":
                    seconds = time_loader(server, drop, name, local_dir / "cache", expected_sha)
                else:
                    seconds = time_openssh(server, drop / name, local_dir / name, expected_sha)
                results[client] = size / seconds / 1e6
            loader_rates.append(results["loader"])
            openssh_rates.append(results["openssh"])
            print(
                f"round {round_no}: loader {results['loader']:7.1f} MB/s   openssh {results['openssh']:7.1f} MB/s   "
                f"ratio {results['loader'] / results['openssh']:.2f}",
                flush=True,
            )
        loader_median = statistics.median(loader_rates)
        openssh_median = statistics.median(openssh_rates)
        ratio = loader_median / openssh_median
        print(f"median: loader {loader_median:7.1f} MB/s   openssh {openssh_median:7.1f} MB/s   ratio {ratio:.2f}")
        verdict = "meets" if ratio >= args.target else "BELOW"
        print(f"{verdict} the target ratio {args.target:.2f}")
        return 0 if ratio >= args.target else 1
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
