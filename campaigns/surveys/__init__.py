"""Surveys: questions, waves before and after a campaign, the public answer form, field-team
exports and imports. The effectiveness report that reads them lives in `campaigns.reports`."""
