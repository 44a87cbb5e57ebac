from django.urls import include, path

from jaring.api import bpjstk, claims, money, views
from jaring.api.docs import DocsView, SchemaView
from jaring.reports.api import DashboardFigures

urlpatterns = [
    path("persons/", views.PersonListCreate.as_view(), name="api-persons"),
    path("persons/<int:person_id>/", views.PersonDetail.as_view(), name="api-person"),
    path("households/", views.HouseholdListCreate.as_view(), name="api-households"),
    path("households/<int:household_id>/", views.HouseholdDetail.as_view(), name="api-household"),
    path("regions/", views.RegionList.as_view(), name="api-regions"),
    path("regions/<str:code>/", views.RegionDetail.as_view(), name="api-region"),
    path("me/", views.Me.as_view(), name="api-me"),
    path("simulations/contribution", views.ContributionSimulation.as_view(), name="api-sim-contribution"),
    path("simulations/benefit", views.BenefitSimulation.as_view(), name="api-sim-benefit"),
    path("simulations/contribution/", views.ContributionSimulation.as_view()),
    path("simulations/benefit/", views.BenefitSimulation.as_view()),
    path("payers/", money.PayerList.as_view(), name="api-payers"),
    path("payers/<str:code>/reactivate/", bpjstk.PayerReactivate.as_view(), name="api-payer-reactivate"),
    path("bpjstk/review/", bpjstk.ReviewList.as_view(), name="api-bpjstk-review"),
    path("memberships/", money.MembershipList.as_view(), name="api-memberships"),
    path("memberships/<int:membership_id>/", money.MembershipDetail.as_view(), name="api-membership"),
    path("dues/", money.DueList.as_view(), name="api-dues"),
    path("payments/", money.PaymentCreate.as_view(), name="api-payments"),
    path("invoices/", money.InvoiceList.as_view(), name="api-invoices"),
    path("invoices/pay/", money.InvoicePay.as_view(), name="api-invoice-pay"),
    path("invoices/issue/", money.InvoiceIssue.as_view(), name="api-invoice-issue"),
    path("persons/<int:person_id>/coverage/", money.PersonCoverage.as_view(), name="api-person-coverage"),
    path("persons/<int:person_id>/protection/", money.PersonProtection.as_view(), name="api-person-protection"),
    path("claims/", claims.ClaimListCreate.as_view(), name="api-claims"),
    path("claims/deadlines/", claims.ClaimDeadlines.as_view(), name="api-claim-deadlines"),
    path("claims/<int:claim_id>/", claims.ClaimDetail.as_view(), name="api-claim"),
    path("claims/<int:claim_id>/documents/", claims.ClaimDocumentReceived.as_view(), name="api-claim-documents"),
    path("claims/<int:claim_id>/submit/", claims.ClaimSubmit.as_view(), name="api-claim-submit"),
    path("claims/<int:claim_id>/settle/", claims.ClaimSettle.as_view(), name="api-claim-settle"),
    path("claims/<int:claim_id>/reject/", claims.ClaimReject.as_view(), name="api-claim-reject"),
    path("dashboard/", DashboardFigures.as_view(), name="api-dashboard"),
    path("targeting/", include("jaring.targeting.api")),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
]
