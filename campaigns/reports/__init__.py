"""The effectiveness report: what a campaign reached and what it changed, with every figure's n and
interval, as one JSON-ready structure (`build.build_report`) rendered as a page, a PDF and a CSV."""
