"""Secrets never leave the process (issue 4, acceptance 4): credentials from
the environment and from `[storage.options]` do not appear in stdout, stderr
(debug logs included), the manifest, any published object, `explain`,
`validate` or `config` output; URLs carrying userinfo or a signed query are
redacted in messages."""

from __future__ import annotations

import socket

import pytest

import s3_runs as R

ENV_SECRET = "pt-env-secret-Q7v9Lx2K"
ENV_TOKEN = "pt-env-token-Z3m8Wc5R"
TOML_SECRET = "pt-toml-secret-H4n6Bt1Y"
TOML_TOKEN = "pt-toml-token-P2d5Kj8S"
SECRETS = (ENV_SECRET, ENV_TOKEN, TOML_SECRET, TOML_TOKEN)
URL_PASSWORD = "pt-url-password-6Jq4"
URL_SIGNATURE = "pt-url-sig-9Tz2"
TOML_OPTIONS = (f'[storage.options]\naws_secret_access_key = "{TOML_SECRET}"\n'
                f'aws_session_token = "{TOML_TOKEN}"\n')


def secret_env(proxy, **extra):
    return R.s3_env(proxy.endpoint, AWS_SECRET_ACCESS_KEY=ENV_SECRET,
                    AWS_SESSION_TOKEN=ENV_TOKEN, PULSETIER_LOG="debug", **extra)


def assert_clean(where: str, text, secrets=SECRETS) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for secret in secrets:
        assert secret not in text, f"{where} contains the secret {secret!r}"


def run_args(command: str, prefix: str, config) -> list[str]:
    return [command, "--date", R.DATE, "--input", R.S3_INPUT,
            "--output", f"s3://{R.OUT_BUCKET}/{prefix}", "--config", str(config)]


def test_secrets_from_environment_and_config_are_never_printed_or_stored(
        proxy, s3, buckets, config_file):
    plain = config_file("", "plain.toml")
    with_options = config_file(TOML_OPTIONS, "options.toml")
    failing = config_file(R.FEW_RETRIES + "\n" + TOML_OPTIONS, "failing.toml")
    results = {}

    # 1. run, credentials only from the environment: the env token is on the wire
    results["run (env)"] = r = R.run(run_args("run", "secrets-env", plain), secret_env(proxy))
    assert r.returncode == 0, R.describe(r)
    assert {q.security_token for q in proxy.requests()} == {ENV_TOKEN}
    assert " DEBUG " in r.stderr, "PULSETIER_LOG=debug did not log at debug level"

    # 2. run with [storage.options] secrets: they override the environment's
    proxy.reset()
    results["run (options)"] = r = R.run(run_args("run", "secrets-options", with_options),
                                         secret_env(proxy))
    assert r.returncode == 0, R.describe(r)
    assert {q.security_token for q in proxy.requests()} == {TOML_TOKEN}

    # 3. a run that fails: every write to the output bucket refused
    proxy.configure(fail_writes_to=R.OUT_BUCKET)
    results["failing run"] = r = R.run(run_args("run", "secrets-failing", failing), secret_env(proxy))
    assert r.returncode == 1, R.describe(r)
    assert "error: storage: put s3://out-bucket/secrets-failing/" in r.stderr, r.stderr
    proxy.reset()

    # 4. explain, validate, config
    results["explain"] = r = R.run(run_args("explain", "secrets-explain", with_options), secret_env(proxy))
    assert r.returncode == 0 and r.stdout.strip(), R.describe(r)
    results["validate"] = r = R.run(run_args("validate", "secrets-validate", with_options), secret_env(proxy))
    assert r.returncode == 0 and '"status": "success"' in r.stdout, R.describe(r)
    results["config"] = r = R.run(["config", "--config", str(with_options)], secret_env(proxy))
    assert r.returncode == 0, R.describe(r)
    assert 'aws_secret_access_key = "***"' in r.stdout and 'aws_session_token = "***"' in r.stdout, r.stdout

    for name, r in results.items():
        assert_clean(f"{name}: stdout", r.stdout)
        assert_clean(f"{name}: stderr", r.stderr)

    # 5. the manifests (config included, options redacted) and every object written
    for prefix in ("secrets-env", "secrets-options", "secrets-failing", "secrets-explain", "secrets-validate"):
        objs = R.objects(s3, R.OUT_BUCKET, prefix)
        if prefix in ("secrets-env", "secrets-options"):
            manifest = R.manifests(objs)
            assert len(manifest) == 1
            options = manifest[0]["config"]["storage"]["options"]
            want = {} if prefix == "secrets-env" else {
                "aws_secret_access_key": "***", "aws_session_token": "***"}
            assert options == want, options
        else:
            assert not objs, f"{prefix}: {sorted(objs)}"  # explain/validate write nothing
        for key, data in objs.items():
            assert_clean(f"s3://{R.OUT_BUCKET}/{prefix}/{key}", data)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def https_input(port: int) -> str:
    return f"https://ptuser:{URL_PASSWORD}@127.0.0.1:{port}/x?sig={URL_SIGNATURE}"


def s3_output(prefix: str) -> str:
    return f"s3://ptuser:{URL_PASSWORD}@{R.OUT_BUCKET}/{prefix}?X-Amz-Signature={URL_SIGNATURE}"


URL_SECRETS = (URL_PASSWORD, URL_SIGNATURE, "ptuser:")


@pytest.mark.parametrize("command", ["run", "explain", "validate"])
@pytest.mark.parametrize("case", [
    "https-input",
    "s3-output",
])
def test_urls_with_credentials_are_redacted_in_messages(case, command, proxy, buckets, config_file):
    """A storage error (and the log) names the location without its userinfo
    or query: an https:// input on a closed loopback port, or an s3:// output
    whose writes are all refused."""
    config = config_file(R.FEW_RETRIES)
    if case == "https-input":
        port = closed_port()
        args = [command, "--date", R.DATE, "--input", https_input(port),
                "--output", f"s3://{R.OUT_BUCKET}/secrets-url", "--config", str(config)]
        shown = f"https://***@127.0.0.1:{port}/x"
    else:
        args = [command, "--date", R.DATE, "--input", R.S3_INPUT,
                "--output", s3_output("secrets-url"), "--config", str(config)]
        shown = f"s3://***@{R.OUT_BUCKET}/secrets-url"
        proxy.configure(fail_writes_to=R.OUT_BUCKET)
    r = R.run(args, secret_env(proxy))
    if case == "https-input" or command == "run":
        assert r.returncode == 1, R.describe(r)
        assert "error: storage: " in r.stderr and shown in r.stderr, r.stderr
    else:  # explain and validate of an s3 output write nothing, so succeed
        assert r.returncode == 0, R.describe(r)
        assert shown in r.stderr, r.stderr  # the run's log line names the output
    assert_clean("stderr", r.stderr, URL_SECRETS)
    if command != "validate":  # validate prints the manifest: next test
        assert_clean("stdout", r.stdout, URL_SECRETS)


@pytest.mark.parametrize("command", ["config", "validate", "run"])
def test_urls_with_credentials_are_redacted_in_config_and_manifest(command, proxy, s3, buckets):
    """`config` prints, and the manifest stores, the locations without userinfo
    or signed query (input s3://in-bucket/fixtures?X-Amz-Signature=…, output
    s3://user:password@out-bucket/…?X-Amz-Signature=…)."""
    prefix = f"secrets-manifest-{command}"
    args = [command, "--input", f"{R.S3_INPUT}?X-Amz-Signature={URL_SIGNATURE}",
            "--output", s3_output(prefix)]
    if command != "config":
        args[1:1] = ["--date", R.DATE]
    r = R.run(args, secret_env(proxy))
    assert r.returncode == 0, R.describe(r)
    assert_clean("stderr", r.stderr, URL_SECRETS)
    if command == "run":
        objs = R.objects(s3, R.OUT_BUCKET, prefix)
        assert len(R.manifests(objs)) == 1, sorted(objs)
        for key, data in objs.items():
            assert_clean(key, data, URL_SECRETS)
    assert_clean("stdout", r.stdout, URL_SECRETS)
