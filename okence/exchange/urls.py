from django.urls import path

from okence.exchange import views

app_name = "exchange"
urlpatterns = [
    path("sestanek/<str:token>/mapa/", views.citizen_folder, name="citizen_folder"),
    path("sestanek/<str:token>/mapa/datoteke/", views.citizen_files, name="citizen_files"),
    path("sestanek/<str:token>/mapa/prenesi/", views.citizen_download, name="citizen_download"),
    path("sestanek/<str:token>/mapa/nalozi/", views.upload_placeholder, name="citizen_upload"),
    path("uradnik/mapa/<uuid:public_id>/", views.official_folder, name="official_folder"),
    path("uradnik/mapa/<uuid:public_id>/datoteke/", views.official_files, name="official_files"),
    path(
        "uradnik/mapa/<uuid:public_id>/prenesi/", views.official_download, name="official_download"
    ),
    path("uradnik/mapa/<uuid:public_id>/nalozi/", views.upload_placeholder, name="official_upload"),
    path("uradnik/mapa/<uuid:public_id>/ustvari/", views.create, name="create"),
]
