"""Reads of contracts, published for other capabilities (delivery, payments, publication).

Other capabilities never query contract tables themselves: they ask here.
"""

from __future__ import annotations

from django.db.models import QuerySet

from fullvalue.errors import NotFound
from fullvalue.web.contracts.models import Contract, Kpi, Milestone, SupplyChainMember
from fullvalue.web.kernel.caching import cached


def contract_by_id(
    contract_id: int, *, for_update: bool = False, version: int | None = None
) -> Contract:
    """A contract with its commissioner and provider; "No such contract" when there is none.

    ``for_update`` locks the row for the caller's transaction (writes that must not race).
    ``version``: the request's audit write version; pages that only read pass it, and the
    contract is read from the cache kept under it (every change to a contract is audited).
    """
    if version is not None and not for_update:
        return cached("contract", [contract_id, version], lambda: contract_by_id(contract_id))
    qs = Contract.objects.select_for_update() if for_update else Contract.objects
    contract = qs.select_related("commissioner", "provider").filter(id=contract_id).first()
    if contract is None:
        raise NotFound("No such contract.")
    return contract


def contracts_listed() -> QuerySet[Contract]:
    """Every contract (they are public), with the organisations a list shows, newest first."""
    return Contract.objects.select_related("commissioner", "provider").order_by("-id")


def supply_chain(contract: Contract) -> list[SupplyChainMember]:
    """The contract's supply chain (prime first by share), with organisations."""
    return list(
        contract.supply_chain.select_related("organisation").order_by("-share_of_value", "id")
    )


def supply_chain_members(contract: Contract) -> list[SupplyChainMember]:
    """The contract's supply chain in the order members were added, with organisations."""
    return list(contract.supply_chain.select_related("organisation").order_by("id"))


def milestones_of(contract_ids: list[int]) -> QuerySet[Milestone]:
    """Milestones of these contracts."""
    return Milestone.objects.filter(contract_id__in=contract_ids)


def kpis_of(contract_ids: list[int]) -> QuerySet[Kpi]:
    """KPIs of these contracts with their observed values, in the order they were added."""
    kpis = Kpi.objects.filter(contract_id__in=contract_ids)
    return kpis.prefetch_related("observations").order_by("id")


def grants_listed() -> QuerySet[Contract]:
    """Every grant (contracts entered as grants), with both organisations and their ids."""
    return (
        Contract.objects.filter(kind="grant")
        .select_related("commissioner", "provider", "award__lot__tender__programme")
        .prefetch_related("commissioner__identifiers", "provider__identifiers")
        .order_by("id")
    )
