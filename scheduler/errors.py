"""Errors of the scheduler package."""

from ecomstat.errors import BadInput, EcomstatError


class SchedulerError(EcomstatError):
    """The scheduler cannot do what was asked (e.g. the store is unreachable)."""


class InvalidCampaign(BadInput):
    """A campaign definition is invalid (cron expression, step name, selection)."""


class UnknownCampaign(BadInput):
    """No campaign has that name."""


class CampaignBusy(SchedulerError):
    """The campaign is already running (here or in another scheduler process)."""
