"""The kinds of tracker the cockpit syncs with and what each asks of its settings (no I/O, cheap to import:
the CLI builds its ``--kind`` choices from it). Each adapter's kind adds one ``KindRule`` here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class KindRule:
    """What a tracker kind asks of its settings: the secret it takes, its default address, whether it names a
    project (and how one looks), and the extra options (``--option KEY=VALUE``) it understands."""

    secret: str = "token"
    default_url: str = ""  # empty: --url is required
    url_example: str = "https://tracker.example.com/"
    project: str = ""  # what --project means for this kind; empty: the kind takes no project
    project_pattern: str = r".+"
    project_example: str = ""
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # name -> what it means
    required: tuple[str, ...] = ()
    option_values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # name -> allowed (regex)


KIND_RULES: dict[str, KindRule] = {
    "roundup": KindRule(secret="user:password", url_example="https://tracker.example.com/incidents/"),
    "github": KindRule(default_url="https://api.github.com", url_example="https://HOST/api/v1",
                       project="OWNER/REPO (the repository whose issues hold incidents)",
                       project_pattern=r"[\w.-]+/[\w.-]+", project_example="acme/incidents"),
    "jira": KindRule(secret="email:api-token (Jira Cloud) or personal access token (Data Center)",
                     url_example="https://SITE.atlassian.net", project="KEY (the Jira project holding incidents)",
                     project_pattern=r"[A-Z][A-Z0-9_]{0,49}", project_example="OPS",
                     options=MappingProxyType({
                         "api": "3 (Jira Cloud) or 2 (Data Center); default: 3 on *.atlassian.net, else 2",
                         "issue_type": "the issue type of an incident (default Incident)",
                         "severity": "labels (SEV2, the default), priority, or a custom field id (customfield_NNNNN)",
                         "phase": "labels (phase:respond, the default) or a custom field id"}),
                     option_values=MappingProxyType({
                         "api": "[23]", "severity": r"labels|priority|customfield_\d{1,12}",
                         "phase": r"labels|customfield_\d{1,12}", "issue_type": r".*\S.*"})),
    "gitlab": KindRule(secret="token (a personal, project or group access token with the api scope)",
                       default_url="https://gitlab.com/api/v4", url_example="https://HOST/api/v4",
                       project="GROUP/NAME (the project whose issues hold incidents)",
                       project_pattern=r"[\w.-]+(/[\w.-]+)+", project_example="acme/ops",
                       options=MappingProxyType({
                           "issue_type": "issue (the default) or incident (GitLab's incident type)",
                           "auth": "private-token (the PRIVATE-TOKEN header, the default) or bearer"}),
                       option_values=MappingProxyType({"issue_type": "issue|incident",
                                                       "auth": "private-token|bearer"})),
    "redmine": KindRule(secret="API key (My account → API access key)", url_example="https://redmine.example.com/",
                        project="IDENTIFIER (the project whose issues hold incidents)",
                        project_pattern=r"[a-z0-9_-]{1,100}", project_example="incidents",
                        options=MappingProxyType({
                            "tracker": "the Redmine tracker (name or id) of incident issues; default: the project's "
                                       "first",
                            "severity_field": "the issue custom field (name or id) holding SEV1..SEV4; default: kept "
                                              "in the issue's hidden block",
                            "phase_field": "the issue custom field (name or id) holding the phase; default: kept in "
                                           "the issue's hidden block"})),
}
KINDS = tuple(KIND_RULES)
