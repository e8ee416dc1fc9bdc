"""The guided forms of the audit pages: one form per step, built from the step's
``fields`` in the transition table, and the forms to open, propose, scope, record
findings and attach files."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audits.models import Attachment, AuditCase, Finding
from stq02.models import Role, Unit, User


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date(label, *, required=True, help_text=""):
    return forms.DateField(label=label, required=required, widget=DateInput(), help_text=help_text)


def team_candidates(case: AuditCase):
    """Officers and heads of the case's unit, or of its branch for an audit team."""
    root = (
        case.unit.parent if case.unit.kind == Unit.Kind.TEAM and case.unit.parent_id else case.unit
    )
    return User.objects.filter(
        is_active=True,
        unit__path__startswith=root.path,
        role__in=[Role.OFFICER, Role.UNIT_HEAD],
    ).order_by("last_name", "first_name")


def step_field(name: str, case: AuditCase):
    """The form field of one datum a step records."""
    today = timezone.localdate()
    dates = {
        "signed_on": _("Decision signed on"),
        "start_on": _("Scheduled start of the audit"),
        "sent_on": _("Decision sent on"),
        "started_on": _("Audit started on (announcement)"),
        "answered_on": _("Declarant answered on"),
        "ended_on": _("Audit ended on"),
        "minutes_on": _("Minutes signed on"),
        "draft_on": _("Draft conclusion sent on"),
        "explanation_on": _("Explanation received on"),
        "expert_requested_on": _("Expert opinion requested on"),
        "expert_received_on": _("Expert opinion received on"),
        "concluded_on": _("Signed on"),
        "closed_on": _("Closed on"),
    }
    if name in dates:
        field = _date(dates[name], required=name not in {"minutes_on"})
        if name != "start_on":
            field.initial = today
        return field
    if name == "note":
        return forms.CharField(
            label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
    if name == "estimated_officer_days":
        return forms.IntegerField(
            label=_("Estimated officer-days"), min_value=1, initial=case.estimated_officer_days
        )
    if name == "planned_year":
        return forms.IntegerField(
            label=_("Plan year"), min_value=2000, max_value=2100, initial=today.year
        )
    if name == "second_audit_reason":
        return forms.CharField(
            label=_("Reason for a second planned audit this year"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("Needed when the enterprise already has a planned audit this year."),
        )
    if name == "unit":
        return forms.ModelChoiceField(
            label=_("Unit that will audit"),
            queryset=Unit.objects.filter(is_active=True).exclude(kind=Unit.Kind.CENTRAL),
        )
    if name == "lead":
        return forms.ModelChoiceField(
            label=_("Team lead"), queryset=team_candidates(case), initial=case.lead_id
        )
    if name == "members":
        return forms.ModelMultipleChoiceField(
            label=_("Team members"),
            queryset=team_candidates(case),
            required=False,
            initial=list(case.members.values_list("pk", flat=True)) if case.pk else [],
            widget=forms.CheckboxSelectMultiple,
        )
    if name == "extension_days":
        return forms.IntegerField(
            label=_("Extension (working days)"), min_value=1, max_value=10, initial=10
        )
    if name == "no_violation":
        return forms.BooleanField(
            label=_("No violation was found"),
            required=False,
            help_text=_("Tick when no finding is recorded."),
        )
    raise KeyError(name)


class StepForm(forms.Form):
    def __init__(self, *args, case: AuditCase, transition, **kwargs):
        super().__init__(*args, **kwargs)
        for name in transition.fields:
            self.fields[name] = step_field(name, case)


class CaseForm(forms.Form):
    """Open a case in information collection (proposals from the risk list use
    ProposeForm)."""

    tax_code = forms.CharField(label=_("Enterprise tax code"), max_length=14)
    kind = forms.ChoiceField(label=_("Kind of audit"), choices=AuditCase.Kind.choices)
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=AuditCase.LegalBasis.choices)
    content = forms.ChoiceField(label=_("Content"), choices=AuditCase.Content.choices)
    period_from = _date(_("Audited period from"))
    period_to = _date(_("Audited period to"))
    estimated_officer_days = forms.IntegerField(
        label=_("Estimated officer-days"), min_value=0, initial=10
    )
    summary = forms.CharField(
        label=_("Grounds and information collected"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["period_from"].initial = dt.date(today.year - 1, 1, 1)
        self.fields["period_to"].initial = dt.date(today.year - 1, 12, 31)


class ProposeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of audit"), choices=AuditCase.Kind.choices)
    content = forms.ChoiceField(label=_("Content"), choices=AuditCase.Content.choices)
    period_from = _date(_("Audited period from"))
    period_to = _date(_("Audited period to"))
    estimated_officer_days = forms.IntegerField(
        label=_("Estimated officer-days"), min_value=1, initial=10
    )
    note = forms.CharField(
        label=_("Grounds of the proposal"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["period_from"].initial = dt.date(today.year - 1, 1, 1)
        self.fields["period_to"].initial = dt.date(today.year - 1, 12, 31)


class ScopeForm(forms.Form):
    numbers = forms.CharField(
        label=_("Declaration numbers"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One or more 12-digit numbers, separated by spaces, commas or new lines."),
    )

    def clean_numbers(self):
        raw = self.cleaned_data["numbers"].replace(",", " ").split()
        bad = [number for number in raw if not (number.isdigit() and len(number) == 12)]
        if bad:
            raise forms.ValidationError(
                _("Not a 12-digit declaration number: %(numbers)s"),
                params={"numbers": ", ".join(bad[:5])},
            )
        return raw


class FindingForm(forms.ModelForm):
    declaration_number = forms.ChoiceField(label=_("Declaration"))
    line_no = forms.IntegerField(label=_("Goods line (optional)"), required=False, min_value=1)

    class Meta:
        model = Finding
        fields = [
            "issue",
            "description",
            "import_duty",
            "vat",
            "special_consumption_tax",
            "environmental_tax",
            "fine",
            "assessed_on",
        ]
        widgets = {"assessed_on": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, case: AuditCase, **kwargs):
        super().__init__(*args, **kwargs)
        numbers = case.declarations.order_by("number").values_list("number", flat=True)
        self.fields["declaration_number"].choices = [(n, n) for n in numbers]
        self.order_fields(["declaration_number", "line_no"])


class CollectionForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = [
            "collected",
            "collected_on",
            "appealed",
            "appealed_on",
            "written_off",
            "written_off_on",
        ]
        widgets = {
            "collected_on": DateInput(),
            "appealed_on": DateInput(),
            "written_off_on": DateInput(),
        }


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Attachment.Kind.choices)
    document = forms.ModelChoiceField(
        label=_("Signed copy of"), required=False, queryset=None, empty_label="–"
    )
    file = forms.FileField(label=_("File"), help_text=_("PDF, JPEG, PNG, DOCX or XLSX."))
    description = forms.CharField(label=_("Description"), required=False, max_length=300)

    def __init__(self, *args, case: AuditCase, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = case.documents.all()
