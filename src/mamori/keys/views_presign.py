"""The pre-sign pages (ISM 29-1-4): the withdrawals waiting to be signed, every answer given
to a co-signer, and one answer with its reasons, what was expected and what was got."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from mamori.accounts.views.access import permission_required
from mamori.core.tables import downloaded, listing
from mamori.keys import intents, presign_reasons
from mamori.keys.api_presign import entry_of
from mamori.keys.forms_signing import SigningPolicyForm
from mamori.keys.leak import flag_runbook_revision
from mamori.keys.lists_presign import AnswerTable, IntentTable
from mamori.keys.models import PresignAnswer, SigningPolicy, Wallet, WithdrawalIntent


@permission_required("keys.view")
def presign_view(request: HttpRequest) -> HttpResponse:
    """List the intents and the answers, each with its filters and downloads."""
    intents.catch_up()
    waiting = listing(request, WithdrawalIntent.objects.all(), IntentTable, prefix="i-")
    if download := downloaded(waiting):
        return download
    answers = listing(request, PresignAnswer.objects.all(), AnswerTable, prefix="a-")
    if download := downloaded(answers):
        return download
    policies = SigningPolicy.objects.select_related("wallet").order_by("wallet__name")
    return render(
        request,
        "keys/presign.html",
        {"intents": waiting, "answers": answers, "policies": policies},
    )


@permission_required("keys.view")
def presign_answer_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One answer: the transfers read, every reason, the intents paid, its audit entry."""
    answer = get_object_or_404(PresignAnswer, pk=pk)
    paid = WithdrawalIntent.objects.filter(event_id__in=answer.intents)
    return render(
        request,
        "keys/presign_answer.html",
        {
            "answer": answer,
            "reasons": presign_reasons.shown(answer.reasons),
            "paid": paid,
            "entry": entry_of(answer),
        },
    )


@permission_required("keys.manage")
def signing_policy_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a wallet's signing policy: what its co-signers' transactions are read against
    (ISM 29-1-4); a change flags the leak-response runbook for revision (ISM 30-2)."""
    wallet = get_object_or_404(Wallet, pk=pk)
    policy = SigningPolicy.objects.filter(wallet=wallet).first() or SigningPolicy(wallet=wallet)
    form = SigningPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            flag_runbook_revision("signing policy changed", wallet.name)
        messages.success(request, _("Saved."))
        return redirect("keys:wallet", pk=wallet.pk)
    title = _("Signing policy of %(wallet)s") % {"wallet": wallet.name}
    context = {"form": form, "title": title, "record": policy if policy.pk else None}
    return render(request, "keys/edit_form.html", context)
