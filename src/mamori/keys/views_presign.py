"""The pre-sign pages (ISM 29-1-4): the withdrawals waiting to be signed, every answer given
to a co-signer, and one answer with its reasons, what was expected and what was got."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from mamori.accounts.views.access import permission_required
from mamori.core.tables import downloaded, listing
from mamori.keys import intents, presign_reasons
from mamori.keys.api_presign import entry_of
from mamori.keys.lists_presign import AnswerTable, IntentTable
from mamori.keys.models import PresignAnswer, SigningPolicy, WithdrawalIntent


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
