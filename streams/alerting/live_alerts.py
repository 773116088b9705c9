"""Incident alerts from the live view: emergencies about to breach or breached while
unattended page at once; other breaches, downgrades after a breach and category
commitments missed raise tickets. These read the wall clock (SPEC section 6), so a
quiet night with no events still breaches, and a replay of history raises nothing."""

from streams.alerting.counts import CATEGORY_TARGET_MISSED, DOWNGRADED_AFTER_BREACH
from streams.alerting.rules import Alert
from streams.core.families.incidents import ABOUT_TO_BREACH, BREACHED_UNATTENDED
from streams.core.targets import Response, Targets

GRADE = "policy, grade, response"
LABELS = {"kind": "incident", "family": "incidents"}


def _other_responses(targets: Targets) -> list[str]:
    """Responses with an attendance target, emergencies apart, in any policy of the file."""
    found = {
        g.response
        for p in targets.incident_grading
        for g in p.grades
        if g.attend_within_minutes is not None and g.response is not Response.EMERGENCY
    }
    return [r.value for r in Response if r in found]


def live_incident_alerts(targets: Targets) -> list[Alert]:
    others = "|".join(_other_responses(targets))
    categories = sorted(
        {c.category.value for p in targets.incident_grading for c in p.category_targets}
    )
    alerts = [
        Alert(
            "EmergencyIncidentAboutToBreach",
            f'sum by ({GRADE}) ({ABOUT_TO_BREACH.name}{{response="emergency"}}) > 0',
            # Short: at 80 % of a 15-minute target three minutes are left to dispatch.
            "30s",
            "page",
            "{{ $value }} grade {{ $labels.grade }} emergency incident(s) unattended with 80 % "
            "of the attendance target gone ({{ $labels.policy }} grading)",
            "An emergency incident is awaiting attendance and at least 80 % of its target "
            "time has passed since it was created (12 minutes of a 15-minute target): a "
            "resource must arrive within minutes or it breaches.",
            LABELS,
        ),
        Alert(
            "EmergencyIncidentBreachedUnattended",
            f'sum by ({GRADE}) ({BREACHED_UNATTENDED.name}{{response="emergency"}}) > 0',
            "0s",
            "page",
            "{{ $value }} grade {{ $labels.grade }} emergency incident(s) past the attendance "
            "target and still unattended ({{ $labels.policy }} grading)",
            "An emergency incident's deadline has passed with no resource at scene. It is "
            "already a miss; attend it now. Raised at once, with no waiting period.",
            LABELS,
        ),
    ]
    if others:
        alerts.append(
            Alert(
                "IncidentBreachedUnattended",
                f'sum by ({GRADE}) ({BREACHED_UNATTENDED.name}{{response=~"{others}"}}) > 0',
                "5m",
                "ticket",
                "{{ $value }} grade {{ $labels.grade }} {{ $labels.response }} incident(s) past "
                "the attendance target and still unattended",
                "A non-emergency incident with an attendance target has passed its deadline "
                "with no resource at scene.",
                LABELS,
            )
        )
    alerts.append(
        Alert(
            "IncidentDowngradedAfterBreach",
            f'sum by ({GRADE}) ({DOWNGRADED_AFTER_BREACH}{{window="1h"}}) > 0',
            "1m",
            "ticket",
            "{{ $value }} incident(s) downgraded to grade {{ $labels.grade }} after their "
            "deadline had passed, in the last hour",
            "An unattended incident was downgraded after it had already missed its target. "
            "The force's policy forbids downgrading for lack of resources; the panel asks "
            "about every one.",
            LABELS,
        )
    )
    if categories:
        alerts.append(
            Alert(
                "IncidentCategoryTargetMissed",
                f"sum by (policy, category) ({CATEGORY_TARGET_MISSED}"
                f'{{window="1h",category=~"{"|".join(categories)}"}}) > 0',
                "1m",
                "ticket",
                "{{ $value }} {{ $labels.category }} incident(s) created in the last hour not "
                "attended within the category's own target",
                "A category with its own commitment (residential burglary: attend within one "
                "hour, whatever the grade) missed it.",
                LABELS,
            )
        )
    return alerts
