"""The gauges of a row's counts that the rules read and that have no constant of their
own: each read off its row's declaration (`streams.core.families`), so no rule types a
metric name."""

from streams.core.calls import CallbackAttemptCount, CallbackCount
from streams.core.families import CALLBACK_ATTEMPT_ROW, CALLBACK_ROW, INCIDENT_ROW
from streams.core.incidents import IncidentCount

CALLBACKS_OWED = CALLBACK_ROW.metric(CallbackCount.OWED)
CALLBACK_ATTEMPTS = CALLBACK_ATTEMPT_ROW.metric(CallbackAttemptCount.ATTEMPTS)
DOWNGRADED_AFTER_BREACH = INCIDENT_ROW.metric(IncidentCount.DOWNGRADED_AFTER_BREACH)
CATEGORY_TARGET_MISSED = INCIDENT_ROW.metric(IncidentCount.CATEGORY_MISSED)
