"""The period and unit of the statistics page, and a report request."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.models import ReportJob
from reports.selectors import Period
from stq02.models import Unit


class PeriodForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All my units"),
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start or end:
            if not (start and end):
                raise forms.ValidationError(_("Give both dates of the range, or a year."))
            if start > end:
                raise forms.ValidationError(_("The range starts after it ends."))
            data["period"] = Period(start, end)
        else:
            data["period"] = Period.year(data.get("year") or timezone.localdate().year)
        return data


class ReportRequestForm(PeriodForm):
    kind = forms.ChoiceField(label=_("Report"), choices=ReportJob.Kind.choices)
    format = forms.ChoiceField(label=_("Format"), choices=ReportJob.Format.choices)
    field_order = ["kind", "format", "year", "date_from", "date_to", "unit"]


def period_parameters(period: Period) -> dict:
    return {"date_from": period.start.isoformat(), "date_to": period.end.isoformat()}


def period_from_parameters(parameters: dict) -> Period:
    if parameters.get("date_from") and parameters.get("date_to"):
        return Period(
            dt.date.fromisoformat(parameters["date_from"]),
            dt.date.fromisoformat(parameters["date_to"]),
        )
    return Period.year(int(parameters.get("year") or timezone.localdate().year))
