from django.urls import path

from okence.reports import views

app_name = "reports"
urlpatterns = [
    path("statistika/", views.overview, name="overview"),
    path("statistika/grafi/<slug:name>.svg", views.chart, name="chart"),
    path("statistika/izvoz.csv", views.export, {"kind": "csv"}, name="csv"),
    path("statistika/izvoz.xlsx", views.export, {"kind": "xlsx"}, name="xlsx"),
    path("odprti-podatki/statistika.json", views.open_data, name="open_data"),
    path("odprti-podatki/shema.json", views.open_data_schema, name="open_data_schema"),
]
