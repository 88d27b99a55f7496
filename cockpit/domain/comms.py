"""The seed's communication templates, filled from an incident."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from cockpit.domain.cadence import CHECK_IN_INTERVAL, next_check_in
from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.lifecycle import PHASE_STATUS, Phase
from cockpit.domain.metrics import compute_metrics, format_duration
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput


class Template(Enum):
    INITIAL = "initial"
    CUSTOMER = "customer"
    RESOLUTION = "resolution"

    @property
    def title(self) -> str:
        return {
            Template.INITIAL: "Initial notification (internal)",
            Template.CUSTOMER: "Customer-facing status",
            Template.RESOLUTION: "Resolution notification",
        }[self]

    @classmethod
    def parse(cls, value: str) -> Template:
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(t.value for t in Template)
            raise InvalidInput(f"'{value}' is not a template: use one of {names}.") from None


def sent_text(template: Template, text: str) -> str:
    """The timeline entry that records a message as sent (it restarts the check-in countdown)."""
    return f"Comms sent: {template.title}\n{text}"


def published_text(template: Template, text: str) -> str:
    """The timeline entry that records a message as published to the status page (it counts as sent too)."""
    return f"Published to the status page: {template.title}\n{text}"


@dataclass(frozen=True)
class RenderedComms:
    template: Template
    text: str
    draft_note: str | None = None  # set when the template does not fit the incident's state yet


def slugify(text: str, limit: int = 32) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[:limit]
        if slug[limit] != "-" and "-" in cut:  # the cut fell inside a word: drop that word
            cut = cut.rsplit("-", 1)[0]
        slug = cut.strip("-")
    return slug or "incident"


def channel_name(incident: IncidentSnapshot) -> str:
    """The seed's incident channel: ``#inc-YYYY-MM-DD-slug`` (UTC date of the declaration)."""
    return f"#inc-{incident.declared_at.astimezone(UTC):%Y-%m-%d}-{slugify(incident.title)}"


def impact_summary(incident: IncidentSnapshot) -> str:
    text = f"{incident.impact.label.capitalize()} for {incident.scope.label}"
    if incident.services:
        text += f" ({', '.join(incident.services)})"
    return text


_CUSTOMER_IMPACT = {
    Impact.CORE_DOWN: "errors or be unable to use the service",
    Impact.DEGRADED: "slower responses or intermittent errors",
    Impact.NON_CORE_DOWN: "some features being unavailable",
    Impact.COSMETIC: "minor display issues",
}
_CUSTOMER_WHO = {
    Scope.ONE_USER: "A small number of users",
    Scope.LT25: "Some users",
    Scope.GT25: "Many users",
    Scope.ALL: "All users",
}


def _minutes_text(delta: timedelta) -> str:
    return format_duration(delta)


def _in_sentence(title: str) -> str:
    """The title inside a sentence: "Checkout API down" -> "checkout API down" (acronyms kept)."""
    if len(title) > 1 and title[0].isupper() and not title[1].isupper():
        return title[0].lower() + title[1:]
    return title


def _utc_clock(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%H:%M} UTC"


def add_business_days(moment: datetime, days: int) -> datetime:
    current = moment
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def render(
    template: Template, incident: IncidentSnapshot, now: datetime, postmortem_link: str = ""
) -> RenderedComms:
    if template is Template.INITIAL:
        return RenderedComms(template, _initial(incident, now))
    if template is Template.CUSTOMER:
        return RenderedComms(template, _customer(incident))
    return _resolution(incident, now, postmortem_link)


def _initial(incident: IncidentSnapshot, now: datetime) -> str:
    check_in = next_check_in(incident.severity, incident.phase, incident.check_in_base, now)
    next_update = _utc_clock(check_in.due_at) if check_in else "none (resolved)"
    status = PHASE_STATUS[incident.phase]
    return "\n".join([
        f"🔴 INCIDENT: {incident.title}",
        f"Severity: {incident.severity}",
        f"Impact: {impact_summary(incident)}",
        f"Status: {status}",
        f"IC: {incident.commander or 'unassigned'}",
        f"Channel: {channel_name(incident)}",
        f"Next update: {next_update}",
    ])


def _customer(incident: IncidentSnapshot) -> str:
    service = ", ".join(incident.services) if incident.services else "Our service"
    who = _CUSTOMER_WHO[incident.scope]
    what = _CUSTOMER_IMPACT[incident.impact]
    within = _minutes_text(CHECK_IN_INTERVAL[incident.severity])
    if incident.phase is Phase.MITIGATE:
        headline = f"{service} - Monitoring a fix"
        body = (
            f"We have applied a fix for the issue causing {_in_sentence(incident.title)} and are "
            f"monitoring the results. {who} may still experience {what}. "
            f"We will provide an update within {within}."
        )
    elif not incident.phase.is_open:
        headline = f"{service} - Resolved"
        body = (
            f"The issue causing {_in_sentence(incident.title)} has been resolved. "
            "Thank you for your patience."
        )
    else:
        headline = f"{service} - Investigating {_in_sentence(incident.title)}"
        body = (
            f"We are currently investigating reports of {_in_sentence(incident.title)}. "
            f"{who} may experience {what}. Our team is actively working on a resolution. "
            f"We will provide an update within {within}."
        )
    return f"{headline}\n\n{body}"


def _resolution(incident: IncidentSnapshot, now: datetime, link: str) -> RenderedComms:
    metrics = compute_metrics(incident, now)
    resolved_at = incident.resolved_at or now
    due = add_business_days(resolved_at.astimezone(UTC), 5)
    root_cause = incident.root_cause.strip() or "Under investigation."
    text = "\n".join([
        f"✅ RESOLVED: {incident.title}",
        f"Duration: {format_duration(metrics.duration)}",
        f"Impact: {impact_summary(incident)}",
        f"Root cause: {root_cause}",
        f"Postmortem: {link or 'to follow'} (within 5 business days, by {due:%Y-%m-%d})",
    ])
    note = None
    if incident.phase.is_open:
        note = (
            f"{incident.ref} is still in {incident.phase.value}: this is a draft; "
            "the duration counts up to now."
        )
    return RenderedComms(Template.RESOLUTION, text, note)
