"""`teamup-etl probe`: a few read-only requests that check what the pipeline assumes of TeamUp."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import dlt
from dlt.common.configuration import known_sections
from dlt.common.configuration.inject import with_config

from sources.teamup import parse_provider_ids
from sources.teamup.api.client import ReportClient
from sources.teamup.settings import DEFAULT_BASE_URL

from .checks import (
    BROKEN,
    CHECKS,
    HOLDS,
    UNKNOWN,
    ProbeApi,
    provider_served,
    token_accepted,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """One assumption: whether it holds, what was seen, and what the pipeline does about it."""

    name: str
    verdict: str
    seen: str
    meaning: str
    critical: bool  # exactness depends on it: a probe that finds it broken exits non-zero

    def line(self) -> str:
        return f"{self.verdict:<13} {self.name}: {self.seen}. {self.meaning}"


@dataclass
class ProbeReport:
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    providers: tuple[int | None, ...] = (None,)  # the first probed whole, the others' header

    @property
    def ok(self) -> bool:
        return not any(f.critical and f.verdict == BROKEN for f in self.findings)

    @property
    def broken(self) -> list[Finding]:
        return [f for f in self.findings if f.critical and f.verdict == BROKEN]

    def text(self) -> str:
        first, *others = self.providers
        whose = f"provider {first}" if first is not None else "the token's"
        if others:
            whose += f"; the header alone of provider {', '.join(map(str, others))}"
        lines = [f.line() for f in self.findings]
        lines.append(
            f"{len(self.findings)} assumptions checked with {self.requests} read-only "
            f"requests ({whose}); the token is never shown"
        )
        return "\n".join(lines)


@with_config(sections=(known_sections.SOURCES, "teamup", "teamup"))
def probe(
    api_token: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    auth_scheme: str = "Token",
    provider_id: str | None = None,
) -> ProbeReport:
    """Check each assumption against the configured account's first provider; of a
    franchise's others, that TeamUp serves each (the rest is TeamUp's, the same for all). A
    failure of one request makes its assumption `cannot tell`."""
    first, *others = parse_provider_ids(provider_id)
    clients = [ReportClient(base_url, api_token, auth_scheme, pid) for pid in [first, *others]]
    api, report = ProbeApi(clients[0]), ProbeReport(providers=(first, *others))
    auth = _check(
        report,
        "the token and auth scheme",
        True,
        lambda: token_accepted(api, auth_scheme),
        refused="every load fails (exit 3): check the token and scheme"
        + ("" if first is None else f", and that the token serves provider {first}"),
    )
    if auth.verdict == HOLDS:
        for name, critical, check in CHECKS:
            _check(report, name, critical, partial(check, api, first))
        for pid, client in zip(others, clients[1:], strict=True):
            _check(
                report,
                f"the provider header (provider {pid})",
                True,
                partial(provider_served, ProbeApi(client), pid),
                refused=f"provider {pid}'s loads fail (exit 3): the token cannot reach it",
            )
    report.requests = sum(client.requests_made for client in clients)
    return report


def _check(
    report: ProbeReport,
    name: str,
    critical: bool,
    run: Callable[[], tuple[str, str, str]],
    refused: str | None = None,
) -> Finding:
    """Run one check; `refused`: what a 401 or 403 means, found broken (else cannot tell)."""
    try:
        verdict, seen, meaning = run()
    except Exception as error:  # one request failing leaves that one assumption open
        logger.debug("probe of %s failed", name, exc_info=True)
        status = getattr(getattr(error, "response", None), "status_code", None)
        seen = f"the request failed ({status or type(error).__name__})"
        verdict, meaning = UNKNOWN, "run the probe again; a load would fail the same way"
        if refused is not None and status in (401, 403):
            verdict, meaning = BROKEN, refused
    finding = Finding(name, verdict, seen, meaning, critical)
    report.findings.append(finding)
    return finding
