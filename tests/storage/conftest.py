"""A real S3-protocol server on 127.0.0.1 for the object-storage tests, and a bucket a test.

moto's standalone server (``ThreadedMotoServer``) answers the S3 wire protocol over HTTP; the app
reaches it through django-storages and boto3 exactly as it would reach AWS or MinIO. (MinIO's own
server is not installable from the registries these machines reach.) It does not check signatures
or POST policies, so the tests read those from the signed requests themselves.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

REGION = "us-east-1"
KEYS = {"aws_access_key_id": "lectern-test", "aws_secret_access_key": "lectern-test-secret"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass
class Bucket:
    name: str
    endpoint: str
    client: Any

    def keys(self, prefix: str = "") -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def env(self) -> dict[str, str]:
        """The same bucket for a process of its own (a worker), as an operator would set it."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.name,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": KEYS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": KEYS["aws_secret_access_key"],
            "AWS_S3_ADDRESSING_STYLE": "path",
        }


def storage_options(name: str, endpoint: str) -> dict[str, Any]:
    return {
        "bucket_name": name,
        "endpoint_url": endpoint,
        "region_name": REGION,
        "access_key": KEYS["aws_access_key_id"],
        "secret_key": KEYS["aws_secret_access_key"],
        "addressing_style": "path",
        "signature_version": "s3v4",
        "querystring_expire": 600,
        "file_overwrite": True,
        "default_acl": None,
    }


@pytest.fixture
def bucket(s3_endpoint: str, settings, tmp_path: Path) -> Bucket:
    """A fresh bucket, made Django's default storage for this test (as the settings do it)."""
    name = f"lectern-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        **KEYS,
    )
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": storage_options(name, s3_endpoint),
        },
    }
    settings.LECTERN_OBJECT_STORAGE = True
    settings.LECTERN_SCRATCH_DIR = tmp_path / "scratch"
    return Bucket(name, s3_endpoint, client)


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
