"""Every link target has the same small shape, and the ASL has a branch for each."""

import json

import pytest

from repolink.targets.base import LinkTarget
from repolink.targets.codeartifact import CodeArtifactTarget
from repolink.targets.gitsync import GitSyncTarget
from repolink.targets.proton import ProtonTarget
from repolink_local import asl_lint
from repolink_local.template import TEMPLATE

pytestmark = pytest.mark.unit
ASL = (TEMPLATE.parent / "statemachines" / "onboarding.asl.json").read_text()


@pytest.mark.parametrize("target", [GitSyncTarget(), ProtonTarget(), CodeArtifactTarget()])
def test_targets_share_the_seam(target: object) -> None:
    assert isinstance(target, LinkTarget)
    assert target.section in ("gitSync", "proton", "codeartifact")  # type: ignore[attr-defined]
    assert f'"$.request.{target.section}"' in ASL  # type: ignore[attr-defined]  # its branch asks for it


def test_git_sync_and_proton_wait_for_the_connection_codeartifact_does_not() -> None:
    assert GitSyncTarget.needs_connection and ProtonTarget.needs_connection
    assert not CodeArtifactTarget.needs_connection
    branches = json.loads(ASL)["States"]["Connect and provision in parallel"]["Branches"]
    assert "Link the Git sync repositories" in branches[0]["States"]  # after the handshake
    assert "Link the Proton repositories" in branches[0]["States"]
    assert "Provision CodeArtifact" in branches[1]["States"]  # beside it


def test_the_deployed_asl_passes_statelint(capsys: pytest.CaptureFixture[str]) -> None:
    assert asl_lint.main() == 0
    assert "no problems" in capsys.readouterr().out
