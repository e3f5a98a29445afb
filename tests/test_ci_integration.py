"""CI integration: the pre-commit hooks run by the real `pre-commit` (it builds its own environment by
pip-installing this repository, as a `.pre-commit-config.yaml` naming it makes it do), the composite GitHub Action and the documented workflow checked against
the schemas `check-jsonschema` ships, and the action's shell steps run as written.

The pre-commit test needs the package index (pre-commit installs policydsl's dependencies into its
environment); it does not skip: without the index it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core_helpers import ROOT

GIT_ENV = {"GIT_AUTHOR_NAME": "policydsl tests", "GIT_AUTHOR_EMAIL": "tests@example.org",
           "GIT_COMMITTER_NAME": "policydsl tests", "GIT_COMMITTER_EMAIL": "tests@example.org",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
HOOKS = ("policydsl-check", "policydsl-fmt", "policydsl-test")
GOOD = ROOT / "policies" / "merchants" / "fruit_shop.policy"
STRICTER = ROOT / "policies" / "merchants" / "rejected" / "weakened_must_to_should.policy"


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV},
                          timeout=120)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    """This checkout as pre-commit would fetch it: its files (committed or not, as in the work tree) in a
    repository of one commit with a fixed date, so that both runs below share one hook environment."""
    files = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    out = tmp_path_factory.mktemp("policydsl-repo")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, out / name)
    assert (out / ".pre-commit-hooks.yaml").is_file() and (out / "pyproject.toml").is_file()
    git(out, "init", "-q", "-b", "main")
    git(out, "add", "-A")
    git(out, "commit", "-q", "-m", "snapshot")
    return out


def pre_commit_run(snapshot: Path, scratch: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit run --all-files` in `scratch`, whose `.pre-commit-config.yaml` names the snapshot at its
    commit with the three hooks (as docs/ci.md shows). `pre-commit try-repo` would build a new
    environment in a new store on every call; with one PRE_COMMIT_HOME both runs share one."""
    rev = git(snapshot, "rev-parse", "HEAD").strip()
    config = {"repos": [{"repo": str(snapshot), "rev": rev, "hooks": [{"id": h} for h in HOOKS]}]}
    (scratch / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    git(scratch, "add", "-A")
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("PYTHONPATH", None)  # the hooks must run the policydsl pre-commit installed, not this checkout
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--verbose"], cwd=scratch,
                          capture_output=True, text=True, env=env, timeout=900)


def hook_status(output: str) -> dict[str, str]:
    """hook name → Passed / Failed, from pre-commit's summary lines (`policydsl check....Passed`)."""
    found = dict(re.findall(r"^(policydsl [a-z -]+?)\.+(Passed|Failed)$", output, flags=re.M))
    return found


def scratch_repo(tmp_path: Path, policy: Path) -> Path:
    scratch = tmp_path / "shop"
    scratch.mkdir(parents=True)
    git(scratch, "init", "-q", "-b", "main")
    shutil.copy(policy, scratch / policy.name)
    (scratch / "README.md").write_text("not a policy: the hooks skip it\n", encoding="utf-8")
    git(scratch, "add", "-A")
    return scratch


@pytest.mark.packaging
def test_pre_commit_hooks_pass_on_a_good_policy_and_fail_on_a_stricter_one(snapshot, tmp_path):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == list(HOOKS)
    assert all(h["language"] == "python" and h["files"] == r"\.policy$" for h in hooks)
    home = tmp_path / "pre-commit-home"

    good = pre_commit_run(snapshot, scratch_repo(tmp_path / "good", GOOD), home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert hook_status(good.stdout) == {"policydsl check": "Passed", "policydsl fmt --check": "Passed",
                                        "policydsl test": "Passed"}, good.stdout
    assert "checked 1 file(s): ok, 0 error(s), 0 warning(s)" in good.stdout  # --verbose shows the output

    bad = pre_commit_run(snapshot, scratch_repo(tmp_path / "bad", STRICTER), home)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert hook_status(bad.stdout)["policydsl check"] == "Failed", bad.stdout
    assert f"{STRICTER.name}:11:1: error[PD301]: rule `s3_1_reopen_if_possible` is less favourable" in bad.stdout
    # one hook environment served both runs (pre-commit keys it by repository and commit)
    envs = [p for p in home.iterdir() if p.is_dir() and p.name.startswith("repo")]
    assert len(envs) == 1, envs
    assert [p.name for p in envs[0].iterdir() if p.name.startswith("py_env-")] != []


# ---- the GitHub Action and the documented workflow ---------------------------------------------------

def builtin_schema(name: str) -> dict:
    from importlib import resources

    return json.loads(resources.files("check_jsonschema").joinpath(
        f"builtin_schemas/vendor/{name}.json").read_text("utf-8"))


def documented_workflow() -> dict:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.github/workflows/policydsl\.yml\n.*?)```", text, flags=re.S)
    assert block, "docs/ci.md shows the workflow in a ```yaml block starting with its path"
    doc = yaml.safe_load(block.group(1))
    doc["on"] = doc.pop(True)  # YAML 1.1 reads the key `on` as true; GitHub reads it as "on"
    return doc


def test_the_action_and_the_workflow_follow_githubs_schemas():
    import jsonschema

    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    jsonschema.validate(action, builtin_schema("github-actions"), format_checker=jsonschema.FormatChecker())
    assert action["runs"]["using"] == "composite"
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    workflow = documented_workflow()
    jsonschema.validate(workflow, builtin_schema("github-workflows"), format_checker=jsonschema.FormatChecker())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    assert any(s.get("uses", "").startswith("policydsl/policydsl@") for s in steps)


def action_step(name: str) -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return next(s["run"] for s in action["runs"]["steps"] if s.get("name") == name)


@pytest.fixture
def policydsl_on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose `policydsl` command runs this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "policydsl"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m policydsl "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}


def test_the_actions_check_step_runs_as_written(tmp_path, policydsl_on_path):
    sarif = tmp_path / "out.sarif"
    env = {**policydsl_on_path, "FILES": "policies/merchants/rejected/lowered_quality_period.policy policies/platform",
           "BASELINE": "", "DENY_WARNINGS": "true", "SARIF_FILE": str(sarif)}
    proc = subprocess.run(["bash", "-e", "-c", action_step("policydsl check")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("::error file=policies/merchants/rejected/lowered_quality_period.policy,line=10,"
                                  "col=1,endLine=10,endColumn=36,title=PD302::")
    doc = json.loads(sarif.read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["PD302"]
    env.update(FILES="policies/merchants/fruit_shop.policy")
    proc = subprocess.run(["bash", "-e", "-c", action_step("policydsl test")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert (proc.returncode, proc.stdout) == (0, "")
