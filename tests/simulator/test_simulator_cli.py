"""`connectguard simulator`: usage errors, bad world files, and a real serve-then-Ctrl-C run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
from botocore.config import Config

from connectguard.cli import main
from connectguard.simulator import demo_world


def test_needs_exactly_one_world_source(capsys) -> None:  # noqa: ANN001
    assert main(["simulator"]) == 2
    assert main(["simulator", "--demo", "--world", "x.yaml"]) == 2
    assert "exactly one of --world FILE or --demo" in capsys.readouterr().err


def test_bad_world_file_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    bad = tmp_path / "world.yaml"
    bad.write_text("regions:\n  us-east-1:\n    connect_instances: [{alias: x}]\n")
    assert main(["simulator", "--world", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(bad) in err and "connect_instances.0" in err


def test_serves_a_world_file_until_interrupted(tmp_path: Path) -> None:
    world = demo_world()
    path = tmp_path / "demo.json"
    path.write_text(world.model_dump_json())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from connectguard.cli import main; sys.exit(main())",
         "simulator", "--world", str(path), "--connect-only", "--no-quota"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        exports = {}
        for _ in range(4):
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line.startswith("export "), line
            name, _, value = line[len("export "):].strip().partition("=")
            exports[name] = value
        assert set(exports) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                                "AWS_ENDPOINT_URL_CONNECT"}
        client = boto3.client(
            "connect", region_name=exports["AWS_DEFAULT_REGION"], endpoint_url=exports["AWS_ENDPOINT_URL_CONNECT"],
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"], aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"total_max_attempts": 1}),
        )
        aliases = [i["InstanceAlias"] for i in client.list_instances()["InstanceSummaryList"]]
        assert aliases == [i.alias for i in world.regions["us-east-1"].connect_instances]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "acme-support (us-east-1)" in err
