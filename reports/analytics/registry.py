"""The dashboards by their address: /reports/analytics/<slug>/ and /api/v1/analytics/<slug>/."""

from reports.analytics import efficiency, funnel, payments

# slug → (tab title, build(user, filters) -> Dashboard)
DASHBOARDS = {
    "funnel": (funnel.TITLE, funnel.build),
    "efficiency": (efficiency.TITLE, efficiency.build),
    "payments": (payments.TITLE, payments.build),
}
