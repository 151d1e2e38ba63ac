"""Remediation: ``auditor fix`` writes safe copies of photos (metadata stripped losslessly where the format allows,
downscaled and faces blurred on request) and a manifest, then checks the copies."""
