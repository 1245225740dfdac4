"""Deterministic sample data: about three years of a fitness studio, from a seed."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pendulum

from .clock import to_millis
from .model import (
    EUR,
    GBP,
    USD,
    ZERO,
    Customer,
    Invoice,
    Item,
    Provider,
    credit_note,
    payout_date,
)
from .store import Store

HISTORY_DAYS = 3 * 365
CENT = Decimal("0.01")

PROVIDERS = (
    Provider(1, "Harbour Street Fitness", GBP, "Europe/London", ((11, "Harbour Street"),)),
    Provider(2, "Canal Yoga Collective", EUR, "Europe/Amsterdam", ((21, "Prinsengracht"),)),
    Provider(3, "Mission Strength Club", USD, "America/Los_Angeles", ((31, "Valencia St"),)),
)

# Names and emails that break naive code: unicode, apostrophes, commas, quotes, no email.
AWKWARD_CUSTOMERS = (
    ("Zoë Faure", "zoe.faure@example.com"),
    ("José Ñúñez", "jose.nunez@example.es"),
    ("李雷", "li.lei@example.cn"),
    ("Siobhán O'Brien", "siobhan.o'brien@example.ie"),
    ("Smith, John", "john.smith+gym@example.com"),
    ('Robert "Bobby" Tables', "bobby@example.com"),
    ("Ana-María Müller-Lüdenscheidt", None),
    ("Björk Guðmundsdóttir", "bjork@example.is"),
)
FIRST_NAMES = [
    "Alice",
    "Ben",
    "Chloe",
    "Dan",
    "Emma",
    "Finn",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Kate",
    "Leo",
    "Mia",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Ruby",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Yara",
    "Zain",
    "Amara",
    "Bruno",
    "Chen",
    "Dara",
    "Elif",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Patel",
    "Khan",
    "Brown",
    "Garcia",
    "Müller",
    "Rossi",
    "Novak",
    "Kim",
    "Nguyen",
    "Silva",
    "Walsh",
    "Byrne",
    "Okafor",
    "Larsen",
    "Dubois",
    "Costa",
    "Ivanova",
    "Tanaka",
]

# (name, purchase type, price, relative weight among one-off purchases)
CATALOGUE = (
    ("Unlimited Monthly", "membership", "89.00", 0),
    ("8 Classes / Month", "membership", "65.00", 0),
    ("Off-Peak Monthly", "membership", "45.00", 0),
    ("Student Unlimited", "membership", "59.50", 0),
    ("Drop-in Class", "class", "15.00", 30),
    ("10 Class Pack", "class", "120.00", 12),
    ("Beginners' Yoga Course", "course", "150.00", 6),
    ("Course Session", "course_session", "25.00", 10),
    ("Water Bottle", "store", "12.50", 8),
    ("T-shirt", "store", "24.99", 6),
    ("Protein Bar", "store", "2.75", 10),
)
DISCOUNT_CODES = (("Summer Sale", "SUMMER10", 10), ("Friends & Family", "FAMILY15", 15))
MEMBERSHIP_SHARE = 0.62
REFUND_SHARE = 0.02


def build_store(
    store: Store,
    *,
    seed: int,
    invoices: int,
    providers: int = 1,
    today: date | None = None,
    customers: int | None = None,
) -> Store:
    """Fill `store` with `providers` studios sharing `invoices` invoices, ending at `today`,
    and `customers` customers (None: one for every 24 invoices, at least a dozen a studio)."""
    today = today or store.clock.now().date()
    for index, provider in enumerate(PROVIDERS[:providers]):
        share = _share(invoices, providers, index)
        people = None if customers is None else _share(customers, providers, index)
        studio = _StudioGenerator(store, provider, random.Random(f"{seed}-{provider.id}"), today)
        studio.run(share, people)
    return store


def _share(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


class _StudioGenerator:
    def __init__(self, store: Store, provider: Provider, rng: random.Random, today: date) -> None:
        self.store, self.provider, self.rng, self.today = store, provider, rng, today
        self.data = store.add_provider(provider)
        self.start = today - timedelta(days=HISTORY_DAYS)
        self.now = store.clock.now()

    def run(self, target: int, customers: int | None = None) -> None:
        self._catalogue()
        count = target // 24 if customers is None else customers
        self._customers(max(len(AWKWARD_CUSTOMERS) + 4, count))
        self._customer_list = list(self.data.customers.values())
        base = target - round(target * REFUND_SHARE)
        invoices = self._memberships(round(base * MEMBERSHIP_SHARE))
        invoices += [self._one_off() for _ in range(base - len(invoices))]
        invoices.sort(key=lambda i: (i.due_date, i.customer_id))
        for invoice in invoices:
            self._settle(invoice)
            self.store.insert(self._renumber(invoice))
        self._refunds(target - len(invoices))

    def _catalogue(self) -> None:
        for offset, (name, kind, price, _) in enumerate(CATALOGUE, start=1):
            item = Item(self.provider.id * 1000 + offset, name, kind, Decimal(price))
            self.data.items[item.id] = item

    def _customers(self, count: int) -> None:
        for n in range(count):
            if n < len(AWKWARD_CUSTOMERS):
                name, email = AWKWARD_CUSTOMERS[n]
            else:
                first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
                name, email = f"{first} {last}", f"{first}.{last}.{n}@example.com".lower()
            joined = self.start + timedelta(days=self.rng.randrange(HISTORY_DAYS))
            venue_id = self.rng.choice(self.provider.venues)[0]
            customer_id = self.provider.id * 100_000 + n + 1
            self.data.customers[customer_id] = Customer(customer_id, name, email, venue_id, joined)

    def _new(self, customer: Customer, item: Item, due: date) -> Invoice:
        return Invoice(
            id=0,
            provider_id=self.provider.id,
            number="",
            customer_id=customer.id,
            item_id=item.id,
            purchase_type=item.purchase_type,
            status="open",
            due_date=due,
            updated_at=self.now,
            subtotal=item.price,
        )

    def _memberships(self, target: int) -> list[Invoice]:
        """Monthly invoice series, one membership at a time per member, until `target`."""
        plans = [i for i in self.data.items.values() if i.purchase_type == "membership"]
        horizon = self.today + timedelta(days=31)
        invoices: list[Invoice] = []
        membership_id = self.provider.id * 1_000_000
        members = list(self.data.customers.values())
        free_from = {customer.id: customer.joined_on for customer in members}
        while len(invoices) < target and members:
            index = self.rng.randrange(len(members))
            customer = members[index]
            due = free_from[customer.id]
            if due > horizon:  # no room left in this customer's history: drop them
                members[index] = members[-1]
                members.pop()
                continue
            plan, membership_id = self.rng.choice(plans), membership_id + 1
            for _ in range(int(self.rng.expovariate(1 / 14)) + 1):
                if due > horizon or len(invoices) >= target:
                    break
                invoice = self._new(customer, plan, due)
                invoice.customer_membership_id = membership_id
                invoices.append(invoice)
                due = _next_month(due)
            # a pause before the member's next membership, if any
            free_from[customer.id] = due + timedelta(days=self.rng.choice((0, 0, 31, 62, 120)))
        return invoices

    def _one_off(self) -> Invoice:
        items = [i for i in self.data.items.values() if i.purchase_type != "membership"]
        weights = [row[3] for row in CATALOGUE if row[1] != "membership"]
        customer = self.rng.choice(self._customer_list)
        span = (self.today + timedelta(days=14) - customer.joined_on).days
        due = customer.joined_on + timedelta(days=self.rng.randrange(max(span, 1)))
        invoice = self._new(customer, self.rng.choices(items, weights)[0], due)
        if self.rng.random() < 0.12:
            name, code, percent = self.rng.choice(DISCOUNT_CODES)
            invoice.discount_code = (name, code)
            invoice.discount = (invoice.subtotal * percent / 100).quantize(CENT)
        if invoice.purchase_type == "store":
            invoice.tax = ((invoice.subtotal - invoice.discount) * Decimal("0.2")).quantize(CENT)
        return invoice

    def _moment(self, day: date, latest: datetime | None = None) -> datetime:
        seconds = self.rng.randrange(6 * 3600, 22 * 3600)
        moment = datetime.combine(day, time(), UTC) + timedelta(seconds=seconds, milliseconds=1)
        moment += timedelta(milliseconds=self.rng.randrange(1000))
        return to_millis(min(moment, latest or self.now))

    def _settle(self, invoice: Invoice) -> None:
        """Status, payment and timestamps, by how far the due date lies from today."""
        days_ago = (self.today - invoice.due_date).days
        rng = self.rng
        if days_ago < 0:
            status = "upcoming" if invoice.purchase_type == "membership" else "open"
        elif days_ago <= 5:
            status = rng.choices(
                ["paid", "open", "pending_online", "pending_offline", "retrying", "failed"],
                [60, 12, 8, 6, 8, 6],
            )[0]
        else:
            status = rng.choices(
                ["paid", "failed", "retry_failed", "voided", "skipped", "open"],
                [89, 2, 2, 3, 1.5, 2.5],
            )[0]
        if status == "skipped" and invoice.purchase_type != "membership":
            status = "paid"
        invoice.status = status
        created = invoice.due_date - timedelta(days=rng.randrange(0, 10))
        if status != "upcoming":
            invoice.confirmed_at = self._moment(max(created, self.start))
        if rng.random() < 0.04 and invoice.purchase_type != "store":
            invoice.credit = min(invoice.total, Decimal(rng.choice((5, 10, 20))))
        if status == "paid":
            self._pay(invoice)
        if rng.random() < 0.12:
            invoice.purchase_fee_type = rng.choice(("percentage", "percentage", "fixed"))
        stamps = [s for s in (invoice.confirmed_at, invoice.paid_at) if s]
        invoice.updated_at = max(stamps) if stamps else self._moment(max(created, self.start))

    def _pay(self, invoice: Invoice) -> None:
        rng = self.rng
        if invoice.purchase_type == "membership":
            processor = rng.choices([1, 2, 3], [55, 40, 5])[0]
        else:
            processor = rng.choices([1, 3, 4], [60, 25, 15])[0]
        paid_day = min(invoice.due_date + timedelta(days=rng.choice((0, 0, 0, 1, 2))), self.today)
        invoice.paid_at = self._moment(paid_day)
        if invoice.confirmed_at is None or invoice.confirmed_at > invoice.paid_at:
            invoice.confirmed_at = invoice.paid_at
        invoice.payment_processor_id = processor
        invoice.payout_date = payout_date(processor, invoice.paid_at.date())

    def _renumber(self, invoice: Invoice) -> Invoice:
        invoice.id = self.store.new_invoice_id()
        invoice.number = f"INV-{invoice.id:07d}"
        return invoice

    def _refunds(self, count: int) -> None:
        paid = [i for i in self.data.invoices.values() if i.status == "paid" and i.total > ZERO]
        for original in self.rng.sample(paid, min(count, len(paid))):
            full = self.rng.random() < 0.6
            amount = original.total if full else (original.total / 2).quantize(CENT)
            paid_at = original.paid_at
            assert paid_at is not None  # every paid invoice has its payment's moment
            day = min(paid_at.date() + timedelta(days=self.rng.randrange(1, 21)), self.today)
            moment = max(self._moment(day), paid_at)
            original.refund_amount, original.refund_date = amount, moment.date()
            original.updated_at = max(original.updated_at, moment)
            note_id = self.store.new_invoice_id()
            note = credit_note(original, note_id, f"CN-{note_id:07d}", amount, moment)
            self.store.insert(note)


def _next_month(day: date) -> date:
    """Same day next month, clamped to the month's end (Jan 31 -> Feb 28)."""
    following = pendulum.date(day.year, day.month, day.day).add(months=1)
    return date(following.year, following.month, following.day)
