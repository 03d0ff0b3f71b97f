"""Pages of events, eCommerce, products, analytics and the admins' currencies and types."""

from django.urls import path

from kartoteka.commerce import views

app_name = "commerce"

urlpatterns = [
    path("contacts/<int:contact_id>/events/", views.contact_events, name="contact-events"),
    path("contacts/<int:contact_id>/events/add/", views.record_event, name="record-event"),
    path("contacts/<int:contact_id>/coupons/add/", views.add_coupon, name="add-coupon"),
    path("contacts/<int:contact_id>/analytics/", views.contact_analytics, name="contact-analytics"),
    path("segments/<int:segment_id>/analytics/", views.segment_analytics, name="segment-analytics"),
    path("products/", views.products, name="products"),
    path("products/<str:sku>/", views.product, name="product"),
    path("settings/commerce/", views.settings_page, name="settings"),
    path("settings/commerce/rates/", views.set_rate, name="set-rate"),
    path("settings/commerce/types/", views.add_event_type, name="add-type"),
]
