"""A browser's user agent as people read it: device type, operating system and browser, parsed
with ua-parser (the maintained port of Browserscope's rules)."""

import functools
import re
from typing import NamedTuple

from ua_parser import parse

# Automated clients by name: cheap enough for the collector, which sees every hit.
_AUTOMATED = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|headless|facebookexternalhit|preview|python-requests|curl/",
    re.IGNORECASE,
)
_TABLETS = re.compile(r"ipad|tablet|kindle|silk|playbook|nexus (7|9|10)", re.IGNORECASE)


class Device(NamedTuple):
    type: str  # desktop, mobile, tablet, or "" for an automated client
    os: str
    browser: str


def looks_automated(user_agent: str) -> bool:
    return not user_agent or bool(_AUTOMATED.search(user_agent))


@functools.lru_cache(maxsize=4096)  # a site's visitors share a few hundred user agents
def device_of(user_agent: str) -> Device:
    result = parse(user_agent)
    device = result.device.family if result.device else "Other"
    if looks_automated(user_agent) or device == "Spider":
        return Device("", "", "")
    os = " ".join(p for p in (result.os.family, result.os.major) if p) if result.os else ""
    browser = result.user_agent.family if result.user_agent else ""
    if _TABLETS.search(user_agent) or ("Android" in user_agent and "Mobile" not in user_agent):
        kind = "tablet"
    elif device != "Other" or "Mobi" in user_agent:
        kind = "mobile"
    else:
        kind = "desktop"
    return Device(kind, os if os != "Other" else "", browser if browser != "Other" else "")
