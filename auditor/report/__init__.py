"""The report stage: ``findings.json`` (the public contract) and ``report.html``. Never imports cv2 or a model."""
