"""Pages and fragments of deals and sales reports."""

from django.urls import path

from kartoteka.deals import views

app_name = "deals"

urlpatterns = [
    path("deals/", views.board, name="board"),
    path("deals/board/<int:pipeline_id>/", views.board, name="board-pipeline"),
    path(
        "deals/board/<int:pipeline_id>/stages/<int:stage_id>/more/",
        views.column_more,
        name="column-more",
    ),
    path("deals/list/", views.deal_list, name="list"),
    path("deals/list/bulk/", views.bulk, name="bulk"),
    path("deals/list/export/", views.export, name="export"),
    path("deals/import/", views.deal_import, name="import"),
    path("deals/new/", views.deal_new, name="new"),
    path("deals/<int:deal_id>/", views.deal_page, name="deal"),
    path("deals/<int:deal_id>/move/", views.move, name="move"),
    path("deals/<int:deal_id>/notes/", views.deal_note, name="note"),
    path("deals/<int:deal_id>/comments/", views.deal_comment, name="comment"),
    path("deals/<int:deal_id>/tasks/", views.deal_task, name="task"),
    path("deals/<int:deal_id>/files/", views.deal_file, name="file"),
    path("deals/<int:deal_id>/delete/", views.deal_delete, name="delete"),
    path("deals/pipelines/", views.pipelines, name="pipelines"),
    path("deals/fields/", views.deal_fields, name="fields"),
    path("deals/reports/", views.report_page, name="reports"),
    path("deals/reports/export/", views.report_export, name="reports-export"),
    path("contacts/<int:contact_id>/deals/", views.contact_deals, name="contact-deals"),
]
