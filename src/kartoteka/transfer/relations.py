"""What merge and forget do with imports' and exports' tables; declared from the app's ready()."""

from kartoteka.core.relations import CODE, ERASE, KEEP, NAMES, Policy, declare


def declare_relations() -> None:
    declare(
        policies={
            # An import's journal stays with the contact the import wrote (a revert must not
            # delete the survivor of a later merge); it holds the imported values, so forget
            # erases it.
            "transfer.ImportRow.contact_id": Policy(KEEP, ERASE),
            # The runs of ids of the contacts an import created, for its revert: ids, nothing else.
            "transfer.ImportCreated.first_contact_id": Policy(KEEP, KEEP),
            "transfer.ImportCreated.last_contact_id": Policy(KEEP, KEEP),
        },
        mentions={
            "transfer.Import": ("file_name", "headers", "message"),
            "transfer.ImportRow": ("before", "after"),
            "transfer.ImportProblem": ("value", "message", "cells"),
            # Queries are what someone typed to find people: the first or last name alone counts.
            "transfer.Export": ("query", "message"),
        },
        file_sweeps={
            "transfer.Import": "file_path",
            "transfer.Export": "file_path",
        },
        not_swept={
            "transfer.Import.format": CODE,
            "transfer.Import.encoding": CODE,
            "transfer.Import.delimiter": CODE,
            "transfer.Import.mapping": CODE,
            "transfer.Import.tags": NAMES,
            "transfer.Import.status": CODE,
            "transfer.Import.phone_region": CODE,
            "transfer.ImportProblem.level": CODE,
            "transfer.ImportProblem.column": "a column of the file, by its header",
            "transfer.Export.format": CODE,
            "transfer.Export.columns": CODE,
            "transfer.Export.status": CODE,
        },
    )
