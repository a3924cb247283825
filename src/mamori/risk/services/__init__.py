"""Services of risk management: where a transaction opens and the risk engine decides."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mamori.core.errors import Refused

__all__ = ["RiskRefused"]

#: A headline per refusal, in the reader's language; the message keeps the exact details.
HEADLINES = {
    "bad_rating": _("The rating is outside the criteria's scales"),
    "bad_scenario": _("The risk cannot be analysed like this"),
    "duplicate": _("The code is already used in this assessment"),
    "bad_stage": _("Unknown stage"),
    "no_reason": _("A reason is needed"),
    "bad_option": _("Unknown treatment option"),
    "forbidden": _("Your roles do not allow this"),
    "not_owner": _("Only the person concerned may do this"),
    "no_recommendation": _("The security team has not recommended a treatment yet"),
    "treatment_refused": _("This treatment does not bring the risk within the acceptance level"),
    "no_controls": _("Name the controls of the treatment (ISM 18-1)"),
    "no_rationale": _("Write down why these controls were chosen (ISM 18-2)"),
    "bad_budget": _("The budget is whole yen, not negative"),
    "budget_too_large": _("The budget has more digits than a budget holds (15)"),
    "bad_action": _("An action says what will be done"),
    "empty_plan": _("The assessment has no risk yet"),
    "undecided": _("Some risks have no decided treatment"),
    "plan_waiting": _("A plan version is still waiting for its decision"),
    "plan_unchanged": _("Nothing changed since the approved version"),
    "plan_not_approved": _("The plan is not approved"),
    "plan_superseded": _("Sign the newest approved plan version"),
    "self_explained": _("The residual risks are explained by someone else"),
    "plan_out_of_date": _("The risks changed after the plan was approved"),
    "bad_matrix": _("The criteria are inconsistent"),
    "matrix_in_use": _("These criteria are used by an assessment"),
    "bad_assessment": _("The assessment is not valid"),
    "completed": _("The assessment is completed"),
    "bad_signal": _("The signal is not valid"),
    "import_refused": _("The workbook was refused; nothing was imported"),
    "bad_asset": _("The asset is not valid"),
    "asset_exists": _("The asset code is already in the inventory"),
    "code_mismatch": _("The code in the body differs from the code in the address"),
    "no_assessment": _("There is no risk assessment yet"),
    "unknown_user": _("There is no such active person"),
    "unknown_threat": _("Unknown threat"),
    "unknown_asset": _("Unknown asset"),
    "unknown_vulnerability": _("Unknown vulnerability"),
    "unknown_incident": _("Unknown incident"),
    "unknown_control": _("Unknown control"),
}


class RiskRefused(Refused):
    """A change is refused; ``code`` is stable for machines, the message says why."""

    def shown(self) -> str:
        """Return the refusal for a person: in Japanese a headline in Japanese before the
        exact details; in English the details."""
        headline = HEADLINES.get(self.code)
        if headline is None or (get_language() or "ja").startswith("en"):
            return self.message
        return f"{headline}（{self.message}）"
