"""OpenLineage events of `pulsetier run` (docs/lineage.md), received on loopback.

A data platform learns from these events what each run read and wrote, so
they must be well-formed, match the manifest, and never cost a run:

- HTTP transport: START then COMPLETE at /api/v1/lineage with one run UUID,
  the API key as a Bearer token, the parent/root facets from the
  environment, and input/output statistics equal to the manifest's rows;
- a quality-gate failure: START then FAIL with the error message and the
  `_rejects` outputs that were committed;
- a receiver that is slow or down changes nothing: exit 0 and the same
  published Parquet files as a run without lineage, and a warning;
- no secret (API key, URL password, cloud secret) in any event body, log,
  manifest or report;
- file transport: one JSON line per event.

Every event collected is validated against the event and facet classes of
openlineage-python (ol_validate.py), and the validator is itself tested on
broken events.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from pathlib import Path

import pytest
from dateutil import parser as dateparser

import ol_validate as V
import pulsetier_cli as P

DATE = P.DATE
ENDPOINT = "/api/v1/lineage"
API_KEY = "olkey-9d41c7e2-pulsetier-test"
AWS_SECRET = "awssecret-5be80f13-pulsetier-test"
URL_PASSWORD = "pw-secret"
PARENT_RUN = "3f0c7a52-8d1e-4b6a-9c2f-0a1b2c3d4e5f"
ROOT_RUN = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
PARENT = ("airflow", "nightly.pulsetier_task", PARENT_RUN)
ROOT = ("airflow", "nightly", ROOT_RUN)
SHORT_TIMEOUT = "[lineage]\ntimeout_ms = 300\n"
TIMEOUT_S = 0.3


# ----------------------------------------------------------------------------- helpers


def run_date(out: Path, *extra: str, **env: str):
    """`pulsetier run` of DATE on the fixtures into `out`; returns the result
    and its wall time."""
    started = time.monotonic()
    r = P.run("run", "--date", DATE, "--input", str(P.FIXTURES), "--output", str(out), *extra,
              env=P.clean_env(**env))
    return r, time.monotonic() - started


def validated(events: list[dict]) -> list[dict]:
    """`events`, each of them checked against the openlineage-python classes."""
    for i, event in enumerate(events):
        try:
            V.validate_event(event)
        except (V.InvalidEvent, TypeError, ValueError) as e:
            pytest.fail(f"event {i} ({event.get('eventType')}) is not a valid OpenLineage RunEvent: {e}")
    return events


def posted_events(posts) -> list[dict]:
    """The validated bodies of the POSTs a receiver got, all at the endpoint."""
    assert [p.path for p in posts] == [ENDPOINT] * len(posts)
    return validated([p.body for p in posts])


def assert_run_pair(events: list[dict], end: str) -> tuple[dict, dict]:
    """Exactly START then `end`, for one run UUID."""
    assert [e["eventType"] for e in events] == ["START", end]
    start, finish = events
    assert start["run"]["runId"] == finish["run"]["runId"]
    uuid.UUID(start["run"]["runId"])
    return start, finish


def table_dataset(root: Path, table: str) -> tuple[str, str]:
    return "file", os.path.abspath(root / table)


def datasets(event: dict, kind: str) -> dict[tuple[str, str], dict]:
    """An event's inputs or outputs by (namespace, name); a name twice fails."""
    by_name = {(d["namespace"], d["name"]): d for d in event[kind]}
    assert len(by_name) == len(event[kind]), f"a dataset twice in {kind}"
    return by_name


def partition_dates(facet: dict, condition: str) -> list[str]:
    return sorted(p["dimensions"]["snapshot_date"] for p in facet[condition]["partitions"])


def assert_inputs_match_manifest(event: dict, manifest: dict) -> None:
    inputs = datasets(event, "inputs")
    assert set(inputs) == {table_dataset(P.FIXTURES, t) for t in P.INPUT_TABLES}
    for t in P.INPUT_TABLES:
        facets = inputs[table_dataset(P.FIXTURES, t)]["inputFacets"]
        assert facets["inputStatistics"]["rowCount"] == manifest["inputs"][t]["rows_read"], t
        assert partition_dates(facets["subset"], "inputCondition") == sorted(
            manifest["inputs"][t]["partitions_read"]), t


def assert_outputs_match_manifest(event: dict, manifest: dict, out: Path) -> None:
    committed = P.committed_outputs(manifest)
    assert committed, "the manifest lists no committed output"
    outputs = datasets(event, "outputs")
    assert set(outputs) == {table_dataset(out, t) for t in committed}
    for t, o in committed.items():
        facets = outputs[table_dataset(out, t)]["outputFacets"]
        assert facets["outputStatistics"]["rowCount"] == o["rows"], t
        assert partition_dates(facets["subset"], "outputCondition") == [DATE], t


def pulsetier_facet(event: dict) -> dict:
    facet = event["run"]["facets"]["pulsetier_run"]
    assert facet["_schemaURL"].startswith("urn:") and facet["_producer"]
    return facet


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, float]:
    """The same run without lineage, and its wall time."""
    out = tmp_path_factory.mktemp("no-lineage") / "out"
    r, seconds = run_date(out)
    assert r.returncode == 0, P.describe(r)
    return out, seconds


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "pulsetier.toml"
    path.write_text(SHORT_TIMEOUT)
    return path


# ----------------------------------------------------------------------------- HTTP transport


@pytest.fixture
def http_run(receiver, tmp_path):
    """A successful run sending to `receiver`, with an API key and a parent."""
    out = tmp_path / "out"
    r, _ = run_date(out, "--lineage-url", receiver.url,
                    OPENLINEAGE_API_KEY=API_KEY,
                    OPENLINEAGE_PARENT_ID="/".join(PARENT),
                    OPENLINEAGE_ROOT_PARENT_ID="/".join(ROOT))
    assert r.returncode == 0, P.describe(r)
    return out, receiver.received()


def test_http_sends_start_then_complete_with_bearer_key(http_run):
    _, posts = http_run
    start, complete = assert_run_pair(posted_events(posts), "COMPLETE")
    assert [p.headers.get("authorization") for p in posts] == [f"Bearer {API_KEY}"] * 2
    assert all(p.headers.get("content-type", "").startswith("application/json") for p in posts)
    assert start["inputs"] == [] and start["outputs"] == []


def test_complete_statistics_equal_manifest(http_run):
    out, posts = http_run
    _, complete = assert_run_pair(posted_events(posts), "COMPLETE")
    manifest_path, manifest = P.only_manifest(out, DATE)
    assert_inputs_match_manifest(complete, manifest)
    assert_outputs_match_manifest(complete, manifest, out)
    facet = pulsetier_facet(complete)
    assert facet["run_id"] == manifest["run_id"] == manifest_path.stem
    assert (facet["status"], facet["exit_code"]) == (manifest["status"], manifest["exit_code"]) == ("success", 0)


def test_run_facets_parent_root_and_nominal_time(http_run):
    _, posts = http_run
    for event in posted_events(posts):
        facets = event["run"]["facets"]
        parent = facets["parent"]
        assert (parent["job"]["namespace"], parent["job"]["name"], parent["run"]["runId"]) == PARENT
        root = parent["root"]
        assert (root["job"]["namespace"], root["job"]["name"], root["run"]["runId"]) == ROOT
        nominal = dateparser.isoparse(facets["nominalTime"]["nominalStartTime"])
        assert nominal == dt.datetime.fromisoformat(DATE).replace(tzinfo=dt.timezone.utc)
        assert event["job"]["facets"]["jobType"]["processingType"] == "BATCH"


def test_quality_gate_failure_sends_fail(receiver, tmp_path):
    out = tmp_path / "out"
    r, _ = run_date(out, "--lineage-url", receiver.url, "--max-reject-ratio", "0")
    assert r.returncode == 4, P.describe(r)
    _, fail = assert_run_pair(posted_events(receiver.received()), "FAIL")
    assert "quality gate" in fail["run"]["facets"]["errorMessage"]["message"]
    _, manifest = P.only_manifest(out, DATE)
    assert_inputs_match_manifest(fail, manifest)
    assert_outputs_match_manifest(fail, manifest, out)
    assert all(name.startswith(os.path.abspath(out / "_rejects") + "/")
               for _, name in datasets(fail, "outputs"))
    facet = pulsetier_facet(fail)
    assert (facet["run_id"], facet["status"], facet["exit_code"]) == (
        manifest["run_id"], manifest["status"], 4)


# ----------------------------------------------------------------------------- a receiver slow or down


@pytest.mark.parametrize("mode", ["slow", "down"])
def test_unreachable_receiver_changes_nothing(mode, request, reference, config, tmp_path):
    if mode == "slow":
        slow = request.getfixturevalue("slow_receiver")
        url = slow.url
    else:
        slow, url = None, request.getfixturevalue("down_url")
    ref_out, ref_seconds = reference
    out = tmp_path / "out"
    r, seconds = run_date(out, "--lineage-url", url, "--config", str(config))
    assert r.returncode == 0, P.describe(r)

    assert P.part_files(out) == P.part_files(ref_out), "published files differ from a run without lineage"
    _, manifest = P.only_manifest(out, DATE)
    _, ref_manifest = P.only_manifest(ref_out, DATE)
    assert {t: o["rows"] for t, o in manifest["outputs"].items()} == \
        {t: o["rows"] for t, o in ref_manifest["outputs"].items()}

    warnings = [line for line in r.stderr.splitlines() if "WARN" in line and "lineage" in line.lower()]
    assert warnings, f"no warning about lineage\n{P.describe(r)}"
    if slow is not None:
        events = posted_events(slow.received())
        assert events and events[0]["eventType"] == "START"
        # Waiting for even one answer would add slow.delay_s; two timeouts add 0.6 s.
        assert seconds - ref_seconds < slow.delay_s - 1.0, \
            f"run took {seconds:.1f} s against {ref_seconds:.1f} s without lineage"


# ----------------------------------------------------------------------------- secrets


def test_no_secret_in_events_logs_manifest_or_report(receiver, tmp_path):
    out = tmp_path / "out"
    url = receiver.url.replace("http://", f"http://user:{URL_PASSWORD}@")
    r, _ = run_date(out, "--lineage-url", url, "--report",
                    OPENLINEAGE_API_KEY=API_KEY, AWS_SECRET_ACCESS_KEY=AWS_SECRET)
    assert r.returncode == 0, P.describe(r)
    posts = receiver.received()
    assert_run_pair(posted_events(posts), "COMPLETE")
    assert [p.headers.get("authorization") for p in posts] == [f"Bearer {API_KEY}"] * 2

    manifest_path, _ = P.only_manifest(out, DATE)
    report = out / "_reports" / f"snapshot_date={DATE}" / "report.html"
    assert report.is_file(), f"--report wrote no {report}"
    places = {"stdout": r.stdout.encode(), "stderr": r.stderr.encode()}
    places.update({f"event {i} body": p.raw for i, p in enumerate(posts)})
    places.update({str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert str(manifest_path.relative_to(out)) in places and str(report.relative_to(out)) in places
    leaks = [f"{secret!r} in {where}" for secret in (API_KEY, URL_PASSWORD, AWS_SECRET)
             for where, data in places.items() if secret.encode() in data]
    assert leaks == []


def test_config_redacts_lineage_url():
    r = P.run("config", "--lineage-url", f"http://user:{URL_PASSWORD}@127.0.0.1:9",
              env=P.clean_env(OPENLINEAGE_API_KEY=API_KEY))
    assert r.returncode == 0, P.describe(r)
    assert "127.0.0.1:9" in r.stdout, P.describe(r)
    for secret in (URL_PASSWORD, API_KEY):
        assert secret not in r.stdout + r.stderr


# ----------------------------------------------------------------------------- file transport


def test_file_transport_writes_start_and_complete_lines(tmp_path):
    out, events_file = tmp_path / "out", tmp_path / "lineage" / "events.jsonl"
    r, _ = run_date(out, "--lineage-file", str(events_file))
    assert r.returncode == 0, P.describe(r)
    lines = events_file.read_text().splitlines()
    _, complete = assert_run_pair(validated([json.loads(line) for line in lines]), "COMPLETE")
    _, manifest = P.only_manifest(out, DATE)
    assert pulsetier_facet(complete)["run_id"] == manifest["run_id"]
    assert_outputs_match_manifest(complete, manifest, out)


# ----------------------------------------------------------------------------- the validator itself


def _facet(cls, **fields) -> dict:
    return {"_producer": "https://example.invalid/producer", "_schemaURL": cls._get_schema(), **fields}


def sample_event() -> dict:
    """A small, hand-written, valid COMPLETE event."""
    from openlineage.client.generated.nominal_time_run import NominalTimeRunFacet
    from openlineage.client.generated.output_statistics_output_dataset import (
        OutputStatisticsOutputDatasetFacet,
    )
    from openlineage.client.event_v2 import RunEvent

    return {
        "eventTime": "2026-03-10T06:00:00.000Z",
        "eventType": "COMPLETE",
        "producer": "https://example.invalid/producer",
        "schemaURL": RunEvent._get_schema(),
        "run": {"runId": "0d9f2f4e-1c1a-4e57-9a0e-2b7c3d4e5f60",
                "facets": {"nominalTime": _facet(NominalTimeRunFacet, nominalStartTime="2026-03-10T00:00:00Z"),
                           "custom_thing": {"_producer": "urn:x", "_schemaURL": "urn:x:1", "any": 1}}},
        "job": {"namespace": "ns", "name": "job"},
        "inputs": [],
        "outputs": [{"namespace": "file", "name": "/data/t",
                     "outputFacets": {"outputStatistics": _facet(OutputStatisticsOutputDatasetFacet,
                                                                 rowCount=3, fileCount=1)}}],
    }


def test_validator_accepts_a_valid_event():
    checked = V.validate_event(sample_event())
    assert list(checked.custom_facets) == ["run.facets.custom_thing"]


def _without_event_time(e):
    del e["eventTime"]


def _bad_run_id(e):
    e["run"]["runId"] = "20261204T180857.801Z-6b614851"


def _unknown_statistic(e):
    e["outputs"][0]["outputFacets"]["outputStatistics"]["rowsWritten"] = 3


def _custom_facet_without_schema(e):
    del e["run"]["facets"]["custom_thing"]["_schemaURL"]


def _wrong_schema_url(e):
    e["outputs"][0]["outputFacets"]["outputStatistics"]["_schemaURL"] = "https://example.invalid/stats.json"


def _row_count_as_text(e):
    e["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] = "3"


@pytest.mark.parametrize("breakage", [_without_event_time, _bad_run_id, _unknown_statistic,
                                      _custom_facet_without_schema, _wrong_schema_url,
                                      _row_count_as_text])
def test_validator_rejects_a_broken_event(breakage):
    event = sample_event()
    breakage(event)
    with pytest.raises(V.InvalidEvent):
        V.validate_event(event)
