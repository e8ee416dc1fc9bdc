from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from risk.features import INDICATORS
from risk.models import Criterion, EnterpriseScore, ScoringRun
from stq02.models import Province
from stq02.scoping import visible_units


class RiskListFilter(forms.Form):
    run = forms.ModelChoiceField(
        label=_("Scoring run"),
        queryset=ScoringRun.objects.filter(status=ScoringRun.Status.DONE),
        required=False,
        empty_label=_("latest"),
    )
    klass = forms.ChoiceField(
        label=_("Class"), choices=[("", "—"), *EnterpriseScore.Klass.choices], required=False
    )
    risk_level = forms.IntegerField(label=_("Risk level"), min_value=1, max_value=9, required=False)
    criterion = forms.ChoiceField(label=_("Criterion fired"), required=False)
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=Province.objects.all(), required=False
    )
    hs_chapter = forms.RegexField(
        label=_("HS chapter"), regex=r"^\d{2}$", required=False, max_length=2
    )
    random = forms.BooleanField(label=_("Random selections only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = Criterion.objects.order_by("code").values_list("code", flat=True).distinct()
        self.fields["criterion"].choices = [("", "—")] + [(code, code) for code in codes]


class CriterionForm(forms.ModelForm):
    indicator = forms.ChoiceField(label=_("Indicator"))
    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Criterion
        fields = [
            "code",
            "name",
            "description",
            "indicator",
            "operator",
            "threshold",
            "weight",
            "unit",
            "effective_from",
            "legal_basis",
            "is_active",
        ]

    def __init__(self, *args, user, revising=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [
            (key, f"{key} – {label}") for key, (label, _unit) in INDICATORS.items()
        ]
        self.fields["unit"].queryset = visible_units(user)
        self.fields["effective_from"].initial = timezone.localdate()
        if revising:
            self.fields["code"].disabled = True
            self.fields["effective_from"].help_text = _(
                "The current version ends the day before; past scores keep citing it."
            )

    def validate_unique(self):
        # A revision shares its code with earlier versions; services check the rules.
        pass


class RunStartForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}))
    restart = forms.BooleanField(
        label=_("Compute again if the run of this date is finished"), required=False
    )
