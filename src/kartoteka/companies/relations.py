"""What merge and forget do with companies' tables; declared from the app's ready()."""

from kartoteka.core.relations import CODE, ERASE, MOVE, MOVE_UNIQUE, NAMES, Policy, declare


def forget_in_merges(actor, contact) -> None:
    from kartoteka.companies.services import forget_in_merges as forget

    forget(actor, contact)


def declare_relations() -> None:
    declare(
        policies={
            # A merged contact's companies become the survivor's (unless it is there already);
            # a forgotten contact leaves its companies, which stay as they were.
            "companies.Membership.contact": Policy(MOVE_UNIQUE, ERASE, unique=("company",)),
            # Entries naming a person ("person added") go with the person.
            "companies.Entry.contact": Policy(MOVE, ERASE),
        },
        mentions={
            "companies.Entry": ("body", "payload"),
            "companies.Membership": ("role", "job_title"),
        },
        before_forget=forget_in_merges,
        not_swept={
            "companies.Profile": "a company's own record, not notes about people",
            "companies.CompanyField": NAMES,
            "companies.Entry.kind": CODE,
            # The person's id, role and job title leave the merges' snapshots before forget.
            "companies.CompanyMerge": "company ids and the company's own record",
        },
    )
