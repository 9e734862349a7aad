"""How much to seed: the command's options, checked before anything is written, and what follows from them."""

from __future__ import annotations

from dataclasses import dataclass

from app.passwords import MAX_LENGTH
from models.types import INT4_MAX

CLIENTS_PER_TENANT = 20
LISTINGS_PER_PROVIDER = 50
HEAVY_SELLER_LISTINGS = 200
THREADS_PER_BUYER = 5
MESSAGES_PER_THREAD = 20

DEFAULT_TENANTS = 1_000
DEFAULT_INVOICES = 1_000_000
DEFAULT_HEAVY_CLIENT_INVOICES = 10_000
DEFAULT_LISTINGS = 1_000_000
DEFAULT_MESSAGES = 10_000_000
DEFAULT_HEAVY_SELLER_THREADS = 5_000
DEFAULT_LONG_THREAD_MESSAGES = 5_000


class PlanError(ValueError):
    """Options that cannot make a consistent data set; the message is one line, for the command line."""


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class SeedPlan:
    tenants: int
    invoices: int
    heavy_client_invoices: int
    listings: int
    threads: int
    messages: int
    heavy_seller_threads: int
    long_thread_messages: int
    password: str

    @classmethod
    def build(
        cls,
        *,
        tenants: int = DEFAULT_TENANTS,
        invoices: int = DEFAULT_INVOICES,
        heavy_client_invoices: int | None = None,
        listings: int = DEFAULT_LISTINGS,
        threads: int | None = None,
        messages: int = DEFAULT_MESSAGES,
        heavy_seller_threads: int | None = None,
        long_thread_messages: int | None = None,
        password: str = "",
    ) -> SeedPlan:
        """Options left out follow from the others (threads from messages, the heavy users' shares capped by
        the totals); options given are checked as given."""
        for name, value in (
            ("tenants", tenants),
            ("invoices", invoices),
            ("listings", listings),
            ("messages", messages),
        ):
            _positive(name, value)
        if threads is None:
            threads = max(1, messages // MESSAGES_PER_THREAD)
        _positive("threads", threads)
        if heavy_client_invoices is None:
            heavy_client_invoices = min(DEFAULT_HEAVY_CLIENT_INVOICES, invoices)
        if heavy_seller_threads is None:
            heavy_seller_threads = min(DEFAULT_HEAVY_SELLER_THREADS, threads)
        if long_thread_messages is None:
            long_thread_messages = max(1, min(DEFAULT_LONG_THREAD_MESSAGES, messages - (threads - 1)))
        plan = cls(
            tenants=tenants,
            invoices=invoices,
            heavy_client_invoices=heavy_client_invoices,
            listings=listings,
            threads=threads,
            messages=messages,
            heavy_seller_threads=heavy_seller_threads,
            long_thread_messages=long_thread_messages,
            password=password,
        )
        plan._check()
        return plan

    def _check(self) -> None:
        _positive("heavy-client-invoices", self.heavy_client_invoices)
        _positive("heavy-seller-threads", self.heavy_seller_threads)
        _positive("long-thread-messages", self.long_thread_messages)
        if not self.password or len(self.password) > MAX_LENGTH:
            raise PlanError(f"--password must be 1 to {MAX_LENGTH} characters.")
        if self.heavy_client_invoices > self.invoices:
            raise PlanError(
                f"--heavy-client-invoices ({self.heavy_client_invoices:,}) cannot exceed --invoices ({self.invoices:,})."
            )
        if self.heavy_seller_threads > self.threads:
            raise PlanError(
                f"--heavy-seller-threads ({self.heavy_seller_threads:,}) cannot exceed --threads ({self.threads:,})."
            )
        least = self.long_thread_messages + self.threads - 1
        if self.messages < least:
            raise PlanError(
                f"--messages ({self.messages:,}) is too few: {self.threads:,} threads need at least one message each "
                f"and the long thread {self.long_thread_messages:,}, so at least {least:,}."
            )
        if self.other_threads and not self.other_listings:
            raise PlanError(
                f"--listings ({self.listings:,}) leaves no listing of another provider for the "
                f"{self.other_threads:,} threads beyond the heavy seller's: use more than {self.heavy_seller_listings:,}."
            )
        if self.heavy_seller_threads > self.heavy_seller_listings * self.buyers:
            raise PlanError("--heavy-seller-threads is more than one thread per listing and buyer allows.")
        for name, value in (
            ("tenants", self.tenants),
            ("invoices", self.invoices),
            ("line items", self.invoices * 4),
            ("listings", self.listings),
            ("threads", self.threads),
            ("messages", self.messages),
            ("parties", self.parties),
            ("marketplace users", self.marketplace_users),
        ):
            if value > INT4_MAX:
                raise PlanError(f"Too many {name} ({value:,}): ids are INTEGER, at most {INT4_MAX:,}.")

    # What follows from the options.
    @property
    def parties(self) -> int:
        return self.tenants * CLIENTS_PER_TENANT

    @property
    def heavy_seller_listings(self) -> int:
        return min(HEAVY_SELLER_LISTINGS, self.listings)

    @property
    def other_listings(self) -> int:
        return self.listings - self.heavy_seller_listings

    @property
    def other_providers(self) -> int:
        return _ceil_div(self.other_listings, LISTINGS_PER_PROVIDER)

    @property
    def other_threads(self) -> int:
        return self.threads - self.heavy_seller_threads

    @property
    def buyers(self) -> int:
        """Enough that no (listing, buyer) pair repeats: the threads beyond the heavy seller's go round the other
        listings, a new buyer each round."""
        needed = [
            _ceil_div(self.threads, THREADS_PER_BUYER),
            _ceil_div(self.heavy_seller_threads, self.heavy_seller_listings),
        ]
        if self.other_listings:
            needed.append(_ceil_div(self.other_threads, self.other_listings))
        return max(needed)

    @property
    def marketplace_users(self) -> int:
        return 2 + self.other_providers + self.buyers  # the heavy seller and the heavy buyer, then the rest

    def option_summary(self) -> str:
        return (
            f"--tenants {self.tenants} --invoices {self.invoices} --heavy-client-invoices {self.heavy_client_invoices} "
            f"--listings {self.listings} --threads {self.threads} --messages {self.messages} "
            f"--heavy-seller-threads {self.heavy_seller_threads} --long-thread-messages {self.long_thread_messages}"
        )


def _positive(name: str, value: int) -> None:
    if value < 1:
        raise PlanError(f"--{name} must be at least 1 (got {value:,}).")
