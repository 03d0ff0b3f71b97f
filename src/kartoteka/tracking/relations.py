"""What merge and forget do with tracking's tables; declared from the app's ready()."""

from kartoteka.core.relations import CODE, DELETE, ERASE, MOVE, NAMES, Policy, declare


def declare_relations() -> None:
    declare(
        policies={
            # The merged person's browsers and visits are the survivor's; forget erases them
            # with the visitor id, so that browser starts again as a stranger.
            "tracking.Visitor.contact": Policy(MOVE, ERASE),
            "tracking.Visit.contact": Policy(MOVE, ERASE),
            "tracking.MonitoringLink.contact": Policy(MOVE, ERASE),
            # Public files the merged person downloaded are the survivor's downloads.
            "tracking.FileDownload.contact": Policy(MOVE, ERASE),
            # Counts: the merged contact's row goes, and the survivor's is counted again from
            # the visits that moved (tracking.services.recount_after_merge).
            "tracking.VisitTotals.contact": Policy(DELETE, ERASE),
        },
        not_swept={
            "tracking.Site": NAMES,
            "tracking.Hit": "browsers' hits of the last minutes, processed and deleted",
            "tracking.Visitor.key": CODE,
            "tracking.Visit": "a visit of the forgotten person is erased with them",
            "tracking.PageView": "page views belong to a visit and go with it",
            "tracking.MonitoringLink": "a link of the forgotten person is erased with them",
            "tracking.PublicFile": "a document of the public library, not a person",
            "tracking.FileDownload": "a download of the forgotten person is erased with them",
            "tracking.AdsClick": "an ad click's campaign, keyword and ids, not a person",
        },
    )
