"""Fixtures of tests/s3: pulsetier against a real S3 API on loopback.

moto's S3 server and the counting, fault-injecting proxy (s3_harness.py) run
in this process for the whole session on 127.0.0.1. The fixtures are uploaded
once to s3://in-bucket/fixtures; each test writes under its own prefix of
s3://out-bucket, and the proxy's faults and request log are reset around
every test.
"""

from __future__ import annotations

import dataclasses
import logging
import subprocess

import boto3
import pytest
from botocore.config import Config

import s3_runs as R
from s3_harness import FaultProxy, MotoS3

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log


@pytest.fixture(scope="session")
def moto():
    server = MotoS3().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def proxy(moto):
    p = FaultProxy(moto.port).start()
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def _fresh_proxy(proxy):
    proxy.reset()
    yield
    proxy.reset()


@pytest.fixture(scope="session")
def s3(moto):
    """boto3 straight to moto (not through the proxy)."""
    return boto3.client(
        "s3",
        endpoint_url=moto.endpoint,
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, proxies={}),
    )


@pytest.fixture(scope="session")
def buckets(s3):
    """in-bucket holding fixtures/input under fixtures/, and an empty out-bucket."""
    s3.create_bucket(Bucket=R.IN_BUCKET)
    s3.create_bucket(Bucket=R.OUT_BUCKET)
    uploaded = 0
    for path in sorted(R.FIXTURES.rglob("*")):
        if path.is_file():
            key = f"{R.IN_PREFIX}/{path.relative_to(R.FIXTURES).as_posix()}"
            s3.upload_file(str(path), R.IN_BUCKET, key)
            uploaded += 1
    assert uploaded > 0, f"no fixture files under {R.FIXTURES}"
    return uploaded


@pytest.fixture(scope="session")
def local_reference(tmp_path_factory) -> R.LocalReference:
    """The same fixtures run locally: `--input fixtures/input --output <tmp>`."""
    out = tmp_path_factory.mktemp("local") / "out"
    env = R.s3_env("http://127.0.0.1:9")  # no store is used; same scrubbed environment
    r = R.run(["run", "--date", R.DATE, "--input", "fixtures/input", "--output", str(out)], env)
    assert r.returncode == 0, R.describe(r)
    files = R.local_files(out)
    ms = R.manifests(files)
    assert len(ms) == 1, sorted(files)
    return R.LocalReference(root=out, files=files, manifest=ms[0],
                            input_url=R.FIXTURES.as_uri() + "/")


@dataclasses.dataclass
class S3Run:
    """One finished `pulsetier run` against the proxy, with what it sent and left."""
    result: subprocess.CompletedProcess
    requests: list
    objects: dict[str, bytes]
    output_url: str


@pytest.fixture(scope="session")
def canonical_run(proxy, s3, buckets) -> S3Run:
    """`pulsetier run --date 2026-03-10 --input s3://in-bucket/fixtures
    --output s3://out-bucket/pt`, no faults, credentials from the environment."""
    proxy.reset()
    r = R.s3_run(proxy.endpoint, "pt")
    reqs = proxy.requests()
    return S3Run(result=r, requests=reqs, objects=R.objects(s3, R.OUT_BUCKET, "pt"),
                 output_url=f"s3://{R.OUT_BUCKET}/pt")


@pytest.fixture
def config_file(tmp_path):
    """Write a TOML config file and return its path."""
    def write(text: str, name: str = "pulsetier.toml"):
        path = tmp_path / name
        path.write_text(text)
        return path
    return write

