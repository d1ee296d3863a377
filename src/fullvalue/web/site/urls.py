"""URL routes: GOV.UK pages, the JSON API and health (assembled from every capability)."""

from django.urls import path

from fullvalue.web.accounts import views as accounts
from fullvalue.web.api.app import api
from fullvalue.web.audit import views as audit
from fullvalue.web.budgets import views as budgets
from fullvalue.web.challenges import views as challenges
from fullvalue.web.contracts import views as contracts
from fullvalue.web.delivery import views as delivery
from fullvalue.web.investments import views as investments
from fullvalue.web.involvement import views as involvement
from fullvalue.web.kernel import views as kernel
from fullvalue.web.organisations import views as orgs
from fullvalue.web.payruns import views as payruns
from fullvalue.web.programmes import views as programmes
from fullvalue.web.publication import views as publication
from fullvalue.web.reporting import views as reporting
from fullvalue.web.site import contract as site_contract
from fullvalue.web.site import feedback as site_feedback
from fullvalue.web.site import views as site
from fullvalue.web.socialvalue import views as socialvalue
from fullvalue.web.tendering import views as tendering

handler404 = "fullvalue.web.site.views.not_found"
handler500 = "fullvalue.web.site.views.server_error"

urlpatterns = [
    path("", site.home, name="home"),
    path("healthz", kernel.healthz, name="healthz"),
    path("dashboard/", site.dashboard, name="dashboard"),
    path("cookies/", kernel.cookies, name="cookies"),
    path("cookies/hide", kernel.cookies_hide, name="cookies-hide"),
    path("accessibility/", kernel.accessibility, name="accessibility"),
    path("privacy/", kernel.privacy, name="privacy"),
    path("feedback/", site_feedback.feedback, name="feedback"),
    path("have-your-say/", involvement.have_your_say, name="have-your-say"),
    path("tasks/", kernel.tasks, name="task-list"),
    path("sign-in/", accounts.sign_in, name="sign-in"),
    path("sign-in/verify/", accounts.sign_in_verify, name="sign-in-verify"),
    path("sign-in/two-factor/", accounts.two_factor_setup, name="two-factor-setup"),
    path("sign-out/", accounts.sign_out, name="sign-out"),
    path("password-reset/", accounts.password_reset, name="password-reset"),
    path("password-reset/sent/", accounts.password_reset_sent, name="password-reset-sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("invitations/<str:token>/", accounts.invitation_accept, name="invitation-accept"),
    path("account/", accounts.account, name="account"),
    path("account/role/", accounts.switch_role, name="switch-role"),
    path("account/tokens/", accounts.token_create, name="token-create"),
    path("account/tokens/<int:token_id>/revoke", accounts.token_revoke, name="token-revoke"),
    path("organisations/", orgs.organisation_list_view, name="organisation-list"),
    path("organisations/new/", orgs.organisation_create_view, name="organisation-create"),
    path("organisations/import/", orgs.organisation_import_view, name="organisation-import"),
    path(
        "organisations/import/<int:batch_id>/",
        orgs.organisation_import_preview_view,
        name="organisation-import-preview",
    ),
    path("organisations/<slug:slug>/", orgs.organisation_detail_view, name="organisation-detail"),
    path("organisations/<slug:slug>/edit/", orgs.organisation_edit_view, name="organisation-edit"),
    path(
        "organisations/<slug:slug>/members/",
        orgs.organisation_members_view,
        name="organisation-members",
    ),
    path("audit/", audit.audit_list, name="audit-list"),
    path("contracts/", site_contract.contract_list, name="contract-list"),
    path("contracts/new/", contracts.contract_new, name="contract-new"),
    path(
        "contracts/<int:contract_id>/supply-chain/",
        contracts.supply_chain_edit,
        name="supply-chain",
    ),
    path("contracts/<int:contract_id>/", site_contract.contract_detail, name="contract-detail"),
    path(
        "contracts/<int:contract_id>/social-value/",
        socialvalue.contract_social_value,
        name="contract-social-value",
    ),
    path("contracts/<int:contract_id>/import/", delivery.import_upload, name="import-upload"),
    path("imports/<int:job_id>/", delivery.import_detail, name="import-detail"),
    path("payment-runs/<int:run_id>/", payruns.remittance, name="remittance"),
    path("contracts/<int:contract_id>/cash/", payruns.cash, name="cash-timeline"),
    path("contracts/<int:contract_id>/cash.svg", payruns.cash_chart, name="cash-chart"),
    path("imports/<int:job_id>/progress", delivery.import_progress, name="import-progress"),
    path("contracts/<int:contract_id>/participants/", delivery.participants, name="participants"),
    path("contracts/<int:contract_id>/outcomes/", delivery.outcomes, name="outcomes"),
    path("events/<int:event_id>/evidence", delivery.evidence_file, name="evidence-file"),
    path(
        "contracts/<int:contract_id>/reoffending/",
        delivery.reoffending_results,
        name="reoffending-results",
    ),
    path("programmes/", programmes.programme_list, name="programme-list"),
    path("investments/", investments.investment_list, name="investment-list"),
    path("market/", publication.market, name="market"),
    path("challenges/", challenges.register, name="challenges"),
    path("challenges/windows/new/", challenges.window_new, name="challenge-window-new"),
    path("challenges/windows/<int:window_id>/", challenges.window_detail, name="challenge-window"),
    path("challenges/<int:interest_id>/", challenges.challenge_detail, name="challenge-detail"),
    path("reporting/", reporting.reporting_home, name="reporting"),
    path("reporting/codes/", reporting.code_mappings, name="reporting-codes"),
    path("reporting/records/", reporting.records_upload, name="records-upload"),
    path("reporting/imports/<int:job_id>/", reporting.record_import, name="record-import"),
    path("reporting/frameworks/new/", reporting.framework_new, name="framework-new"),
    path("reporting/frameworks/<slug:slug>.toml", reporting.framework_file, name="framework-file"),
    path("reporting/<slug:slug>/layout/", reporting.layout_edit, name="return-layout"),
    path("reporting/<slug:slug>/<str:start>/", reporting.return_detail, name="return-detail"),
    path(
        "reporting/<slug:slug>/<str:start>/<str:indicator>/",
        reporting.return_records,
        name="return-records",
    ),
    path("community-budgets/", budgets.budget_list, name="budget-list"),
    path("community-budgets/<int:budget_id>/", budgets.budget_detail, name="budget-detail"),
    path("community-budgets/<int:budget_id>/case.toml", budgets.budget_case, name="budget-case"),
    path("programmes/new/", programmes.programme_create_view, name="programme-create"),
    path("programmes/payment-guide/", programmes.payment_guide, name="payment-guide"),
    path(
        "programmes/drafts/<int:draft_id>/",
        programmes.programme_draft_view,
        name="programme-draft",
    ),
    path("programmes/<slug:slug>/", programmes.programme_detail, name="programme-detail"),
    path("programmes/<slug:slug>/edit/", programmes.programme_edit_view, name="programme-edit"),
    path("programmes/<slug:slug>/tender/", tendering.tender_create_view, name="tender-create"),
    path(
        "programmes/<slug:slug>/risk", programmes.programme_risk_chart, name="programme-risk-chart"
    ),
    path("tenders/", tendering.tender_list, name="tender-list"),
    path("tenders/partners/", tendering.partners, name="partner-finder"),
    path(
        "tenders/partners/<int:entry_id>/contact/",
        tendering.partner_contact,
        name="partner-contact",
    ),
    path("tenders/messages/", tendering.partner_messages, name="partner-messages"),
    path("tenders/messages/<int:message_id>/", tendering.partner_message, name="partner-message"),
    path("tenders/<int:tender_id>/", tendering.tender_detail, name="tender-detail"),
    path("tenders/<int:tender_id>/edit/", tendering.tender_edit_view, name="tender-edit"),
    path("tenders/<int:tender_id>/evaluation/", tendering.evaluation, name="tender-evaluation"),
    path("tenders/<int:tender_id>/moderation/", tendering.moderation, name="tender-moderation"),
    path("lots/<int:lot_id>/bid/", tendering.bid_form, name="bid-form"),
    path("bids/<int:bid_id>/", tendering.bid_detail, name="bid-detail"),
    path("documents/<int:document_id>", tendering.document_download, name="document-download"),
    path("bids/<int:bid_id>/feedback/", tendering.feedback, name="bid-feedback"),
    path("api/v1/", api.urls),
]
