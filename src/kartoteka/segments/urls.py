"""Pages and fragments of filters and segments."""

from django.urls import path

from kartoteka.segments import views

app_name = "segments"

urlpatterns = [
    path("segments/", views.segment_list, name="list"),
    path("segments/count/", views.count, name="count"),
    path("segments/options/", views.options, name="options"),
    path("segments/save/", views.save_segment, name="save"),
    path("segments/<int:segment_id>/recount/", views.recount_segment, name="recount"),
    path("segments/<int:segment_id>/delete/", views.delete_segment, name="delete"),
    path("saved-filters/save/", views.save_filter, name="save-filter"),
    path(
        "saved-filters/<int:saved_filter_id>/delete/",
        views.delete_saved_filter,
        name="delete-filter",
    ),
]
