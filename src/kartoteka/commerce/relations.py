"""What merge and forget do with the commerce app's tables; declared from the app's ready()."""

from kartoteka.core.relations import (
    ANONYMISE,
    CARD_DATA,
    CODE,
    DELETE,
    ERASE,
    MOVE,
    NAMES,
    Policy,
    declare,
)

PRODUCT_DATA = "a product's SKU, name, category and address as the shop sent them"


def declare_relations() -> None:
    declare(
        policies={
            # Events move with a merge; forgotten, they keep their type, time and value for
            # reports, and lose everything that could lead back to the person.
            "commerce.ExternalEvent.contact": Policy(
                MOVE,
                ANONYMISE,
                scrub=("client_id", "location", "coupon", "order_ref", "details"),
            ),
            "commerce.Coupon.contact": Policy(MOVE, ERASE),
            "commerce.ContactKey.contact": Policy(MOVE, ERASE),
            # Totals are folded again from the events after a merge or its undo
            # (services.after_merge): the merged contact's row goes, and comes back on undo.
            "commerce.Totals.contact": Policy(DELETE, ERASE),
        },
        mentions={"commerce.ExternalEvent": ("details",)},
        not_swept={
            "commerce.ExternalEvent.client_id": "the sender's id, cleared when it is forgotten",
            "commerce.ExternalEvent.type": CODE,
            "commerce.ExternalEvent.currency": CODE,
            "commerce.ExternalEvent.location": "a shop or point of sale, cleared on forget",
            "commerce.ExternalEvent.coupon": "a code, cleared when it is forgotten",
            "commerce.ExternalEvent.order_ref": "the shop's order number, cleared on forget",
            "commerce.ExternalEvent.payment_method": CODE,
            "commerce.ExternalEvent.payment_status": CODE,
            "commerce.ExternalEvent.source": CODE,
            "commerce.ExternalEvent.batch": CODE,
            "commerce.EventLine": PRODUCT_DATA,
            "commerce.Product": PRODUCT_DATA,
            "commerce.Coupon": CARD_DATA,
            "commerce.ContactKey": CARD_DATA,
            "commerce.EventType": NAMES,
            "commerce.CurrencyRate": CODE,
        },
    )
